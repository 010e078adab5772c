"""Offline verification of an exported audit log against signed tree heads.

The plan, one named function per step; the first failure stops the run and
names its step and the first bad entry:

1. ``check_head_signatures``: every tree head given was signed by the platform key.
2. For each line of the export, in order:
   a. ``parse_entry``: the line is an export entry (leaf bytes, index, leaf hash);
   b. ``check_leaf_hash``: the leaf hash is the hash of the leaf bytes;
   c. ``check_sequence``: the entry sits at the position both its indices claim;
   d. ``rebuild_root``: the leaf joins the tree, and at the size of each head
      ``compare_to_head`` checks the rebuilt root against that head's root.
3. ``check_size``: the log is at least as long as the largest head.

Only the exact bytes are hashed; nothing is re-encoded, so what is verified is
what is in the file. Edits to single entries (a changed byte, a deleted, moved or
inserted entry, a cut-off end) are named at their position. A rewrite that
re-hashes entries consistently can only be caught by the root check, which can
place it no closer than "after the last head that still matches": parties who
keep more heads narrow it down.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from sealroom.audit.errors import TreeHeadSignatureInvalid, VerificationFailed
from sealroom.audit.events import format_timestamp
from sealroom.audit.merkle import CompactRange, leaf_hash
from sealroom.audit.tree_head import SignedTreeHead, verify_tree_head


class Step(StrEnum):
    SIGNATURE = "signature"
    PARSE = "parse"
    LEAF_HASH = "leaf_hash"
    SEQUENCE = "sequence"
    ROOT = "root"
    SIZE = "size"


_TAMPERED = "do not rely on this log: keep the file and the tree heads and report it to the auditor"

NO_HEAD_MSG = "no signed tree head was given: fetch one from the platform and verify against it"
SIGNATURE_MSG = (
    "the signed tree head of size {size} does not verify against the platform key: {todo}"
)
PARSE_MSG = "entry {position}: not a well-formed log entry ({reason}); " + _TAMPERED
LEAF_HASH_MSG = "entry {position}: leaf hash does not match its content; " + _TAMPERED
SEQUENCE_MSG = (
    "entry {position}: the entry says it is entry {claimed}, so entries were deleted, "
    "inserted or moved here; " + _TAMPERED
)
ROOT_MSG = (
    "entry {position} onwards: the first {size} entries do not rebuild to the root hash of "
    "the tree head of size {size} signed at {signed}, although each matches its own hash, "
    "so the log was rewritten{after}; " + _TAMPERED
)
ROOT_AFTER = " after the first {matched} entries, which match the head of size {matched}"
SIZE_MSG = (
    "entry {position}: missing, the log ends after {position} entries but the tree head "
    "signed at {signed} covers {size}, so the log was cut short; " + _TAMPERED
)


class ExportedEntry(NamedTuple):
    """One parsed export line: the claimed index, the leaf's own index, its bytes and hash."""

    claimed_index: int
    leaf_index: int
    leaf: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class VerificationReport:
    entries: int
    verified_size: int
    root_hash: bytes
    heads: tuple[SignedTreeHead, ...]

    @property
    def unsigned_tail(self) -> int:
        """Entries after the largest head: well-formed, but no signed head vouches for them."""
        return self.entries - self.verified_size


# Step 1 --------------------------------------------------------------------------


def check_head_signatures(
    heads: Sequence[SignedTreeHead], public_key: bytes
) -> tuple[SignedTreeHead, ...]:
    """Every head verifies; returns them smallest first."""
    if not heads:
        raise VerificationFailed(Step.SIGNATURE, None, NO_HEAD_MSG)
    for head in heads:
        try:
            verify_tree_head(head, public_key)
        except TreeHeadSignatureInvalid:
            todo = "it was not signed by that key or was altered, so do not trust it"
            raise VerificationFailed(
                Step.SIGNATURE, None, SIGNATURE_MSG.format(size=head.tree_size, todo=todo)
            ) from None
    return tuple(sorted(heads, key=lambda head: head.tree_size))


# Step 2a -------------------------------------------------------------------------

_ENTRY_PREFIX = b'{"event":{'
_INDEX_KEY = b',"index":'
# What follows the envelope's last ``,"index":`` (an index as the exporter writes
# it, no sign and no leading zero), and what follows the leaf's own.
_ENTRY_TAIL = re.compile(rb'(0|[1-9][0-9]{0,18}),"leaf_hash":"([0-9a-f]{64})"\}\n?')
_LEAF_INDEX = re.compile(rb"(0|[1-9][0-9]{0,18}),")


def _malformed(position: int, reason: str) -> VerificationFailed:
    return VerificationFailed(
        Step.PARSE, position, PARSE_MSG.format(position=position, reason=reason)
    )


