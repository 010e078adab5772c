"""The audit log as parties use it: signed heads, exports, proofs, the timeline.

Tree heads are signed with the platform's service key. Verification needs no
store: it runs from the exported files and the platform's public key, so an
auditor checks history on a machine the platform never touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kms import PartyKeyPair, PartyPublicKeys, sign
from sealroom.audit import (
    ConsistencyProof,
    InclusionProof,
    LoggedEvent,
    SignedTreeHead,
    VerificationReport,
    consistency_proof,
    export_log,
    find_event,
    inclusion_proof,
    latest_tree_head,
    query_events,
    sign_tree_head,
    verify_log_file,
    write_tree_head,
)
from sealroom.service.context import Sealroom
from sealroom.service.service_keys import load_service_key
from sealroom.service.setup import PLATFORM
from sealroom.store.database import transaction
from sealroom.store.models import PartyRecord


class PartyKeySigner:
    """Signs tree heads with a party's Ed25519 key held in a kms key pair."""

    def __init__(self, keys: PartyKeyPair) -> None:
        self._keys = keys

    def public_key(self) -> bytes:
        return self._keys.public.ed25519

    def sign(self, message: bytes) -> bytes:
        return sign(self._keys, message)


@dataclass(frozen=True)
class AuditExport:
    log: Path
    head: Path
    public_key: Path
    head_value: SignedTreeHead


def sign_head(room: Sealroom) -> SignedTreeHead:
    """Signs the log as it stands now (signing changes no history, so it is not an event)."""
    with transaction(room.sessions) as session:
        keys = load_service_key(session, room, PLATFORM)
        return sign_tree_head(session, PartyKeySigner(keys), room.clock())


def latest_head(room: Sealroom) -> SignedTreeHead | None:
    with room.sessions() as session:
        return latest_tree_head(session)


def platform_public_keys(room: Sealroom) -> PartyPublicKeys:
    with room.sessions() as session:
        rec = session.get(PartyRecord, PLATFORM)
        assert rec is not None, "the platform party is created by `sealroom init`"
        return PartyPublicKeys(x25519=rec.x25519_public, ed25519=rec.ed25519_public)


def export_audit(room: Sealroom, out_dir: Path) -> AuditExport:
    """Signs a fresh head and writes the log up to it, the head and the platform key."""
    out_dir.mkdir(parents=True, exist_ok=True)
    head = sign_head(room)
    log_path, head_path, key_path = (
        out_dir / "audit-log.jsonl",
        out_dir / "tree-head.json",
        out_dir / "platform.pub.json",
    )
    with room.sessions() as session, log_path.open("w", encoding="utf-8") as out:
        export_log(session, out, head.tree_size)
    write_tree_head(head, head_path)
    key_path.write_text(
        json.dumps(platform_public_keys(room).to_json(), indent=2) + "\n", encoding="utf-8"
    )
    return AuditExport(log_path, head_path, key_path, head)


def read_public_key(path: Path) -> bytes:
    return PartyPublicKeys.from_json(json.loads(path.read_text(encoding="utf-8"))).ed25519


def verify_export(log: Path, heads: list[SignedTreeHead], public_key: bytes) -> VerificationReport:
    """Offline: every entry re-hashed, the tree rebuilt, each head's root and signature checked."""
    return verify_log_file(log, heads, public_key)


def prove_event(
    room: Sealroom, event_id: str
) -> tuple[LoggedEvent, InclusionProof, SignedTreeHead]:
    head = sign_head(room)
    with room.sessions() as session:
        event = find_event(session, event_id)
        return event, inclusion_proof(session, event.index, head.tree_size), head


def prove_consistency(
    room: Sealroom, old: SignedTreeHead
) -> tuple[ConsistencyProof, SignedTreeHead]:
    head = sign_head(room)
    with room.sessions() as session:
        return consistency_proof(session, old.tree_size, head.tree_size), head


def timeline(
    room: Sealroom,
    *,
    contract: str | None = None,
    job: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[LoggedEvent]:
    with room.sessions() as session:
        return query_events(
            session,
            contract=contract,
            job=job,
            actor=actor,
            action=action,
            since=since,
            until=until,
        )
