"""`sealroom contract propose|approve|accept|revoke|show|list|verify|leakage`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from contracts import (
    ActionKind,
    Contract,
    Role,
    load_contract,
    load_signed_contract_file,
    verify_signed_contract,
)
from kms import PartyKeyPair, load_party_key_file
from sealroom.cli.clients import client_for, note_runs_locally
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.remote import actor_of
from sealroom.cli.session import ActingParty, console, read_secret
from sealroom.client.models import ContractInfo, LeakageLedgerInfo
from sealroom.client.protocol import SealroomClient
from sealroom.errors import PermissionDenied
from sealroom.service.actors import acting_party
from sealroom.service.contracts import STEP_ROLES

contract_app = typer.Typer(help="Data contracts and their signed approvals.", no_args_is_help=True)

KeyFile = Annotated[
    Path | None,
    typer.Option(help="Your private key file (the platform's staff need none: the service signs)."),
]


def _keys(path: Path | None) -> PartyKeyPair | None:
    if path is None:
        return None
    return load_party_key_file(path, read_secret("SEALROOM_KEY_PASSPHRASE", "Key file passphrase"))


def parsed(info: ContractInfo) -> Contract:
    return load_contract(info.document, f"{info.id} v{info.version}")


def contract_table(info: ContractInfo) -> Table:
    validity = parsed(info).validity
    table = Table(show_header=False, title=f"Contract {info.id} v{info.version}: {info.title}")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("state", f"[bold]{info.state}[/]")
    table.add_row("hash", info.contract_hash)
    table.add_row("purpose", info.purpose)
    table.add_row("valid", f"{validity.start} to {validity.end} ({validity.timezone})")
    for party in info.parties:
        table.add_row(f"party {party.name}", ", ".join(party.roles))
    table.add_row("datasets", ", ".join(info.datasets))
    table.add_row("job kinds", ", ".join(info.job_kinds))
    signed = [
        f"{s.party} {s.action}d ({s.role}) at {s.signed_at:%Y-%m-%d %H:%M}" for s in info.steps
    ]
    table.add_row("signatures", "\n".join(signed) or "none yet")
    table.add_row("proposed", f"by {info.proposed_by} at {info.proposed_at:%Y-%m-%d %H:%M}")
    return table


@contract_app.command("propose")
def propose(file: Path, as_party: ActingParty = None) -> None:
    """Propose a contract (owner or platform); parties' keys are pinned into it."""
    with client_for(as_party) as client:
        info = client.propose_contract(file)
    console.print(contract_table(info))


def _step(
    action: ActionKind,
    contract_id: str,
    key_file: Path | None,
    as_party: str | None,
    version: int | None,
) -> None:
    keys = _keys(key_file)
    with client_for(as_party) as client:
        info = _signed_step(client, action, contract_id, keys, version)
    console.print(f"{parsed(info).ref} is now [bold]{info.state}[/]")


def _signed_step(
    client: SealroomClient,
    action: ActionKind,
    contract_id: str,
    keys: PartyKeyPair | None,
    version: int | None,
) -> ContractInfo:
    """The acting party's step, signed on this machine with its own key."""
    who = client.me()
    info = client.contract(contract_id, version)
    contract = parsed(info)
    party, role = acting_party(actor_of(who), contract, STEP_ROLES[action])
    if role is Role.PLATFORM:
        # The platform's signing key never leaves the service: its staff ask it to sign.
        return client.platform_step(contract_id, action.value, version)
    if keys is None:
        raise PermissionDenied(
            f"{party} signs its {action.value} of {contract.ref} with its own key: pass --key-file"
        )
    return client.sign_step(contract_id, action, party=party, role=role, keys=keys, version=version)


@contract_app.command("approve")
def approve(
    contract_id: str,
    key_file: KeyFile = None,
    version: int | None = None,
    as_party: ActingParty = None,
) -> None:
    """Approve as the owner or the platform (dual authorisation)."""
    _step(ActionKind.APPROVE, contract_id, key_file, as_party, version)


@contract_app.command("accept")
def accept(
    contract_id: str,
    key_file: KeyFile = None,
    version: int | None = None,
    as_party: ActingParty = None,
) -> None:
    """Accept as a recipient; the contract is active once every recipient accepted."""
    _step(ActionKind.ACCEPT, contract_id, key_file, as_party, version)


@contract_app.command("revoke")
def revoke(
    contract_id: str,
    key_file: KeyFile = None,
    version: int | None = None,
    as_party: ActingParty = None,
) -> None:
    """Revoke at once (any owner, the platform or a recipient): the kill switch."""
    _step(ActionKind.REVOKE, contract_id, key_file, as_party, version)


