"""Column names a table must have before it can be classified and referred to."""

from __future__ import annotations

from collections.abc import Sequence

from sealroom.datasets.errors import BadColumnNames


def check_column_names(file: str, names: Sequence[str]) -> tuple[str, ...]:
    """The names, unchanged, once each is non-empty, unique and on one line.

    Contracts, classifications and ``/inputs`` all address columns by name, so a
    nameless or doubled column could not be classified or masked on its own.
    """
    positions: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if "\n" in name or "\r" in name:
            raise BadColumnNames.multiline(file, position)
        if not name.strip():
            raise BadColumnNames.empty(file, position)
        if name in positions:
            raise BadColumnNames.duplicate(file, name, positions[name], position)
        positions[name] = position
    return tuple(names)
