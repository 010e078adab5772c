"""`sealroom review list|show|approve|reject|return|approve-code`: the reviewers' side."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer

from jobs import Decision, code_hash
from sealroom.cli.clients import client_for
from sealroom.cli.job_tables import check_report_table, job_table
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import ActingParty, console

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
    as_party: ActingParty = None,
) -> None:
    """Outputs, check report, code and its diff against the last released version."""
    with client_for(as_party) as client:
        view = client.review(job_id)
    console.print(job_table(view.job))
    console.print(check_report_table(view.check_report))
    console.print(
        f"quorum: {view.required} of {', '.join(view.reviewers)}; waiting for "
        f"{', '.join(view.waiting_for) or 'nobody'}"
    )
    console.print(view.code_diff or view.code, markup=False, highlight=False)
    for name, encoded in view.outputs.items():
        data = base64.b64decode(encoded)
        console.print(f"[bold]{name}[/]")
        console.print(data.decode("utf-8", "replace")[:4000], markup=False, highlight=False)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / Path(name).name).write_bytes(data)


def _vote(job_id: str, decision: Decision, reason: str, as_party: str | None) -> None:
    with client_for(as_party) as client:
        info = client.vote(job_id, decision.value, reason)
    console.print(f"{job_id}: {decision.value} recorded; the job is {info.state}")


@review_app.command("approve")
def review_approve(job_id: str, as_party: ActingParty = None) -> None:
    """Approve the outputs; the vote that completes the quorum releases them."""
    _vote(job_id, Decision.APPROVE, "", as_party)


@review_app.command("reject")
def review_reject(
    job_id: str, reason: Annotated[str, typer.Option()], as_party: ActingParty = None
) -> None:
    """Reject the outputs with a reason: they are withheld for good."""
    _vote(job_id, Decision.REJECT, reason, as_party)


@review_app.command("return")
def review_return(
    job_id: str, reason: Annotated[str, typer.Option()], as_party: ActingParty = None
) -> None:
    """Return the job for changes, with a reason for the scientist."""
    _vote(job_id, Decision.RETURN_FOR_CHANGES, reason, as_party)


@review_app.command("approve-code")
def review_approve_code(
    contract: Annotated[str, typer.Option()],
    code: Annotated[Path, typer.Option()],
    as_party: ActingParty = None,
) -> None:
    """Approve CODE by hash for real runs (contracts that require code review)."""
    data = code.read_bytes()
    digest = code_hash(data)  # of the code the reviewer read, computed on this machine
    with client_for(as_party) as client:
        count = client.approve_code(contract, data).approvals
    console.print(f"approved {code.name} ({digest[:23]}…) for {contract}: {count} approval(s)")
