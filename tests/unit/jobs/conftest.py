"""Fixtures for the jobs room: the example contract, in force, and a fixed clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contracts import Contract, State, Status, load_contract

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "contracts" / "customer-insights.yaml"

# Inside the example's validity window (2026-01-01 .. 2027-12-31, Asia/Shanghai).
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def load_example(*edits: tuple[str, str]) -> Contract:
    """The example contract, with each ``(old, new)`` text edit applied exactly once."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur exactly once in the example"
        text = text.replace(old, new)
    return load_contract(text, EXAMPLE.name)


@pytest.fixture
def contract() -> Contract:
    return load_example()


@pytest.fixture
def active() -> Status:
    return Status(
        state=State.ACTIVE,
        approvals=frozenset({"acme-cn", "platform"}),
        acceptances=frozenset({"globex-uk"}),
    )