def parse_entry(line: bytes, position: int) -> ExportedEntry:
    """Splits an export line without decoding the leaf, whose exact bytes are what is hashed.

    The envelope's ``,"index":`` is the *last* one on the line, and the leaf's own
    the last one in the leaf: both are canonical JSON, where a quote inside a
    string is always escaped, and nothing after either index can contain one.
    Byte slicing rather than a JSON parser keeps a million entries within seconds.
    """
    if not line.startswith(_ENTRY_PREFIX):
        raise _malformed(position, "it does not start with the event")
    split = line.rfind(_INDEX_KEY)
    tail = _ENTRY_TAIL.fullmatch(line, split + len(_INDEX_KEY))
    if split < len(_ENTRY_PREFIX) or tail is None:
        raise _malformed(position, "its index or leaf hash is missing or garbled")
    leaf = line[len(_ENTRY_PREFIX) - 1 : split]
    inner = leaf.rfind(_INDEX_KEY)
    leaf_index = _LEAF_INDEX.match(leaf, inner + len(_INDEX_KEY))
    if inner < 0 or leaf_index is None or not leaf.endswith(b"}"):
        raise _malformed(position, "its event has no index")
    return ExportedEntry._make((int(tail[1]), int(leaf_index[1]), leaf, binascii.a2b_hex(tail[2])))


# Steps 2b and 2c ---------------------------------------------------------------------


def check_leaf_hash(entry: ExportedEntry, position: int) -> bytes:
    """Returns the leaf hash, recomputed from the leaf bytes and equal to the one stated."""
    hashed = leaf_hash(entry.leaf)
    if hashed != entry.leaf_hash:
        raise VerificationFailed(Step.LEAF_HASH, position, LEAF_HASH_MSG.format(position=position))
    return hashed


def check_sequence(entry: ExportedEntry, position: int) -> None:
    if entry.claimed_index != position or entry.leaf_index != position:
        claimed = entry.claimed_index if entry.claimed_index != position else entry.leaf_index
        raise VerificationFailed(
            Step.SEQUENCE, position, SEQUENCE_MSG.format(position=position, claimed=claimed)
        )


# Step 2d -------------------------------------------------------------------------


def rebuild_root(tree: CompactRange, leaf_hashes: list[bytes]) -> None:
    """The leaves join the tree, then the list is emptied for the next run."""
    tree.extend(leaf_hashes)
    leaf_hashes.clear()


def compare_to_head(tree: CompactRange, head: SignedTreeHead, matched: int) -> None:
    """The rebuilt prefix of ``head.tree_size`` entries has the head's root hash.

    ``matched`` is the size of the largest head already matched: the rewrite
    must lie after it, so it is the position named.
    """
    if tree.root() != head.root_hash:
        after = ROOT_AFTER.format(matched=matched) if matched else ""
        raise VerificationFailed(
            Step.ROOT,
            matched,
            ROOT_MSG.format(
                position=matched,
                size=head.tree_size,
                signed=format_timestamp(head.timestamp),
                after=after,
            ),
        )


# Step 3 --------------------------------------------------------------------------


def check_size(entries: int, heads: Sequence[SignedTreeHead]) -> None:
    largest = heads[-1]
    if entries < largest.tree_size:
        raise VerificationFailed(
            Step.SIZE,
            entries,
            SIZE_MSG.format(
                position=entries,
                size=largest.tree_size,
                signed=format_timestamp(largest.timestamp),
            ),
        )


# The plan ----------------------------------------------------------------------

_RUN = 4096


def verify_log(
    lines: Iterable[bytes], heads: Sequence[SignedTreeHead], public_key: bytes
) -> VerificationReport:
    """Verifies exported log lines against signed tree heads; raises ``VerificationFailed``."""
    ordered = check_head_signatures(heads, public_key)
    tree = CompactRange()
    pending = list(ordered)
    matched = 0
    # Leaves join the tree in aligned runs (much faster than one by one), and a
    # run also ends wherever a head's size falls, so its root can be compared.
    run: list[bytes] = []
    while pending and pending[0].tree_size == 0:
        compare_to_head(tree, pending.pop(0), matched)
    stop = pending[0].tree_size if pending else -1
    for position, line in enumerate(lines):
        entry = parse_entry(line, position)
        run.append(check_leaf_hash(entry, position))
        check_sequence(entry, position)
        if (position + 1) % _RUN == 0 or position + 1 == stop:
            rebuild_root(tree, run)
            while pending and pending[0].tree_size == tree.size:
                compare_to_head(tree, pending[0], matched)
                matched = pending.pop(0).tree_size
            stop = pending[0].tree_size if pending else -1
    rebuild_root(tree, run)
    entries = tree.size
    check_size(entries, ordered)
    largest = ordered[-1]
    return VerificationReport(
        entries=entries,
        verified_size=largest.tree_size,
        root_hash=largest.root_hash,
        heads=ordered,
    )


def verify_log_file(
    log_path: Path, heads: Sequence[SignedTreeHead], public_key: bytes
) -> VerificationReport:
    """``verify_log`` over an export file (read as bytes, a line at a time)."""
    with log_path.open("rb", buffering=1 << 20) as handle:
        return verify_log(handle, heads, public_key)