@contract_app.command("show")
def show(
    contract_id: str,
    version: int | None = None,
    signed_out: Annotated[
        Path | None, typer.Option(help="Also write the signed file here.")
    ] = None,
) -> None:
    """Parties, state, who signed, what is allowed."""
    with client_for() as client:
        info = client.contract(contract_id, version)
        if signed_out is not None:
            client.signed_contract(contract_id, signed_out, version)
    console.print(contract_table(info))
    if signed_out is not None:
        console.print(
            f"signed contract written to {signed_out}: check it with "
            f"`sealroom contract verify {signed_out}`"
        )


@contract_app.command("list")
def list_(listing_format: FormatOption = ListingFormat.TABLE) -> None:
    """Every contract, latest version, with its state."""
    with client_for() as client:
        infos = client.contracts()
    columns = [Column(name) for name in ("id", "version", "title", "state", "owner", "recipients")]
    rows = [
        (
            info.id,
            info.version,
            info.title,
            info.state,
            ", ".join(p.name for p in info.parties if Role.OWNER.value in p.roles),
            ", ".join(p.name for p in info.parties if Role.RECIPIENT.value in p.roles),
        )
        for info in infos
    ]
    print_listing(Listing("Contracts", columns, rows), listing_format)


@contract_app.command("verify")
def verify(file: Path) -> None:
    """Check every signature of a signed contract file, offline."""
    note_runs_locally()
    result = verify_signed_contract(load_signed_contract_file(file), datetime.now(UTC))
    console.print(
        f"[green]ok[/] {result.contract.ref} hash {result.contract_hash[:16]}…: "
        f"{len(result.approvals)} signature(s) verify; state {result.state.value}"
    )
    for a in result.approvals:
        console.print(f"  {a.party} {a.action.value}d as {a.role.value} at {a.signed_at}")


LEAKAGE_CSV_COLUMNS = (
    "release_id",
    "released_at",
    "contract_version",
    "entry",
    "file",
    "key",
    "count",
    "statistics",
    "noised",
    "epsilon",
    "delta",
)


@contract_app.command("leakage")
def leakage(
    contract_id: str,
    output_format: FormatOption = ListingFormat.TABLE,
    as_party: ActingParty = None,
) -> None:
    """What the contract's releases showed (groups, counts, PSI sizes) and spent (epsilon)."""
    with client_for(as_party) as client:
        ledger = client.contract_leakage(contract_id)
    if output_format is ListingFormat.JSON:
        print(ledger.model_dump_json(indent=2))
    elif output_format is ListingFormat.CSV:
        print(leakage_csv(ledger), end="")
    else:
        console.print(leakage_table(ledger))
        console.print(budget_line(ledger))


def key_text(key: list[tuple[str, str]]) -> str:
    return " & ".join(f"{column}={value}" for column, value in key) or "(all rows)"


def leakage_csv(ledger: LeakageLedgerInfo) -> str:
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(LEAKAGE_CSV_COLUMNS)
    for e in ledger.entries:
        writer.writerow(
            (
                e.release_id,
                e.released_at.isoformat(),
                e.contract_version,
                e.entry,
                e.file,
                key_text(e.key) if e.entry != "dp_spend" else "",
                "" if e.count is None else e.count,
                json.dumps(e.statistics, ensure_ascii=False) if e.statistics else "",
                str(e.noised).lower(),
                "" if e.epsilon is None else repr(e.epsilon),
                "" if e.delta is None else repr(e.delta),
            )
        )
    return sink.getvalue()


def leakage_table(ledger: LeakageLedgerInfo) -> Table:
    table = Table(title=f"Leakage ledger of {ledger.contract_id}")
    for column in ("release", "released", "entry", "file", "group", "count", "statistics", "ε"):
        table.add_column(column, overflow="fold")
    for e in ledger.entries:
        statistics = ", ".join(f"{k}={v:g}" for k, v in e.statistics.items())
        table.add_row(
            e.release_id,
            f"{e.released_at:%Y-%m-%d %H:%M}",
            e.entry + (" (noised)" if e.noised else ""),
            e.file,
            key_text(e.key) if e.entry != "dp_spend" else "",
            "" if e.count is None else f"{e.count:,}",
            statistics,
            "" if e.epsilon is None else f"{e.epsilon:g}",
        )
    return table


def budget_line(ledger: LeakageLedgerInfo) -> str:
    groups = f"groups differing by fewer than {ledger.min_group_size} persons are refused"
    if ledger.budget_epsilon is None:
        return f"no differential-privacy budget; {groups}"
    return (
        f"privacy budget: epsilon {ledger.spent_epsilon:g} of {ledger.budget_epsilon:g} spent, "
        f"delta {ledger.spent_delta:g} of {ledger.budget_delta or 0:g}; {groups}"
    )
