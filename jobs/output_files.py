"""Reading output files into tables for checking, and writing checked tables back.

A job writes whatever it likes to ``/outputs``; only tables we can read can be
checked, so anything else is refused by the checks rather than passed on
unread. Reading is strict (``jobs.output_table``), writing is canonical
(``jobs.canonical_output``): the job's own bytes are never what is released.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pa_csv

from jobs.canonical_output import FloatPrecision, canonical_table, write_canonical
from jobs.output_table import TABLE_SUFFIXES, parse_output_table, suffix_of

__all__ = ["TABLE_SUFFIXES", "read_output", "read_output_text", "suffix_of", "write_output"]


def read_output(name: str, data: bytes) -> pa.Table:
    """The table in output file ``name``; ``OutputUnreadable`` saying why if it is not one."""
    return parse_output_table(name, data)


def read_output_text(name: str, data: bytes, table: pa.Table) -> pa.Table:
    """``table`` as its file spells it, for value comparisons.

    CSV type inference turns ``0012345`` into ``12345``; comparing the inferred
    numbers with the inputs' identifiers would miss exactly the values with
    leading zeros. Other formats store types, so ``table`` is returned as is.
    """
    if suffix_of(name) != ".csv":
        return table
    as_text = pa_csv.ConvertOptions(column_types=dict.fromkeys(table.column_names, pa.string()))
    return pa_csv.read_csv(io.BytesIO(data), convert_options=as_text)


def write_output(name: str, table: pa.Table, precision: FloatPrecision | None = None) -> bytes:
    """``table`` in Sealroom's canonical form of the format ``name`` says."""
    return write_canonical(name, canonical_table(table, precision or FloatPrecision()))
