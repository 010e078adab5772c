"""The readable history: one row per event, in log order, long details cut short."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sealroom.audit.events import AuditEvent, LoggedEvent
from sealroom.audit.timeline import TIMELINE_COLUMNS, timeline_json_lines, timeline_rows


def _logged(index: int, **detail: object) -> LoggedEvent:
    event = AuditEvent(
        actor="bob@platform",
        role="platform",
        action="release.approved",
        timestamp=datetime(2026, 11, 23, 9, 15, 30, 999, tzinfo=UTC),
        contract_id="c-7",
        job_id="job-3",
        subject_ids=("result-1", "ds-sales"),
        detail=detail,  # type: ignore[arg-type]
        event_id=f"ev-{index}",
    )
    return LoggedEvent(index=index, event=event, leaf_hash=bytes(32))


def test_each_event_becomes_a_row_of_every_column_in_log_order() -> None:
    rows = timeline_rows([_logged(4, reason="ok", rows=12), _logged(9)])
    assert [row.index for row in rows] == ["4", "9"]
    assert rows[0].cells() == (
        "4",
        "2026-11-23 09:15:30",
        "bob@platform",
        "platform",
        "release.approved",
        "c-7",
        "job-3",
        "result-1, ds-sales",
        "reason=ok, rows=12",
    )
    assert len(rows[0].cells()) == len(TIMELINE_COLUMNS)


def test_a_long_detail_is_cut_to_the_column_width() -> None:
    (row,) = timeline_rows([_logged(0, code_hash="ab" * 32)])
    assert len(row.detail) == 60
    assert row.detail.startswith("code_hash=abab") and row.detail.endswith("…")


def test_json_lines_carry_the_whole_event_with_its_index_and_leaf_hash() -> None:
    (line,) = list(timeline_json_lines([_logged(2, code_hash="ab" * 32)]))
    document = json.loads(line)
    assert document["index"] == 2
    assert document["detail"] == {"code_hash": "ab" * 32}
    assert document["leaf_hash"] == "00" * 32
    assert document["timestamp"] == "2026-11-23T09:15:30.000999Z"
