#!/usr/bin/env bash
# Installs everything Sealroom needs on a fresh Debian machine (run as root):
# Debian packages, uv, and the project virtualenv pinned by uv.lock.
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  postgresql         # the production metadata store; tests start a real server
  softhsm2           # the PKCS#11 key device in tests
  opensc             # pkcs11-tool, for operators inspecting a token
  bubblewrap         # the embedded isolation backend
  docker.io          # the Docker Engine backend (no registry: images are built locally)
  debootstrap        # builds the job image's root filesystem
  libseccomp2        # seccomp filters for bubblewrap (through pyseccomp)
  util-linux         # setpriv, to start sandboxes under an unprivileged uid
  tmux               # a real terminal for the test of what `review show` draws
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "sealroom: missing Debian packages: ${missing[*]}; run 'sudo apt-get install ${missing[*]}' and try again" >&2
    exit 1
  fi
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "== installing uv"
  python3 -m pip install --quiet uv
fi

echo "== syncing the project virtualenv (.venv) from uv.lock"
uv sync --frozen --quiet --extra server --extra psi
