"""`sealroom review list|show|approve|reject|return|approve-code`: the reviewers' side."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from jobs import Decision, code_hash
from kms import PartyKeyPair, load_party_key_file
from sealroom.cli.clients import client_for
from sealroom.cli.job_commands import print_logs
from sealroom.cli.job_tables import check_report_table, job_table
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import ActingParty, console, read_secret
from sealroom.cli.terminal_text import safe, safe_cell
from sealroom.client.models import OutputTableInfo, ReviewInfo
from sealroom.client.row_window import PAGE_ROWS, RowWindow, rest_hint, shown_rows
from sealroom.errors import ConfigError

review_app = typer.Typer(help="Review real-run outputs and code.", no_args_is_help=True)


@review_app.command("list")
def review_list(
    as_party: ActingParty = None, listing_format: FormatOption = ListingFormat.TABLE
) -> None:
    """Jobs waiting for your review."""
    with client_for(as_party) as client:
        infos = client.reviews()
    columns = [Column(name) for name in ("job", "contract", "submitter", "outputs")]
    rows = [
        (v.job_id, v.contract_id, v.submitter, ", ".join(o.name for o in v.outputs)) for v in infos
    ]
    print_listing(Listing("Waiting for your review", columns, rows), listing_format)


@review_app.command("show")
def review_show(
    job_id: str,
    out: Annotated[Path | None, typer.Option(help="Also write the outputs here.")] = None,
    rows: Annotated[
        str | None,
        typer.Option(help="Rows of each output to show, FIRST-LAST (default 1-50)."),
    ] = None,
    page: Annotated[
        int | None, typer.Option(help=f"Page N of each output, {PAGE_ROWS} rows a page.")
    ] = None,
    as_party: ActingParty = None,
) -> None:
    """The outputs as the tables to be released, the checks, the code diff and the logs.

    Everything the job wrote is shown with control and invisible characters as
    escapes (reverse video), so no output can drive or hide from your terminal.
    """
    if rows is not None and page is not None:
        raise ConfigError("give --rows or --page, not both")
    window = RowWindow.parse(rows) if rows else RowWindow.page(page) if page else RowWindow()
    with client_for(as_party) as client:
        view = client.review(job_id, first_row=window.first, last_row=window.last)
    command = f"sealroom review show {job_id}"
    console.print(job_table(view.job))
    console.print(check_report_table(view.check_report))
    quorum = Text(f"quorum: {view.required} of ") + safe(", ".join(view.reviewers))
    quorum += Text("; waiting for ") + safe(", ".join(view.waiting_for) or "nobody")
    console.print(quorum)
    print_code(view)
    for table in view.tables:
        print_output_table(table, command)
    if view.logs is not None:
        print_logs(view.logs)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, encoded in view.outputs.items():
            target = out / Path(name).name  # a name from a server never picks the directory
            target.write_bytes(base64.b64decode(encoded))
            console.print(Text("wrote ") + safe(str(target)))


def print_code(view: ReviewInfo) -> None:
    name = safe(view.job.code_name, style="bold")
    if view.code_diff:
        console.print(Text("code: ") + name + Text(", its diff against the last released code"))
        console.print(safe(view.code_diff, multiline=True))
    else:
        console.print(Text("code: ") + name + Text(" (no earlier release to compare with)"))
        console.print(safe(view.code, multiline=True))


def print_output_table(table: OutputTableInfo, command: str) -> None:
    shown = len(table.rows)
    where = shown_rows(table.first_row, shown, table.total_rows)
    title = safe(table.name, style="bold")
    if table.unreadable is not None:
        lines = where.replace("rows", "lines")
        console.print(title + Text(f": not a table ({lines}): ") + safe(table.unreadable))
        for line in table.rows:
            console.print(safe(line[0] or ""))
    else:
        grid = Table(title=title + Text(f": {where}"), title_justify="left")
        grid.add_column("#", justify="right", style="dim", overflow="fold")
        kinds = table.types + [""] * (len(table.columns) - len(table.types))
        for column, kind in zip(table.columns, kinds, strict=False):
            grid.add_column(safe(column) + Text(f"\n{kind}", style="dim"), overflow="fold")
        for offset, row in enumerate(table.rows):
            grid.add_row(str(table.first_row + offset), *(safe_cell(v) for v in row))
        console.print(grid)
    hint = rest_hint(table.first_row, shown, table.total_rows, command)
    if hint is not None:
        console.print(Text(hint, style="yellow"))


DecisionKeyFile = Annotated[
    Path | None,
    typer.Option(
        help=(
            "Your private key file: your decision is signed with it on this machine "
            "(the platform's staff need none: the service signs with the platform key)."
        )
    ),
]


def _signing_keys(path: Path | None) -> PartyKeyPair | None:
    if path is None:
        return None
    return load_party_key_file(path, read_secret("SEALROOM_KEY_PASSPHRASE", "Key file passphrase"))


def _vote(
    job_id: str, decision: Decision, reason: str, key_file: Path | None, as_party: str | None
) -> None:
    keys = _signing_keys(key_file)
    with client_for(as_party) as client:
        info = client.vote(job_id, decision.value, reason, keys=keys)
    console.print(f"{job_id}: {decision.value} signed and recorded; the job is {info.state}")


@review_app.command("approve")
def review_approve(
    job_id: str, key_file: DecisionKeyFile = None, as_party: ActingParty = None
) -> None:
    """Approve the outputs; the vote that completes the quorum releases them."""
    _vote(job_id, Decision.APPROVE, "", key_file, as_party)


@review_app.command("reject")
def review_reject(
    job_id: str,
    reason: Annotated[str, typer.Option()],
    key_file: DecisionKeyFile = None,
    as_party: ActingParty = None,
) -> None:
    """Reject the outputs with a reason: they are withheld for good."""
    _vote(job_id, Decision.REJECT, reason, key_file, as_party)


@review_app.command("return")
def review_return(
    job_id: str,
    reason: Annotated[str, typer.Option()],
    key_file: DecisionKeyFile = None,
    as_party: ActingParty = None,
) -> None:
    """Return the job for changes, with a reason for the scientist."""
    _vote(job_id, Decision.RETURN_FOR_CHANGES, reason, key_file, as_party)


@review_app.command("approve-code")
def review_approve_code(
    contract: Annotated[str, typer.Option()],
    code: Annotated[Path, typer.Option()],
    key_file: DecisionKeyFile = None,
    as_party: ActingParty = None,
) -> None:
    """Approve CODE for real runs by its hash, interpreter and file name (contracts that
    require code review), signed on this machine."""
    data = code.read_bytes()
    digest = code_hash(data)  # of the code the reviewer read, computed on this machine
    keys = _signing_keys(key_file)
    with client_for(as_party) as client:
        count = client.approve_code(contract, data, code.name, keys=keys).approvals
    console.print(f"approved {code.name} ({digest[:23]}…) for {contract}: {count} approval(s)")
