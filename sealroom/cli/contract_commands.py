"""`sealroom contract propose|approve|accept|revoke|show|list|verify`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from contracts import (
    ActionKind,
    Contract,
    Role,
    dump_contract_yaml,
    load_contract,
    load_signed_contract_file,
    verify_signed_contract,
)
from kms import PartyKeyPair, load_party_key_file
from sealroom.api.convert import contract_info
from sealroom.cli.remote import actor_of, check_acting_party, chosen_server, connected
from sealroom.cli.session import (
    ActingParty,
    acting,
    console,
    note_runs_locally,
    opened,
    read_secret,
)
from sealroom.client import Client, Partner
from sealroom.client.models import ContractInfo
from sealroom.errors import PermissionDenied
from sealroom.service.contracts import (
    STEP_ROLES,
    ContractView,
    acting_party,
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


def as_info(view: ContractInfo | ContractView) -> ContractInfo:
    """The API's form of a contract, whether read over HTTP or from the local store."""
    if isinstance(view, ContractInfo):
        return view
    return contract_info(view, dump_contract_yaml(view.contract))


def parsed(info: ContractInfo) -> Contract:
    return load_contract(info.document, f"{info.id} v{info.version}")


def contract_table(view: ContractInfo | ContractView) -> Table:
    info = as_info(view)
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
    view: ContractInfo | ContractView
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            view = client.propose_contract(file)
    else:
        with opened() as room:
            view = propose_contract(
                room, acting(room, as_party), file.read_text("utf-8"), file.name
            )
    console.print(contract_table(view))


def _step(
    action: ActionKind,
    contract_id: str,
    key_file: Path | None,
    as_party: str | None,
    version: int | None,
) -> None:
    keys = _keys(key_file)
    if (server := chosen_server()) is not None:
        with connected(server) as client:
            info = _remote_step(client, action, contract_id, keys, as_party, version)
        console.print(f"{info.id} v{info.version} is now [bold]{info.state}[/]")
        return
    with opened() as room:
        view = take_step(
            room, acting(room, as_party), contract_id, action, keys=keys, version=version
        )
    console.print(f"{view.ref} is now [bold]{view.state.value}[/]")


def _remote_step(
    client: Client,
    action: ActionKind,
    contract_id: str,
    keys: PartyKeyPair | None,
    as_party: str | None,
    version: int | None,
) -> ContractInfo:
    """The same choice of party and role as the local path; the signature is made here."""
    who = client.me()
    check_acting_party(who, as_party)
    info = client.contract(contract_id, version)
    party, role = acting_party(actor_of(who), parsed(info), STEP_ROLES[action])
    if role is Role.PLATFORM:
        # The platform's signing key never leaves the server: its staff ask it to sign.
        return client.platform_step(contract_id, action.value, version)
    if keys is None:
        raise PermissionDenied(
            f"{party} signs its {action.value} of {info.id} v{info.version} with its own key: "
            "pass --key-file"
        )
    if role is Role.RECIPIENT:
        partner = Partner(client, party, keys)
        if action is ActionKind.ACCEPT:
            return partner.accept(contract_id, version)
        return partner.revoke(contract_id, version)
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
    view: ContractInfo | ContractView
    if (server := chosen_server()) is not None:
        with connected(server) as client:
            view = client.contract(contract_id, version)
            if signed_out is not None:
                client.signed_contract(contract_id, signed_out, version)
    else:
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
    if (server := chosen_server()) is not None:
        with connected(server) as client:
            infos = client.contracts()
    else:
        with opened() as room:
            infos = [as_info(v) for v in list_contracts(room)]
    table = Table(title="Contracts")
    for column in ("id", "version", "title", "state", "owner", "recipients"):
        table.add_column(column)
    for info in infos:
        table.add_row(
            info.id,
            str(info.version),
            info.title,
            info.state,
            ", ".join(p.name for p in info.parties if Role.OWNER.value in p.roles),
            ", ".join(p.name for p in info.parties if Role.RECIPIENT.value in p.roles),
        )
    console.print(table)


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
