"""Offline verification of an exported log: every kind of tampering is named where it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sealroom.audit.errors import VerificationFailed
from sealroom.audit.events import AuditEvent, leaf_bytes
from sealroom.audit.export import export_line
from sealroom.audit.merkle import leaf_hash, root_of
from sealroom.audit.tree_head import Ed25519TreeHeadSigner, SignedTreeHead, sign_head
from sealroom.audit.verify import Step, verify_log, verify_log_file

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PLATFORM = Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())
PLATFORM_KEY = PLATFORM.public_key()


def _event(number: int, actor: str = "alice") -> AuditEvent:
    return AuditEvent(
        actor=actor,
        role="owner",
        action="job.submitted",
        timestamp=START + timedelta(seconds=number),
        contract_id="c-1",
        job_id=f"job-{number}",
        detail={"n": number},
        event_id=f"event-{number}",
    )


@dataclass
class Log:
    lines: list[bytes]
    hashes: list[bytes]

    def head(
        self, size: int | None = None, signer: Ed25519TreeHeadSigner = PLATFORM
    ) -> SignedTreeHead:
        size = len(self.hashes) if size is None else size
        return sign_head(signer, size, root_of(self.hashes[:size]), START + timedelta(hours=1))


def _log(events: Sequence[AuditEvent]) -> Log:
    lines, hashes = [], []
    for index, event in enumerate(events):
        data = leaf_bytes(event, index)
        hashes.append(leaf_hash(data))
        lines.append(export_line(index, data, hashes[-1]))
    return Log(lines, hashes)


def _failure(lines: Sequence[bytes], heads: Sequence[SignedTreeHead]) -> VerificationFailed:
    with pytest.raises(VerificationFailed) as caught:
        verify_log(lines, heads, PLATFORM_KEY)
    return caught.value


GENUINE = _log([_event(n) for n in range(20)])


def test_a_genuine_log_verifies_against_its_signed_head(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"".join(GENUINE.lines))
    report = verify_log_file(path, [GENUINE.head()], PLATFORM_KEY)
    assert (report.entries, report.verified_size, report.unsigned_tail) == (20, 20, 0)
    assert report.root_hash == root_of(GENUINE.hashes)


def test_entries_after_the_newest_head_are_reported_as_not_yet_signed() -> None:
    report = verify_log(GENUINE.lines, [GENUINE.head(12), GENUINE.head(5)], PLATFORM_KEY)
    assert (report.verified_size, report.unsigned_tail) == (12, 8)
    assert [head.tree_size for head in report.heads] == [5, 12]


def test_a_changed_event_is_named_with_the_exact_message() -> None:
    lines = list(GENUINE.lines)
    lines[17] = lines[17].replace(b'"actor":"alice"', b'"actor":"mallory"')
    failure = _failure(lines, [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.LEAF_HASH, 17)
    assert failure.message.startswith("entry 17: leaf hash does not match its content; ")


def test_flipping_any_single_byte_of_any_entry_is_caught_at_that_entry() -> None:
    log = _log([_event(n) for n in range(3)])
    head = log.head()
    missed = []
    for position, line in enumerate(log.lines):
        for offset in range(len(line)):
            flipped = bytearray(line)
            flipped[offset] ^= 0x01
            tampered = b"".join([*log.lines[:position], bytes(flipped), *log.lines[position + 1 :]])
            try:
                verify_log(tampered.splitlines(keepends=True), [head], PLATFORM_KEY)
            except VerificationFailed as failure:
                if failure.position != position:
                    missed.append((position, offset, failure.position))
            else:
                missed.append((position, offset, None))
    assert missed == []


def test_a_deleted_entry_is_named_at_its_position() -> None:
    lines = GENUINE.lines[:7] + GENUINE.lines[8:]
    failure = _failure(lines, [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.SEQUENCE, 7)
    assert "entry 7: the entry says it is entry 8, so entries were deleted" in failure.message


def test_two_reordered_entries_are_named_at_the_first_of_them() -> None:
    lines = list(GENUINE.lines)
    lines[4], lines[9] = lines[9], lines[4]
    failure = _failure(lines, [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.SEQUENCE, 4)


def test_a_moved_entry_whose_export_index_was_fixed_up_is_still_caught() -> None:
    # The attacker rewrites the envelope's index, but the leaf carries its own.
    moved = GENUINE.lines[9].replace(b',"index":9,"leaf_hash"', b',"index":4,"leaf_hash"')
    lines = [*GENUINE.lines[:4], moved, *GENUINE.lines[5:]]
    failure = _failure(lines, [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.SEQUENCE, 4)


def test_a_truncated_log_is_named_where_it_ends() -> None:
    failure = _failure(GENUINE.lines[:15], [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.SIZE, 15)
    assert "entry 15: missing, the log ends after 15 entries" in failure.message
    assert "covers 20, so the log was cut short" in failure.message


def test_a_log_cut_mid_line_is_named_at_the_broken_entry() -> None:
    text = b"".join(GENUINE.lines)
    cut = text[: len(text) - 40].splitlines(keepends=True)
    failure = _failure(cut, [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.PARSE, 19)


def _forgery(from_entry: int) -> Log:
    """Mallory rewrites history from one entry on and re-hashes everything consistently."""
    events = [_event(n) if n < from_entry else _event(n, actor="mallory") for n in range(20)]
    return _log(events)


def test_a_rehashed_forgery_signed_without_the_platform_key_is_refused() -> None:
    forged = _forgery(0)
    mallory = Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())
    failure = _failure(forged.lines, [forged.head(signer=mallory)])
    assert (failure.step, failure.position) == (Step.SIGNATURE, None)
    assert "does not verify against the platform key" in failure.message


def test_a_rehashed_forgery_does_not_match_the_head_a_party_kept() -> None:
    failure = _failure(_forgery(0).lines, [GENUINE.head()])
    assert (failure.step, failure.position) == (Step.ROOT, 0)
    assert "entry 0 onwards: the first 20 entries do not rebuild" in failure.message


def test_older_kept_heads_place_a_rehashed_forgery_after_the_last_one_it_matches() -> None:
    heads = [GENUINE.head(5), GENUINE.head(10), GENUINE.head(15), GENUINE.head()]
    failure = _failure(_forgery(12).lines, heads)
    assert (failure.step, failure.position) == (Step.ROOT, 10)
    assert "after the first 10 entries, which match the head of size 10" in failure.message


def test_verification_needs_at_least_one_signed_head() -> None:
    failure = _failure(GENUINE.lines, [])
    assert (failure.step, failure.position) == (Step.SIGNATURE, None)
    assert "fetch one from the platform" in failure.message


def test_a_long_log_with_heads_between_run_boundaries_verifies_and_places_a_rewrite() -> None:
    # Longer than one verification run (4096 leaves), with heads off the boundaries.
    long_log = _log([_event(n) for n in range(9000)])
    heads = [long_log.head(size) for size in (1, 4095, 4096, 4097, 8191, 9000)]
    assert verify_log(long_log.lines, heads, PLATFORM_KEY).entries == 9000
    forged = _log([_event(n) if n < 5000 else _event(n, actor="mallory") for n in range(9000)])
    failure = _failure(forged.lines, heads)
    assert (failure.step, failure.position) == (Step.ROOT, 4097)
