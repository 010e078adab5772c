"""`sealroom job submit|status|wait|list|logs|cancel|outputs`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from sealroom.cli.clients import client_for
from sealroom.cli.job_tables import STATE_STYLE, check_report_table, drift_lines, job_table
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import ActingParty, console
from sealroom.cli.terminal_text import safe
from sealroom.client.models import JobInfo, JobLogs
from sealroom.client.protocol import SealroomClient
from sealroom.errors import ConfigError

job_app = typer.Typer(help="Submit and follow analysis jobs.", no_args_is_help=True)


@job_app.command("submit")
def submit(
    contract: Annotated[str, typer.Option(help="The contract id, e.g. c-12.")],
    code: Annotated[Path, typer.Option(help="A Python file or a shell script.")],
    mode: Annotated[str, typer.Option(help="debug (masked sample) or real.")] = "debug",
    wait: Annotated[
        bool,
        typer.Option(help="Wait for the result (locally: run it now in this process)."),
    ] = True,
    as_party: ActingParty = None,
) -> None:
    """Submit CODE under CONTRACT; the gate admits or refuses it with a reason."""
    if mode not in ("debug", "real"):
        raise ConfigError(f"--mode {mode!r}: use debug or real")
    with client_for(as_party) as client:
        info = client.submit_job(contract, code, mode=mode)
        console.print(f"{info.job_id} admitted by the gate: {info.state}")
        if wait:
            info = client.wait_for_submitted(info.job_id)
        show_job(client, info)


def show_job(client: SealroomClient, info: JobInfo) -> None:
    console.print(job_table(info))
    for line in drift_lines(client.sample_drift(info.job_id)):
        console.print(safe(line))  # column names are the owner's data: never markup
    if info.check_report:
        console.print(check_report_table(info.check_report))


@job_app.command("status")
def status(job_id: str, as_party: ActingParty = None) -> None:
    """The job's state, reason, outputs and check report."""
    with client_for(as_party) as client:
        show_job(client, client.job(job_id))


@job_app.command("wait")
def wait_for(
    job_id: str,
    timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 900,
    poll: Annotated[float, typer.Option(help="Seconds between looks.")] = 2.0,
    as_party: ActingParty = None,
) -> None:
    """Wait until a worker has run the job, then show it as `job status` does."""
    with client_for(as_party) as client:
        show_job(client, client.wait_for_job(job_id, timeout=timeout, poll=poll))


@job_app.command("list")
def list_(
    contract: Annotated[str | None, typer.Option()] = None,
    listing_format: FormatOption = ListingFormat.TABLE,
) -> None:
    """Jobs, oldest first."""
    with client_for() as client:
        if contract is not None:
            infos = client.jobs(contract)
        elif client.lists_every_job:
            infos = client.every_job()
        else:
            raise ConfigError(
                "with --server, name the contract: `sealroom job list --contract C` (the API "
                "lists jobs per contract, for those who follow it)"
            )
    columns = (
        Column("job"),
        Column("contract"),
        Column("mode"),
        Column("submitter"),
        Column("state", style=lambda state: STATE_STYLE.get(str(state))),
        Column("reason"),
    )
    rows = [(v.job_id, v.contract_id, v.mode, v.submitter, v.state, v.reason) for v in infos]
    print_listing(Listing("Jobs", columns, rows), listing_format)


@job_app.command("logs")
def logs(job_id: str, as_party: ActingParty = None) -> None:
    """What the job printed (kept up to the sandbox's log cap); a real run's, to reviewers."""
    with client_for(as_party) as client:
        found = client.job_logs(job_id)
    print_logs(found)


def print_logs(found: JobLogs) -> None:
    """What the job printed, escapes shown: a job's log must not drive the reader's terminal."""
    for stream, capture in (("stdout", found.stdout), ("stderr", found.stderr)):
        cut = " (cut by the sandbox's log cap: the rest was not kept)" if capture.truncated else ""
        console.print(Text(stream, style="bold") + Text(cut))
        console.print(safe(capture.text, multiline=True))


@job_app.command("cancel")
def cancel(job_id: str, as_party: ActingParty = None) -> None:
    """Withdraw a job that has not been decided yet."""
    with client_for(as_party) as client:
        info = client.cancel_job(job_id)
    console.print(f"{info.job_id}: {info.state}")


@job_app.command("outputs")
def outputs(
    job_id: str, out: Annotated[Path, typer.Option()], as_party: ActingParty = None
) -> None:
    """A debug run's outputs (from the masked sample), for its submitter."""
    with client_for(as_party) as client:
        files = client.debug_outputs(job_id)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = out / Path(name).name  # a name from a server never picks the directory
        target.write_bytes(data)
        console.print(f"wrote {target} ({len(data)} bytes)")
