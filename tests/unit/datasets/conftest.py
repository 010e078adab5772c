"""Small tables written to the test's own directory, in the encodings owners use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sealroom.datasets import TableLimits

WriteText = Callable[..., Path]


@pytest.fixture
def limits() -> TableLimits:
    return TableLimits(max_bytes=10_000_000, max_rows=100_000, sample_size=50)


@pytest.fixture
def write_text(tmp_path: Path) -> WriteText:
    """Write ``text`` to ``tmp_path/name`` in ``encoding`` and return the path."""

    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
