"""How the long-running commands (`serve`, `worker`) stop: SIGTERM as Ctrl-C does.

Python's default SIGTERM ends the process on the spot: no ``finally``, no
``Sealroom.close``, so the PSI worker pool (a forkserver and its workers) is
left running under init and a running job is left to be recovered. Raising
``SystemExit`` instead unwinds the command like Ctrl-C: the running sandbox is
removed, the job goes back to the queue, the pools are shut down. uvicorn
re-raises the signal it caught once it has shut down, which lands here too.
"""

from __future__ import annotations

import signal
from types import FrameType


def exit_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _exit)


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
