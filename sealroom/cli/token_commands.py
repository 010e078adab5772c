"""`sealroom token issue|list|revoke`: API tokens for the REST API (administrator only)."""

from __future__ import annotations

from typing import Annotated

import typer

from sealroom.cli.clients import client_for
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import ActingParty, console
from sealroom.service.tokens import DEFAULT_SCOPES, SCOPES

token_app = typer.Typer(
    help="API tokens: per party, scoped, expiring, revocable.", no_args_is_help=True
)


@token_app.command("issue")
def issue(
    party: Annotated[str, typer.Argument(help="The party the token acts for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(help=f"Repeatable; one of {', '.join(SCOPES)} (default: read, write)."),
    ] = None,
    days: Annotated[int, typer.Option(help="Days until it expires (at most 366).")] = 30,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    as_party: ActingParty = None,
) -> None:
    """Issue a token; its secret is printed once and only its hash is kept."""
    scopes = list(scope or DEFAULT_SCOPES)
    with client_for(as_party) as client:
        issued = client.issue_token(party, scopes, label=label, days=days)
    view = issued.info
    console.print(
        f"token {view.token_id} for [bold]{view.party}[/] ({', '.join(view.scopes)}), "
        f"expires {view.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print("hand it over now; it is not shown again:")
    console.print(issued.token, soft_wrap=True, highlight=False)


@token_app.command("list")
def list_(
    party: Annotated[str | None, typer.Option(help="Only this party's tokens.")] = None,
    as_party: ActingParty = None,
    listing_format: FormatOption = ListingFormat.TABLE,
) -> None:
    """Every token with its party, scopes and state (never a secret)."""
    with client_for(as_party) as client:
        tokens = client.tokens(party)
    columns = (
        Column("id"),
        Column("party"),
        Column("scopes"),
        Column("state"),
        Column("expires (UTC)"),
        Column("last used", shown=lambda used: f"{used:%Y-%m-%d %H:%M}" if used else "never"),
        Column("label"),
    )
    rows = [
        (
            t.token_id,
            t.party,
            ", ".join(t.scopes),
            t.state,
            t.expires_at,
            t.last_used_at,
            t.label,
        )
        for t in tokens
    ]
    print_listing(Listing("API tokens", columns, rows), listing_format)


@token_app.command("revoke")
def revoke(token_id: str, as_party: ActingParty = None) -> None:
    """Revoke a token at once; requests with it are refused from now on."""
    with client_for(as_party) as client:
        view = client.revoke_token(token_id)
    console.print(f"token {view.token_id} of {view.party} is revoked")
