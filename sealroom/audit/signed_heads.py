"""The tree heads the platform signs over the stored log, kept in the store.

Signing never commits: the caller's transaction keeps the head with whatever
else it records.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sealroom.audit.records import SignedTreeHeadRecord
from sealroom.audit.stored_tree import current_root
from sealroom.audit.tree_head import SignedTreeHead, TreeHeadSigner, sign_head


def sign_tree_head(session: Session, signer: TreeHeadSigner, now: datetime) -> SignedTreeHead:
    """Signs the log's current head and keeps the signed head in the store (no commit)."""
    state = current_root(session)
    head = sign_head(signer, state.tree_size, state.root_hash, now)
    session.execute(
        insert(SignedTreeHeadRecord).values(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp=head.timestamp,
            key_fingerprint=head.key_fingerprint,
            signature=head.signature,
        )
    )
    return head


def latest_tree_head(session: Session) -> SignedTreeHead | None:
    record = session.scalars(
        select(SignedTreeHeadRecord)
        .order_by(SignedTreeHeadRecord.tree_size.desc(), SignedTreeHeadRecord.id.desc())
        .limit(1)
    ).one_or_none()
    if record is None:
        return None
    return SignedTreeHead(
        tree_size=record.tree_size,
        root_hash=record.root_hash,
        timestamp=record.timestamp,
        key_fingerprint=record.key_fingerprint,
        signature=record.signature,
    )
