"""API tokens: issued by the administrator to one party, scoped, expiring, revocable.

A token reads ``srt_<id>_<secret>``. Only the sha256 of the secret is stored, so a
copy of the database authenticates nobody; the id lets the service find the row
without comparing the secret against every hash, and the comparison itself is
constant-time. Authentication failures on the secret path are deliberately
opaque (``not valid``); only a presenter who holds the right secret learns that
its token expired or was revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from sealroom.errors import ConfigError, NotFound, PermissionDenied, SealroomError
from sealroom.service.actors import Actor, require_admin
from sealroom.service.context import Sealroom
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.models import PartyRecord
from sealroom.store.token_records import ApiTokenRecord

TOKEN_PREFIX = "srt"  # noqa: S105 - the marker that starts every token, not a secret
# What each scope lets a token do; the API's route table names one scope per route.
SCOPES: dict[str, str] = {
    "read": "see the parties, datasets and contracts the party takes part in",
    "write": "register datasets, propose and sign contracts, submit jobs",
    "audit": "read the audit log of the contracts the party takes part in",
    "audit:all": "read and export the whole audit log, every contract's (a platform auditor)",
    "admin": "manage parties and API tokens (system administrator only)",
}
DEFAULT_SCOPES = ("read", "write")
#: ``audit:CONTRACT`` reads one contract's history, for an auditor who is no party of it.
CONTRACT_AUDIT = re.compile(r"^audit:([a-z0-9][a-z0-9_-]{0,62})$")
WHOLE_LOG = "audit:all"
DEFAULT_LIFETIME = timedelta(days=30)
MAX_LIFETIME = timedelta(days=366)
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRejected(SealroomError):
    """The presented API token does not authenticate anybody (HTTP 401)."""


def _not_valid() -> TokenRejected:
    return TokenRejected(
        "the API token is not valid: check that you copied it whole, or ask the "
        "administrator for a new one with `sealroom token issue PARTY`"
    )


@dataclass(frozen=True)
class TokenView:
    token_id: str
    party: str
    scopes: tuple[str, ...]
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    @classmethod
    def of(cls, rec: ApiTokenRecord) -> TokenView:
        return cls(
            token_id=rec.token_id,
            party=rec.party,
            scopes=tuple(rec.scopes),
            label=rec.label,
            created_at=rec.created_at,
            expires_at=rec.expires_at,
            revoked_at=rec.revoked_at,
            last_used_at=rec.last_used_at,
        )


@dataclass(frozen=True)
class IssuedToken:
    """The token as shown once to the administrator; only its hash is kept."""

    token: str
    view: TokenView


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and what its token allows."""

    actor: Actor
    token_id: str
    scopes: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        if scope == "audit":  # any of the audit scopes lets an auditor through the door
            return any(s == "audit" or CONTRACT_AUDIT.match(s) for s in self.scopes)
        return scope in self.scopes

    @property
    def audits_everything(self) -> bool:
        """The whole log: an ``audit:all`` token, or the administrator's audit token."""
        return WHOLE_LOG in self.scopes or (self.actor.is_admin and "audit" in self.scopes)

    def audited_contracts(self, own_contracts: Iterable[str]) -> frozenset[str]:
        """The contracts whose history this token reads: the party's own with ``audit``,
        and each named by an ``audit:CONTRACT`` scope."""
        named = {m.group(1) for s in self.scopes if (m := CONTRACT_AUDIT.match(s))}
        named.discard("all")
        if "audit" in self.scopes:
            named.update(own_contracts)
        return frozenset(named)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_scopes(scopes: Iterable[str], *, is_admin: bool) -> tuple[str, ...]:
    chosen = tuple(sorted(set(scopes)))
    if not chosen:
        raise ConfigError(f"a token needs at least one scope: choose from {', '.join(SCOPES)}")
    unknown = [s for s in chosen if s not in SCOPES and not CONTRACT_AUDIT.match(s)]
    if unknown:
        raise ConfigError(f"unknown token scope {unknown[0]!r}: choose from {', '.join(SCOPES)}")
    if "admin" in chosen and not is_admin:
        raise PermissionDenied(
            "only the system administrator's tokens may carry the admin scope: "
            "issue this party a token without it"
        )
    return chosen


