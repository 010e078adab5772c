"""Exporting the audit log as JSON Lines a party verifies offline (``verify_log_file``)."""

from __future__ import annotations

from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealroom.audit.records import EVENTS_TABLE, stored_leaf_bytes
from sealroom.audit.stored_tree import check_tree_size


def export_line(index: int, data: bytes, hashed: bytes) -> bytes:
    """One line of the export: the leaf bytes verbatim, its index and its stored hash.

    The line is itself canonical JSON (keys ``event`` < ``index`` < ``leaf_hash``).
    """
    return b'{"event":%s,"index":%d,"leaf_hash":"%s"}\n' % (data, index, hashed.hex().encode())


def export_log(session: Session, out: TextIO, tree_size: int | None = None) -> int:
    """Writes the first ``tree_size`` entries (default: all) as JSON Lines; returns the count.

    Each line is rebuilt from the stored fields exactly as they are, without
    validating them, and carries the leaf hash *as stored*: a tampered field shows
    up offline as an entry whose content no longer matches its hash, at its own
    position, instead of stopping the export.
    """
    size = check_tree_size(session, tree_size)
    rows = session.execute(
        select(EVENTS_TABLE)
        .where(EVENTS_TABLE.c.leaf_index < size)
        .order_by(EVENTS_TABLE.c.leaf_index)
        .execution_options(yield_per=5000)
    )
    written = 0
    for row in rows:
        line = export_line(row.leaf_index, stored_leaf_bytes(row), row.leaf_hash)
        out.write(line.decode("utf-8"))
        written += 1
    return written
