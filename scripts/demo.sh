#!/usr/bin/env bash
# Runs `sealroom demo` on the bundled synthetic data, in a fresh data directory
# unless SEALROOM_HOME says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export SEALROOM_HOME="${SEALROOM_HOME:-$(mktemp -d -t sealroom-demo.XXXXXX)}"
export SEALROOM_PASSPHRASE="${SEALROOM_PASSPHRASE:-demo-passphrase-change-me}"
exec .venv/bin/sealroom demo