def parse_token(presented: str) -> tuple[str, str]:
    """Splits ``srt_<id>_<secret>``; anything else is simply not a token."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not token_id.isalnum() or len(token_id) > 32 or not secret:
        raise _not_valid()
    return token_id, secret


def issue_token(
    room: Sealroom,
    actor: Actor,
    *,
    party: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    label: str = "",
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> IssuedToken:
    """A new token for ``party``; the returned secret is never shown again."""
    require_admin(actor, "issue API tokens")
    if lifetime <= timedelta(0) or lifetime > MAX_LIFETIME:
        raise ConfigError(
            f"a token lives between one second and {MAX_LIFETIME.days} days: "
            f"choose a shorter lifetime than {lifetime}"
        )
    if len(label) > 200:
        raise ConfigError("a token label is at most 200 characters: shorten it")
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = room.clock()
    with transaction(room.sessions) as session:
        holder = session.get(PartyRecord, party)
        if holder is None:
            raise NotFound("party", party, "register it first with `sealroom party add`")
        chosen = check_scopes(scopes, is_admin=holder.is_admin)
        rec = ApiTokenRecord(
            token_id=token_id,
            party=party,
            secret_sha256=_secret_hash(secret),
            scopes=list(chosen),
            label=label,
            created_at=now,
            expires_at=now + lifetime,
            revoked_at=None,
            last_used_at=None,
        )
        session.add(rec)
        session.flush()
        record(
            session,
            at=now,
            actor=actor.name,
            role=actor.role,
            action="token.issue",
            subject={"party": party, "token": token_id},
            detail={"scopes": list(chosen), "expires_at": rec.expires_at.isoformat()},
        )
        view = TokenView.of(rec)
    return IssuedToken(f"{TOKEN_PREFIX}_{token_id}_{secret}", view)


def list_tokens(room: Sealroom, actor: Actor, party: str | None = None) -> list[TokenView]:
    require_admin(actor, "list API tokens")
    with room.sessions() as session:
        query = select(ApiTokenRecord).order_by(ApiTokenRecord.created_at, ApiTokenRecord.token_id)
        if party is not None:
            query = query.where(ApiTokenRecord.party == party)
        return [TokenView.of(rec) for rec in session.scalars(query)]


def revoke_token(room: Sealroom, actor: Actor, token_id: str) -> TokenView:
    """Revokes at once; revoking a revoked token changes nothing."""
    require_admin(actor, "revoke API tokens")
    with transaction(room.sessions) as session:
        rec = session.get(ApiTokenRecord, token_id)
        if rec is None:
            raise NotFound("API token", token_id, "list the tokens with `sealroom token list`")
        if rec.revoked_at is None:
            rec.revoked_at = room.clock()
            record(
                session,
                at=rec.revoked_at,
                actor=actor.name,
                role=actor.role,
                action="token.revoke",
                subject={"party": rec.party, "token": token_id},
            )
        return TokenView.of(rec)


def authenticate(room: Sealroom, presented: str) -> Principal:
    """The party a presented token acts for; ``TokenRejected`` for anything else."""
    token_id, secret = parse_token(presented)
    now = room.clock()
    with transaction(room.sessions) as session:
        rec = session.get(ApiTokenRecord, token_id)
        # Compared even when the id is unknown, so timing does not tell ids apart.
        stored = rec.secret_sha256 if rec is not None else "0" * 64
        if not hmac.compare_digest(stored, _secret_hash(secret)) or rec is None:
            raise _not_valid()
        if rec.revoked_at is not None:
            raise TokenRejected(
                f"API token {token_id} was revoked at {rec.revoked_at:%Y-%m-%d %H:%M} UTC: "
                "ask the administrator for a new one"
            )
        if now >= rec.expires_at:
            raise TokenRejected(
                f"API token {token_id} expired at {rec.expires_at:%Y-%m-%d %H:%M} UTC: "
                "ask the administrator for a new one with `sealroom token issue`"
            )
        party = session.get(PartyRecord, rec.party)
        assert party is not None, "a token always belongs to a registered party"
        if rec.last_used_at is None or now - rec.last_used_at >= LAST_USED_RESOLUTION:
            rec.last_used_at = now
        actor = Actor(party.name, party.is_admin, party.organisation)
        return Principal(actor, token_id, frozenset(rec.scopes))
