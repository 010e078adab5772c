"""Judging an attack from its run record (shared by every hostile test)."""

from __future__ import annotations

from sandbox import RunRecord


def assert_refused(record: RunRecord, *attempts: str) -> None:
    """Each attempt was made, refused, and the refusal is in the record in words."""
    said = record.stdout.text
    assert "ATTACK-SUCCEEDED" not in said, said
    for attempt in attempts:
        assert f"blocked: {attempt}:" in said, (
            f"the job never reported {attempt!r}; stdout={said!r} stderr={record.stderr.text!r}"
        )


def refusal_of(record: RunRecord, attempt: str) -> str:
    """The words the job's refusal came with, e.g. 'PermissionError: [Errno 13] ...'."""
    for line in record.stdout.text.splitlines():
        if line.startswith(f"blocked: {attempt}:"):
            return line.split(":", 2)[2].strip()
    raise AssertionError(f"no refusal of {attempt!r} in {record.stdout.text!r}")
