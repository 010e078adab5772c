#!/usr/bin/env bash
# Builds the virtualenv of the `secretflow` PSI engine (the `spu` package) and prints
# its python. spu 0.9.5 pins numpy<2 while Sealroom uses numpy 2, so the engine lives
# in its own environment and the core only ever starts it as a subprocess (issue 9).
#
# Idempotent: the environment is named by the hash of its pinned requirements
# (/var/lib/sealroom/engines/secretflow-<hash>), so a second run installs nothing and
# a changed pin builds a new one beside the old. The stable link
# /var/lib/sealroom/engines/secretflow points at the current build; that is where
# Sealroom looks unless SEALROOM_SECRETFLOW_PYTHON names another python.
#
# SEALROOM_ENGINES_DIR moves the whole tree; SEALROOM_WHEELHOUSE names a directory of
# already downloaded wheels (an offline machine), checked against the pinned hashes.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements="engines/secretflow/requirements.txt"
engines_dir="${SEALROOM_ENGINES_DIR:-/var/lib/sealroom/engines}"
digest="$(sha256sum "$requirements" | cut -c1-16)"
env_dir="$engines_dir/secretflow-$digest"
python="$env_dir/bin/python"

if ! command -v uv >/dev/null 2>&1; then
  echo "sealroom: uv is missing; run 'bash scripts/bootstrap.sh' (it installs uv) and try again" >&2
  exit 1
fi

# The marker is written last, so an interrupted build is redone rather than trusted.
if [ ! -f "$env_dir/.sealroom-complete" ]; then
  echo "== building the secretflow engine environment in $env_dir" >&2
  mkdir -p "$engines_dir"
  rm -rf "$env_dir"
  uv venv --quiet --python 3.11 "$env_dir" >&2
  find_links=()
  if [ -n "${SEALROOM_WHEELHOUSE:-}" ]; then
    find_links=(--find-links "$SEALROOM_WHEELHOUSE")
  fi
  uv pip install --quiet --python "$python" --require-hashes "${find_links[@]}" \
    -r "$requirements" >&2
  "$python" -c 'import spu.psi, spu.libspu.link' >&2
  touch "$env_dir/.sealroom-complete"
fi

ln -sfn "$env_dir" "$engines_dir/secretflow.tmp"
mv -Tf "$engines_dir/secretflow.tmp" "$engines_dir/secretflow"
echo "$python"
