"""The audit log in a real store (SQLite and PostgreSQL): appends, proofs, export, tampering."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, delete, select, text
from sqlalchemy.orm import Session

from sealroom.audit import (
    AUDIT_TABLES,
    AuditEvent,
    Ed25519TreeHeadSigner,
    EventInvalid,
    EventNotFound,
    LogStoreDamaged,
    SignedTreeHead,
    Step,
    TreeSizeInvalid,
    VerificationFailed,
    append_event,
    append_events,
    check_consistency,
    check_inclusion,
    consistency_proof,
    consistency_proof_from_json,
    consistency_proof_to_json,
    current_root,
    export_log,
    find_event,
    inclusion_proof,
    inclusion_proof_from_json,
    inclusion_proof_to_json,
    latest_tree_head,
    query_events,
    sign_tree_head,
    verify_log,
)
from sealroom.audit.merkle import root_of
from sealroom.audit.records import AuditEventRecord
from sealroom.store.base import Base
from sealroom.store.database import create_store_engine

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PLATFORM = Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())
PLATFORM_KEY = PLATFORM.public_key()

# A stand-in for any table an action writes to (a contract approval, a job state).
ACTION_TABLES = MetaData()
ACTIONS = Table(
    "test_actions",
    ACTION_TABLES,
    Column("id", Integer, primary_key=True),
    Column("name", String(64)),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_store_engine(database_url)
    Base.metadata.create_all(engine, tables=list(AUDIT_TABLES))
    ACTION_TABLES.create_all(engine)
    yield engine
    engine.dispose()


def _event(number: int, **changes: object) -> AuditEvent:
    fields: dict[str, object] = {
        "actor": "alice",
        "role": "owner",
        "action": "job.submitted",
        "timestamp": START + timedelta(seconds=number),
        "contract_id": f"c-{number % 2}",
        "job_id": f"job-{number % 3}",
        "subject_ids": ("ds-customers",),
        "detail": {"n": number},
        "event_id": f"event-{number}",
    }
    fields.update(changes)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def _fill(engine: Engine, count: int) -> SignedTreeHead:
    with Session(engine) as session, session.begin():
        append_events(session, [_event(n) for n in range(count)])
        return sign_tree_head(session, PLATFORM, START + timedelta(hours=1))


def _export(engine: Engine, tree_size: int | None = None) -> list[bytes]:
    out = io.StringIO()
    with Session(engine) as session:
        export_log(session, out, tree_size)
    return out.getvalue().encode("utf-8").splitlines(keepends=True)


def _verify_failure(engine: Engine, head: SignedTreeHead) -> VerificationFailed:
    with pytest.raises(VerificationFailed) as caught:
        verify_log(_export(engine), [head], PLATFORM_KEY)
    return caught.value


def _log_size(engine: Engine) -> int:
    with Session(engine) as session:
        return current_root(session).tree_size


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(ACTIONS.c.name)))


# --- appends and the tree -----------------------------------------------------------


def test_appends_are_numbered_from_zero_and_the_root_is_the_tree_of_their_leaves(
    engine: Engine,
) -> None:
    with Session(engine) as session, session.begin():
        assert current_root(session).tree_size == 0
        assert append_event(session, _event(0)) == 0
        assert append_events(session, [_event(1), _event(2), _event(3)]) == [1, 2, 3]
    lines = _export(engine)
    with Session(engine) as session:
        state = current_root(session)
    assert state.tree_size == 4 == len(lines)
    head = _fill_head(engine)
    report = verify_log(lines, [head], PLATFORM_KEY)
    assert report.root_hash == state.root_hash


def _fill_head(engine: Engine) -> SignedTreeHead:
    with Session(engine) as session, session.begin():
        return sign_tree_head(session, PLATFORM, START + timedelta(hours=2))


def test_every_inclusion_proof_from_the_store_verifies_against_signed_heads(
    engine: Engine,
) -> None:
    old_head = _fill(engine, 21)
    with Session(engine) as session, session.begin():
        append_events(session, [_event(n) for n in range(21, 37)])
        head = sign_tree_head(session, PLATFORM, START + timedelta(hours=2))
        assert latest_tree_head(session) == head
        for index in range(37):
            proof = inclusion_proof(session, index)
            check_inclusion(
                inclusion_proof_from_json(inclusion_proof_to_json(proof)), head, PLATFORM_KEY
            )
        for index in range(21):
            check_inclusion(inclusion_proof(session, index, 21), old_head, PLATFORM_KEY)


def test_every_consistency_proof_from_the_store_verifies_against_signed_heads(
    engine: Engine,
) -> None:
    heads = {}
    for size in range(1, 12):
        with Session(engine) as session, session.begin():
            append_event(session, _event(size - 1))
            heads[size] = sign_tree_head(session, PLATFORM, START + timedelta(minutes=size))
    with Session(engine) as session:
        for old in range(1, 12):
            for new in range(old, 12):
                proof = consistency_proof(session, old, new)
                kept = consistency_proof_from_json(consistency_proof_to_json(proof))
                check_consistency(kept, heads[old], heads[new], PLATFORM_KEY)


def test_proofs_for_sizes_the_log_does_not_have_are_refused_with_the_range(engine: Engine) -> None:
    _fill(engine, 5)
    with Session(engine) as session:
        with pytest.raises(TreeSizeInvalid, match="has 5 entries, so it has no tree of size 9"):
            inclusion_proof(session, 0, 9)
        with pytest.raises(TreeSizeInvalid, match="entry 5 is not in a tree of 5 entries"):
            inclusion_proof(session, 5)
        with pytest.raises(TreeSizeInvalid, match="old size must be between 0 and the new"):
            consistency_proof(session, 4, 3)


# --- transactions -----------------------------------------------------------------


def test_an_event_commits_or_rolls_back_with_the_action_it_records(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(ACTIONS.insert().values(id=1, name="approve contract"))
        append_event(session, _event(0))
        # Nothing is committed by the append: another connection sees neither.
        assert _actions(engine) == []
        session.rollback()
    assert (_actions(engine), _log_size(engine)) == ([], 0)
    with Session(engine) as session, session.begin():
        session.execute(ACTIONS.insert().values(id=1, name="approve contract"))
        append_event(session, _event(0))
    assert (_actions(engine), _log_size(engine)) == (["approve contract"], 1)


def test_an_action_whose_event_cannot_be_written_does_not_happen(engine: Engine) -> None:
    _fill(engine, 2)
    with (
        pytest.raises(EventInvalid, match="already in the log"),
        Session(engine) as session,
        session.begin(),
    ):
        session.execute(ACTIONS.insert().values(id=7, name="release result"))
        append_event(session, _event(1))  # event-1 is taken
    assert (_actions(engine), _log_size(engine)) == ([], 2)


def test_rolled_back_appends_leave_no_gap_and_the_tree_intact(engine: Engine) -> None:
    _fill(engine, 3)
    with Session(engine) as session:
        append_events(session, [_event(3), _event(4)])
        session.rollback()
    with Session(engine) as session, session.begin():
        assert append_event(session, _event(5)) == 3
    head = _fill_head(engine)
    assert verify_log(_export(engine), [head], PLATFORM_KEY).entries == 4


def test_concurrent_appends_get_distinct_indices_in_one_consistent_tree(engine: Engine) -> None:
    errors: list[BaseException] = []
    batches: list[list[int]] = []

    def writer(worker: int) -> None:
        try:
            for batch in range(6):
                with Session(engine) as session, session.begin():
                    first = worker * 100 + batch * 10
                    events = [_event(first + n) for n in range(3)]
                    batches.append(append_events(session, events))
        except BaseException as err:  # surfaced in the main thread below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(index for batch in batches for index in batch) == list(range(72))
    assert all(batch == list(range(batch[0], batch[0] + 3)) for batch in batches)
    head = _fill_head(engine)
    assert verify_log(_export(engine), [head], PLATFORM_KEY).entries == 72


# --- tampering with the store -------------------------------------------------------

FIELD_EDITS = {
    "actor": "UPDATE audit_events SET actor = 'alicf' WHERE leaf_index = 7",
    "role": "UPDATE audit_events SET role = 'owneR' WHERE leaf_index = 7",
    "action": "UPDATE audit_events SET action = 'job.submitteD' WHERE leaf_index = 7",
    "contract_id": "UPDATE audit_events SET contract_id = 'c-0' WHERE leaf_index = 7",
    "job_id": "UPDATE audit_events SET job_id = 'job-2' WHERE leaf_index = 7",
    "subject_ids": "UPDATE audit_events SET subject_ids = '[\"ds-x\"]' WHERE leaf_index = 7",
    "detail": "UPDATE audit_events SET detail = '{\"n\":6}' WHERE leaf_index = 7",
    "event_id": "UPDATE audit_events SET event_id = 'event-x' WHERE leaf_index = 7",
}


@pytest.mark.parametrize("field", sorted(FIELD_EDITS))
def test_a_changed_stored_field_is_named_at_its_entry(engine: Engine, field: str) -> None:
    head = _fill(engine, 12)
    with engine.begin() as connection:
        connection.exec_driver_sql(FIELD_EDITS[field])
    failure = _verify_failure(engine, head)
    assert (failure.step, failure.position) == (Step.LEAF_HASH, 7)
    assert failure.message.startswith("entry 7: leaf hash does not match its content")


def test_a_changed_stored_timestamp_or_leaf_hash_is_named_at_its_entry(engine: Engine) -> None:
    head = _fill(engine, 12)
    with Session(engine) as session, session.begin():
        record = session.get(AuditEventRecord, 3)
        assert record is not None
        record.timestamp += timedelta(microseconds=1)
        other = session.get(AuditEventRecord, 9)
        assert other is not None
        other.leaf_hash = bytes([other.leaf_hash[0] ^ 1]) + other.leaf_hash[1:]
    failure = _verify_failure(engine, head)
    assert (failure.step, failure.position) == (Step.LEAF_HASH, 3)


def test_a_deleted_stored_event_is_named_at_its_position(engine: Engine) -> None:
    head = _fill(engine, 12)
    with engine.begin() as connection:
        connection.execute(delete(AuditEventRecord).where(AuditEventRecord.leaf_index == 5))
    failure = _verify_failure(engine, head)
    assert (failure.step, failure.position) == (Step.SEQUENCE, 5)


def test_two_reordered_stored_events_are_named_at_the_first(engine: Engine) -> None:
    head = _fill(engine, 12)
    with engine.begin() as connection:
        for old, new in ((3, 1000), (8, 3), (1000, 8)):
            connection.execute(
                text("UPDATE audit_events SET leaf_index = :new WHERE leaf_index = :old"),
                {"old": old, "new": new},
            )
    failure = _verify_failure(engine, head)
    assert (failure.step, failure.position) == (Step.LEAF_HASH, 3)


def test_a_truncated_store_is_named_where_the_log_now_ends(engine: Engine) -> None:
    head = _fill(engine, 12)
    with engine.begin() as connection:
        connection.execute(delete(AuditEventRecord).where(AuditEventRecord.leaf_index >= 9))
    failure = _verify_failure(engine, head)
    assert (failure.step, failure.position) == (Step.SIZE, 9)


def test_a_store_replaced_by_a_rehashed_forgery_fails_without_the_platform_key(
    engine: Engine,
) -> None:
    kept = _fill(engine, 12)
    # An insider with the database but not the key rebuilds the whole log, hashes,
    # nodes and head included, with history rewritten from entry 4 on.
    with Session(engine) as session, session.begin():
        for table in reversed(AUDIT_TABLES):
            session.execute(table.delete())
        forged = [_event(n, actor="mallory" if n >= 4 else "alice") for n in range(12)]
        append_events(session, forged)
        mallory = Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())
        forged_head = sign_tree_head(session, mallory, START + timedelta(hours=3))
    failure = _verify_failure(engine, forged_head)
    assert (failure.step, failure.position) == (Step.SIGNATURE, None)
    failure = _verify_failure(engine, kept)
    assert (failure.step, failure.position) == (Step.ROOT, 0)


# --- reading ----------------------------------------------------------------------


def test_events_are_found_by_id_and_filtered_in_log_order(engine: Engine) -> None:
    _fill(engine, 12)
    with Session(engine) as session:
        found = find_event(session, "event-7")
        assert (found.index, found.event) == (7, _event(7))
        assert [e.index for e in query_events(session, contract="c-1")] == [1, 3, 5, 7, 9, 11]
        assert [e.index for e in query_events(session, contract="c-1", job="job-0")] == [3, 9]
        window = query_events(
            session, since=START + timedelta(seconds=2), until=START + timedelta(seconds=5)
        )
        assert [e.index for e in window] == [2, 3, 4]
        assert query_events(session, actor="bob") == []
        assert len(query_events(session, action="job.submitted", limit=4)) == 4
        with pytest.raises(EventNotFound, match="no audit event 'nope' is in the log"):
            find_event(session, "nope")


def test_an_export_up_to_an_old_size_verifies_against_the_old_head(engine: Engine) -> None:
    old_head = _fill(engine, 6)
    with Session(engine) as session, session.begin():
        append_events(session, [_event(n) for n in range(6, 10)])
    lines = _export(engine, 6)
    assert len(lines) == 6
    assert verify_log(lines, [old_head], PLATFORM_KEY).root_hash == root_of(
        [bytes.fromhex(line[-67:-3].decode()) for line in lines]
    )


def test_a_store_missing_a_tree_node_says_it_is_damaged_and_how_to_locate_it(
    engine: Engine,
) -> None:
    _fill(engine, 8)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_nodes"))
    with Session(engine) as session, pytest.raises(LogStoreDamaged, match=r"tree node .* missing"):
        inclusion_proof(session, 0)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE audit_events SET action = 'Bad Action' WHERE leaf_index = 2"
        )
    with Session(engine) as session, pytest.raises(LogStoreDamaged, match="entry 2 cannot be read"):
        query_events(session)
