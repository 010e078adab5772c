#!/usr/bin/env bash
# Builds the job runtime (bubblewrap) and the job image (Docker) once per machine.
# Idempotent and fast when already built: both are named by the recipe's content
# hash under /var/lib/sealroom/runtimes/, and the image is pinned by its id.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/docker-engine.sh
exec .venv/bin/python -m sealroom.cli.sandbox_commands images build "$@"
