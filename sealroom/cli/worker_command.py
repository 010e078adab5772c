"""`sealroom worker`: runs the queued jobs of the store on this machine."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from sealroom.cli.session import console, opened
from sealroom.service.job_runner import RecoveredJob, recover_jobs, run_next_job


def worker(
    once: Annotated[bool, typer.Option(help="Process the queue once and stop.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the queue.")] = 2.0,
) -> None:
    """Run queued jobs; on start, recover jobs a killed worker left running."""
    idle = threading.Event()
    # SIGTERM ends the worker as Ctrl-C does: the running sandbox is removed, the job
    # goes back to the queue, and the store is closed, instead of dying mid-write.
    signal.signal(signal.SIGTERM, _stop)
    with opened() as room:
        _report(recover_jobs(room))
        while True:
            view = run_next_job(room)
            if view is not None:
                console.print(f"{view.job_id}: {view.state.value} {view.reason}")
                continue
            if once:
                return
            # Workers share the store: another's killed jobs are taken up here.
            _report(recover_jobs(room))
            idle.wait(poll)


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _report(recovered: list[RecoveredJob]) -> None:
    for item in recovered:
        console.print(f"recovered {item.job_id}: {item.event} ({item.reason})")
