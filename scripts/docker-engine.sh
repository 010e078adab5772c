#!/usr/bin/env bash
# Starts the Docker Engine for the sandbox's Docker backend, idempotently.
# Jobs need no network, so the engine runs without iptables rules and without
# the default bridge (`--iptables=false --bridge=none`; issue 6). A no-op when
# the engine already answers on its socket.
set -euo pipefail

SOCKET=/var/run/docker.sock
LOG=${SEALROOM_DOCKERD_LOG:-/var/log/sealroom-dockerd.log}

engine_answers() {
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

if engine_answers; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "sealroom: the Docker Engine is not installed: run 'apt-get install docker.io'" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "sealroom: starting the Docker Engine needs root: run 'sudo $0'" >&2
  exit 1
fi

# A socket left by an engine that died would make the new one refuse to start.
if [ -S "$SOCKET" ] && ! pgrep -x dockerd >/dev/null 2>&1; then
  rm -f "$SOCKET"
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  nohup dockerd --iptables=false --bridge=none >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 120); do
  if engine_answers; then
    exit 0
  fi
  sleep 0.5
done
echo "sealroom: the Docker Engine did not start within 60 s: see $LOG" >&2
exit 1
