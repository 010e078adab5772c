"""The package's public surface is what its docstring promises, and nothing is missing."""

from __future__ import annotations

import sealroom.datasets as datasets


def test_every_exported_name_exists_and_is_public() -> None:
    for name in datasets.__all__:
        assert hasattr(datasets, name), name
        assert not name.startswith("_")


def test_the_registration_calls_are_exported() -> None:
    expected = {
        "inspect_table",
        "iter_record_batches",
        "classify_table",
        "classify_column",
        "apply_overrides",
        "parse_overrides",
        "TableLimits",
        "TableProfile",
        "ColumnClassification",
        "ColumnLevel",
    }
    assert expected <= set(datasets.__all__)
