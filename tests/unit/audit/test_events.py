"""The typed event and its leaf bytes: canonical, stable, and refusing what is not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealroom.audit.errors import EventInvalid
from sealroom.audit.events import (
    AuditEvent,
    JsonValue,
    canonical_json,
    decode_leaf,
    leaf_bytes,
    leaf_document,
)
from sealroom.audit.merkle import leaf_hash

NOW = datetime(2026, 11, 23, 8, 30, 0, 123456, tzinfo=UTC)


def _event(**changes: object) -> AuditEvent:
    fields: dict[str, object] = {
        "actor": "alice@owner-co",
        "role": "owner",
        "action": "contract.approved",
        "timestamp": NOW,
        "contract_id": "c-2026-0001",
        "job_id": None,
        "subject_ids": ("ds-customers",),
        "detail": {"contract_hash": "ab" * 32},
        "event_id": "e" * 32,
    }
    fields.update(changes)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def test_leaf_bytes_are_the_pinned_canonical_json_of_the_event_and_its_index() -> None:
    assert leaf_bytes(_event(), 17) == (
        b'{"action":"contract.approved","actor":"alice@owner-co","contract_id":"c-2026-0001",'
        b'"detail":{"contract_hash":"' + b"ab" * 32 + b'"},"event_id":"' + b"e" * 32 + b'",'
        b'"index":17,"job_id":null,"role":"owner","subject_ids":["ds-customers"],'
        b'"timestamp":"2026-11-23T08:30:00.123456Z","v":1}'
    )


def test_the_same_event_at_another_index_hashes_differently() -> None:
    assert leaf_hash(leaf_bytes(_event(), 3)) != leaf_hash(leaf_bytes(_event(), 4))


def test_timestamps_in_other_zones_are_logged_as_the_same_utc_instant() -> None:
    shanghai = timezone(timedelta(hours=8))
    local = _event(timestamp=NOW.astimezone(shanghai))
    assert leaf_bytes(local, 0) == leaf_bytes(_event(), 0)


names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    actor=names,
    role=names,
    contract=st.none() | names,
    job=st.none() | names,
    subjects=st.lists(names, max_size=3),
    detail=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    index=st.integers(min_value=0, max_value=2**53),
)
def test_the_fast_leaf_encoding_equals_generic_canonical_json_and_decodes_back(
    actor: str,
    role: str,
    contract: str | None,
    job: str | None,
    subjects: list[str],
    detail: dict[str, JsonValue],
    index: int,
) -> None:
    event = _event(
        actor=actor,
        role=role,
        contract_id=contract,
        job_id=job,
        subject_ids=tuple(subjects),
        detail=detail,
    )
    data = leaf_bytes(event, index)
    assert data == canonical_json(leaf_document(event, index))
    assert json.loads(data)["index"] == index
    assert decode_leaf(data) == (index, event)


def test_a_float_in_the_detail_is_refused_with_what_to_log_instead() -> None:
    with pytest.raises(EventInvalid, match=r"detail\.share holds the float 0\.5: .* as a string"):
        _event(detail={"share": 0.5})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actor": ""}, "actor must be a non-empty string"),
        ({"role": "own\ner"}, "contains a control character"),
        ({"action": "Contract Approved"}, "use one like 'contract.approved'"),
        ({"timestamp": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"event_id": "has space"}, "1 to 64 letters"),
        ({"subject_ids": ("",)}, "each subject id must be a non-empty string"),
        ({"detail": {"blob": b"bytes"}}, "detail.blob holds a bytes"),
        ({"detail": {"x": "\ud800"}}, "lone surrogate"),
        ({"detail": {"big": "x" * 70_000}}, "log a hash of large content"),
    ],
)
def test_events_that_cannot_be_logged_are_refused_saying_why(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(EventInvalid, match=message) as caught:
        _event(**changes)
    assert caught.value.message.startswith("the audit event cannot be logged: ")


def test_bytes_that_are_not_a_leaf_are_refused_when_decoded() -> None:
    with pytest.raises(EventInvalid, match="not a logged event"):
        decode_leaf(b'{"v":1,"index":0}')
    with pytest.raises(EventInvalid, match="format version 2"):
        decode_leaf(b'{"v":2}')
