"""Fixtures for the contracts room: the demo contract, its parties' keys, a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from contracts import Contract, load_contract, pin_party_keys

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "contracts" / "customer-insights.yaml"
PARTIES = ("acme-cn", "platform", "globex-uk", "alice")

# Inside the example's validity window (2026-01-01 .. 2027-12-31, Asia/Shanghai).
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example(example_text: str) -> Contract:
    # Session-wide: a Contract is frozen, and loading costs tens of milliseconds.
    return load_contract(example_text, EXAMPLE.name)


@pytest.fixture(scope="session")
def party_keys() -> dict[str, Ed25519PrivateKey]:
    # Fixed seeds: tests are reproducible and no key generation cost per test.
    return {name: Ed25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32) for i, name in
            enumerate(PARTIES)}  # fmt: skip


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture(scope="session")
def pinned(example: Contract, party_keys: dict[str, Ed25519PrivateKey]) -> Contract:
    return pin_party_keys(example, {n: raw_public(k) for n, k in party_keys.items()})


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the document")


Edit = Callable[[str], str]


def replace_once(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} must occur exactly once in the example"
        return text.replace(old, new)

    return edit
