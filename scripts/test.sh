#!/usr/bin/env bash
# The whole test suite: lint, types, then every test (unit and integration,
# SQLite and PostgreSQL, passphrase and SoftHSM2 key providers, both sandboxes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The job runtime (bubblewrap) and image (Docker), built once per machine.
bash scripts/build-images.sh
# The secretflow PSI engine's own virtualenv (spu pins numpy 1.26), built once.
bash scripts/secretflow-env.sh >/dev/null
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy --strict"
mypy
echo "== pytest"
exec pytest -q "$@"
