"""`sealroom party add|list|show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kms import PartyPublicKeys
from sealroom.cli.clients import client_for
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import ActingParty, console, read_secret
from sealroom.client.models import PartyInfo
from sealroom.errors import ConfigError

party_app = typer.Typer(help="Organisations and the people acting for them.", no_args_is_help=True)


def load_public_keys(path: Path) -> PartyPublicKeys:
    try:
        return PartyPublicKeys.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(
            f"{path} is not a public-key file ({err}): create one with "
            "`sealroom keys generate --out NAME.key`, which writes NAME.key.pub.json"
        ) from None


@party_app.command("add")
def add(
    name: str,
    kind: Annotated[str, typer.Option(help="organisation or person")] = "organisation",
    org: Annotated[str | None, typer.Option(help="The organisation a person acts for.")] = None,
    display_name: Annotated[str, typer.Option(help="A readable name.")] = "",
    issue_keys_to: Annotated[
        Path | None,
        typer.Option(help="Issue a key pair; its private half is written here, once."),
    ] = None,
    public_keys: Annotated[
        Path | None,
        typer.Option(help="Register the party's own public keys (from `sealroom keys generate`)."),
    ] = None,
    as_party: ActingParty = None,
) -> None:
    """Register a party (system administrator only)."""
    if kind not in ("organisation", "person"):
        raise ConfigError(f"--kind {kind!r}: use organisation or person")
    if (issue_keys_to is None) == (public_keys is None):
        raise ConfigError(
            "give exactly one of --issue-keys-to FILE (the platform issues the pair) or "
            "--public-keys FILE (the party registers its own)"
        )
    with client_for(as_party) as client:
        if public_keys is not None:
            view = client.add_party(
                name,
                load_public_keys(public_keys),
                kind=kind,
                organisation=org,
                display_name=display_name,
            )
        elif not client.issues_key_pairs:
            raise ConfigError(
                "with --server, register the party's own public keys (--public-keys FILE from "
                "`sealroom keys generate`): the server never sends a private key over the network"
            )
        else:
            assert issue_keys_to is not None
            secret = read_secret("SEALROOM_KEY_PASSPHRASE", "Passphrase for the issued key file")
            view = client.add_party_issuing_keys(
                name,
                issue_keys_to,
                secret,
                kind=kind,
                organisation=org,
                display_name=display_name,
            )
    print_added(view)
    if issue_keys_to is not None:
        console.print(
            f"its private keys are in {issue_keys_to}: hand the file over; no copy is kept"
        )


def print_added(view: PartyInfo) -> None:
    console.print(f"added {view.kind} [bold]{view.name}[/] ({view.key_origin} keys)")


def party_listing(parties: list[PartyInfo]) -> Listing:
    columns = [
        Column(name) for name in ("name", "kind", "organisation", "admin", "keys", "signing key")
    ]
    rows = [
        (p.name, p.kind, p.organisation, p.is_admin, p.key_origin, p.ed25519_fingerprint)
        for p in parties
    ]
    return Listing("Parties", columns, rows)


@party_app.command("list")
def list_(listing_format: FormatOption = ListingFormat.TABLE) -> None:
    """List the registered parties."""
    with client_for() as client:
        parties = client.parties()
    print_listing(party_listing(parties), listing_format)


@party_app.command("show")
def show(name: str) -> None:
    """Show one party and its public key fingerprints."""
    with client_for() as client:
        p = client.party(name)
    table = Table(show_header=False, title=f"Party {p.name}")
    table.add_column("field", style="bold")
    table.add_column("value")
    for field, value in (
        ("name", p.name),
        ("display name", p.display_name),
        ("kind", p.kind),
        ("organisation", p.organisation or "-"),
        ("system administrator", "yes" if p.is_admin else "no"),
        ("keys", p.key_origin),
        ("X25519 (sealing)", p.x25519_fingerprint),
        ("Ed25519 (signing)", p.ed25519_fingerprint),
    ):
        table.add_row(field, value)
    console.print(table)
