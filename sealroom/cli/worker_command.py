"""`sealroom worker`: runs the queued jobs of the store on this machine."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from sealroom.cli.session import console, opened
from sealroom.cli.stopping import exit_on_sigterm
from sealroom.service.contract_ending import StoppedWork, sweep_ended_contracts
from sealroom.service.job_runner import RecoveredJob, recover_jobs, run_next_job, sweep_work_dir


def worker(
    once: Annotated[bool, typer.Option(help="Process the queue once and stop.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the queue.")] = 2.0,
) -> None:
    """Run queued jobs; on start, recover jobs a killed worker left running."""
    idle = threading.Event()
    exit_on_sigterm()
    with opened() as room:
        # Before anything else: a killed worker's runs may still hold decrypted inputs.
        swept = sweep_work_dir(room)
        for name in swept.volumes:
            console.print(f"removed the memory volume a killed run left: {name}")
        for name in swept.groups:
            console.print(f"removed the control group a killed run left: {name}")
        _report(recover_jobs(room))
        _report_stopped(sweep_ended_contracts(room))
        while True:
            view = run_next_job(room)
            if view is not None:
                console.print(f"{view.job_id}: {view.state.value} {view.reason}")
                continue
            if once:
                return
            # Workers share the store: another's killed jobs are taken up here.
            _report(recover_jobs(room))
            # An expired contract's work stops here even if nobody acts on it.
            _report_stopped(sweep_ended_contracts(room))
            idle.wait(poll)


def _report(recovered: list[RecoveredJob]) -> None:
    for item in recovered:
        console.print(f"recovered {item.job_id}: {item.event} ({item.reason})")


def _report_stopped(stopped: list[StoppedWork]) -> None:
    for item in stopped:
        cancelled = ", ".join(item.cancelled) or "no jobs"
        shredded = "; its key destroyed" if item.key_destroyed else ""
        console.print(
            f"stopped {item.contract_id} v{item.version}: cancelled {cancelled}{shredded} "
            f"({item.reason})"
        )
