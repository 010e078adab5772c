"""Reading, classifying and generating the tables owners register.

Pure helpers for ``sealroom dataset register``: no database, no terminal, no keys.

    profile = inspect_table(path, TableLimits(max_bytes=..., max_rows=...))
    proposals = classify_table(profile)
    decided = apply_overrides(proposals, parse_overrides(["mobile=identifier"]))
    for batch in iter_record_batches(path, profile): ...

Errors are the shell's ``DatasetError`` family, refined in ``sealroom.datasets.errors``.
The synthetic demo data lives in ``sealroom.datasets.synthetic`` (it needs Faker).
"""

from sealroom.datasets.classify import (
    ColumnClassification,
    DecidedBy,
    apply_overrides,
    classify_column,
    classify_table,
    parse_overrides,
)
from sealroom.datasets.detectors import DetectorName
from sealroom.datasets.levels import ColumnLevel
from sealroom.datasets.profile import (
    ColumnProfile,
    TableFormat,
    TableLimits,
    TableProfile,
    TextEncoding,
)
from sealroom.datasets.sniff import text_encoding_named
from sealroom.datasets.tabular import inspect_table, iter_record_batches

__all__ = [
    "ColumnClassification",
    "ColumnLevel",
    "ColumnProfile",
    "DecidedBy",
    "DetectorName",
    "TableFormat",
    "TableLimits",
    "TableProfile",
    "TextEncoding",
    "apply_overrides",
    "classify_column",
    "classify_table",
    "inspect_table",
    "iter_record_batches",
    "parse_overrides",
    "text_encoding_named",
]
