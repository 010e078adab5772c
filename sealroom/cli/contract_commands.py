"""`sealroom contract propose|approve|accept|revoke|show|list|verify`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from contracts import ActionKind, Role, load_signed_contract_file, verify_signed_contract
from kms import PartyKeyPair, load_party_key_file
from sealroom.cli.session import ActingParty, acting, console, opened, read_secret
from sealroom.service.contracts import (
    ContractView,
    export_signed,
    list_contracts,
    propose_contract,
    show_contract,
    take_step,
)

contract_app = typer.Typer(help="Data contracts and their signed approvals.", no_args_is_help=True)

KeyFile = Annotated[
    Path | None,
    typer.Option(help="Your private key file (the platform's staff need none: the service signs)."),
]


def _keys(path: Path | None) -> PartyKeyPair | None:
    if path is None:
        return None
    return load_party_key_file(path, read_secret("SEALROOM_KEY_PASSPHRASE", "Key file passphrase"))


def contract_table(view: ContractView) -> Table:
    c = view.contract
    table = Table(show_header=False, title=f"Contract {view.ref}: {c.title}")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("state", f"[bold]{view.state.value}[/]")
    table.add_row("hash", view.contract_hash)
    table.add_row("purpose", c.purpose)
    table.add_row("valid", f"{c.validity.start} to {c.validity.end} ({c.validity.timezone})")
    for party in c.parties:
        table.add_row(f"party {party.name}", ", ".join(r.value for r in party.roles))
    table.add_row("datasets", ", ".join(d.name for d in c.datasets))
    table.add_row("job kinds", ", ".join(k.value for k in c.job_kinds.allowed()))
    signed = [
        f"{s.party} {s.action.value}d ({s.role.value}) at {s.signed_at:%Y-%m-%d %H:%M}"
        for s in view.steps
    ]
    table.add_row("signatures", "\n".join(signed) or "none yet")
    table.add_row("proposed", f"by {view.proposed_by} at {view.proposed_at:%Y-%m-%d %H:%M}")
    return table


@contract_app.command("propose")
def propose(file: Path, as_party: ActingParty = None) -> None:
    """Propose a contract (owner or platform); parties' keys are pinned into it."""
    with opened() as room:
        view = propose_contract(room, acting(room, as_party), file.read_text("utf-8"), file.name)
    console.print(contract_table(view))


def _step(
    action: ActionKind,
    contract_id: str,
    key_file: Path | None,
    as_party: str | None,
    version: int | None,
) -> None:
    keys = _keys(key_file)
    with opened() as room:
        view = take_step(
            room, acting(room, as_party), contract_id, action, keys=keys, version=version
        )
    console.print(f"{view.ref} is now [bold]{view.state.value}[/]")


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
    with opened() as room:
        view = show_contract(room, contract_id, version)
        if signed_out is not None:
            export_signed(room, contract_id, signed_out, version)
    console.print(contract_table(view))
    if signed_out is not None:
        console.print(
            f"signed contract written to {signed_out}: check it with "
            f"`sealroom contract verify {signed_out}`"
        )


@contract_app.command("list")
def list_() -> None:
    """Every contract, latest version, with its state."""
    with opened() as room:
        views = list_contracts(room)
    table = Table(title="Contracts")
    for column in ("id", "version", "title", "state", "owner", "recipients"):
        table.add_column(column)
    for v in views:
        table.add_row(
            v.contract.id,
            str(v.contract.version),
            v.contract.title,
            v.state.value,
            ", ".join(v.contract.holders(Role.OWNER)),
            ", ".join(v.contract.holders(Role.RECIPIENT)),
        )
    console.print(table)


@contract_app.command("verify")
def verify(file: Path) -> None:
    """Check every signature of a signed contract file, offline."""
    result = verify_signed_contract(load_signed_contract_file(file), datetime.now(UTC))
    console.print(
        f"[green]ok[/] {result.contract.ref} hash {result.contract_hash[:16]}…: "
        f"{len(result.approvals)} signature(s) verify; state {result.state.value}"
    )
    for a in result.approvals:
        console.print(f"  {a.party} {a.action.value}d as {a.role.value} at {a.signed_at}")
