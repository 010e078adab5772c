"""The log as a readable history: rows for a table, and JSON Lines for other tools.

Pure: the CLI (``sealroom audit show``) fetches events with ``query_events`` and
renders these rows with Rich; nothing here knows about the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sealroom.audit.events import LoggedEvent, format_timestamp

TIMELINE_COLUMNS = (
    "#",
    "time (UTC)",
    "actor",
    "role",
    "action",
    "contract",
    "job",
    "subjects",
    "detail",
)
_DETAIL_WIDTH = 60


@dataclass(frozen=True, slots=True)
class TimelineRow:
    index: str
    time: str
    actor: str
    role: str
    action: str
    contract: str
    job: str
    subjects: str
    detail: str

    def cells(self) -> tuple[str, ...]:
        """The row in ``TIMELINE_COLUMNS`` order."""
        return (
            self.index,
            self.time,
            self.actor,
            self.role,
            self.action,
            self.contract,
            self.job,
            self.subjects,
            self.detail,
        )


def _detail_summary(logged: LoggedEvent) -> str:
    parts = [
        f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in sorted(logged.event.detail.items())
    ]
    text = ", ".join(parts)
    # Hashes and reasons can be long; the full value is one `--json` away.
    return text if len(text) <= _DETAIL_WIDTH else text[: _DETAIL_WIDTH - 1] + "…"


def timeline_rows(events: Iterable[LoggedEvent]) -> list[TimelineRow]:
    """One row per event, in the order given (log order from ``query_events``)."""
    return [
        TimelineRow(
            index=str(logged.index),
            time=logged.event.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            actor=logged.event.actor,
            role=logged.event.role,
            action=logged.event.action,
            contract=logged.event.contract_id or "",
            job=logged.event.job_id or "",
            subjects=", ".join(logged.event.subject_ids),
            detail=_detail_summary(logged),
        )
        for logged in events
    ]


def timeline_json_lines(events: Iterable[LoggedEvent]) -> Iterator[str]:
    """Each event as one JSON object per line, with its index and leaf hash."""
    for logged in events:
        event = logged.event
        document = {
            "index": logged.index,
            "event_id": event.event_id,
            "timestamp": format_timestamp(event.timestamp),
            "actor": event.actor,
            "role": event.role,
            "action": event.action,
            "contract_id": event.contract_id,
            "job_id": event.job_id,
            "subject_ids": list(event.subject_ids),
            "detail": dict(event.detail),
            "leaf_hash": logged.leaf_hash.hex(),
        }
        yield json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n"
