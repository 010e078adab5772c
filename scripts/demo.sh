#!/usr/bin/env bash
# Runs `sealroom demo` on the bundled synthetic data, in a fresh data directory
# unless SEALROOM_HOME says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The job runtime (bubblewrap) and image (Docker), built once per machine.
bash scripts/build-images.sh
export SEALROOM_HOME="${SEALROOM_HOME:-$(mktemp -d -t sealroom-demo.XXXXXX)}"
export SEALROOM_PASSPHRASE="${SEALROOM_PASSPHRASE:-demo-passphrase-change-me}"
exec .venv/bin/sealroom demo
