"""What a supervisor that died mid-run leaves behind, found and removed by run id.

A bubblewrap sandbox dies with its supervisor (``--die-with-parent``). A Docker
container does not: the engine, not the supervisor, is its parent, so a worker
killed by SIGKILL leaves its job running until the job's own time limit. The
restarted worker reaps it by the run label every container carries.
"""

from __future__ import annotations

from typing import Any

from sandbox.docker_backend import LABEL, connect_engine
from sandbox.errors import IsolationUnavailable


def reap_run(run_id: str, client: Any = None) -> tuple[str, ...]:
    """Kills and removes the containers of ``run_id``; the names of those removed.

    An engine that is not running holds no container to reap, so that is not an
    error; any other engine failure is (the caller must not assume the run gone).
    """
    if client is None:
        try:
            client = connect_engine()
        except IsolationUnavailable:
            return ()
    import docker.errors  # noqa: PLC0415 - the SDK is optional for the embedded backend

    removed = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}={run_id}"}):
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            continue  # it ended and was removed between the listing and now
        removed.append(str(container.name))
    return tuple(removed)
