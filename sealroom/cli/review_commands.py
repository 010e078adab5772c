"""`sealroom review list|show|approve|reject|return|approve-code`: the reviewers' side."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jobs import Decision, code_hash
from kms import PartyKeyPair, load_party_key_file
from sealroom.cli.clients import client_for
from sealroom.cli.job_tables import check_report_table, job_table
from sealroom.cli.session import ActingParty, console, read_secret

review_app = typer.Typer(help="Review real-run outputs and code.", no_args_is_help=True)


@review_app.command("list")
def review_list(as_party: ActingParty = None) -> None:
    """Jobs waiting for your review."""
    with client_for(as_party) as client:
        infos = client.reviews()
    table = Table(title="Waiting for your review")
    for column in ("job", "contract", "submitter", "outputs"):
        table.add_column(column)
    for v in infos:
        table.add_row(v.job_id, v.contract_id, v.submitter, ", ".join(o.name for o in v.outputs))
    console.print(table)


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
