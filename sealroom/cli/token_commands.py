"""`sealroom token issue|list|revoke`: API tokens for the REST API (administrator only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from sealroom.api.convert import token_info
from sealroom.cli.remote import chosen_server, connected
from sealroom.cli.session import ActingParty, acting, console, opened
from sealroom.client.models import IssuedTokenInfo
from sealroom.service.tokens import DEFAULT_SCOPES, SCOPES, issue_token, list_tokens, revoke_token

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
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            issued = client.issue_token(party, scopes, label=label, days=days)
    else:
        with opened() as room:
            made = issue_token(
                room,
                acting(room, as_party),
                party=party,
                scopes=scopes,
                label=label,
                lifetime=timedelta(days=days),
            )
            issued = IssuedTokenInfo(token=made.token, info=token_info(made.view, room.clock()))
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
) -> None:
    """Every token with its party, scopes and state (never a secret)."""
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            tokens = client.tokens(party)
    else:
        with opened() as room:
            now = room.clock()
            tokens = [token_info(t, now) for t in list_tokens(room, acting(room, as_party), party)]
    table = Table(title="API tokens")
    for column in ("id", "party", "scopes", "state", "expires (UTC)", "last used", "label"):
        table.add_column(column)
    for t in tokens:
        table.add_row(
            t.token_id,
            t.party,
            ", ".join(t.scopes),
            t.state,
            f"{t.expires_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
            t.label,
        )
    console.print(table)


@token_app.command("revoke")
def revoke(token_id: str, as_party: ActingParty = None) -> None:
    """Revoke a token at once; requests with it are refused from now on."""
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            view = client.revoke_token(token_id)
    else:
        with opened() as room:
            view = token_info(revoke_token(room, acting(room, as_party), token_id), room.clock())
    console.print(f"token {view.token_id} of {view.party} is revoked")
