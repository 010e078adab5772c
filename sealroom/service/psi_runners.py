"""Where the owner's PSI work runs: a Ray cluster, local worker processes, or inline.

One runner per Sealroom process, made on first use (``Sealroom.open_psi_runner``)
and closed with the room (``Sealroom.close``): starting a process pool or joining a
cluster costs far more than a small run, so runs share it. The choice, from the settings:

- ``ray_address`` set: a ``RayRunner`` on that cluster, which must be the owner's
  own (every task carries the owner's key with its chunk);
- else ``psi_workers`` > 1: a ``ProcessRunner`` of that many local processes;
- else inline, in the request's own thread.
"""

from __future__ import annotations

from jobs.psi.runners import InlineRunner, ProcessRunner, ShardRunner
from sealroom.config import Settings


def make_psi_runner(settings: Settings) -> ShardRunner:
    """A new runner as the settings say; the caller closes it (if it has ``close``)."""
    if settings.ray_address:
        # Imported here: Ray is heavy, and only an owner with a cluster needs it.
        from jobs.psi.runners import RayRunner

        return RayRunner(settings.ray_address)
    if settings.psi_workers > 1:
        pool = ProcessRunner(settings.psi_workers)
        pool.start()
        return pool
    return InlineRunner()
