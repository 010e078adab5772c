"""Which declared output schema an output file answers to, and what that says of its lineage.

The contract's output schemas are an allow-list: a file passes automatically
only if its name matches a schema the signed contract declares. Without one
there is nothing to hold the file to (no columns, no sources, no counts), so it
can only be judged by hand and never passes on its own.

An output's lineage (which datasets and columns it comes from) is read from
the matched schema's ``source`` fields, never from anything the job says about
itself: the job's code is the adversary here, and the signed contract is the
only description of an output both the owner and the platform agreed to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from contracts import Classification, Contract, FileSchema
from jobs.check_report import CheckName
from jobs.output_finding import Finding

UNDECLARED_FILE_MSG = (
    "{file} matches none of the output schemas the contract declares ({patterns}), so "
    "nothing says what it may hold: it is never passed automatically. Write it under a "
    "declared name, or ask the owner for a contract version whose output.schemas covers it."
)
NO_SCHEMAS_MSG = (
    "{file} cannot be checked against a declared output schema because the contract "
    "declares none: ask the owner for a contract version with output.schemas (or "
    "output.schema) describing this file."
)


def schema_for(name: str, schemas: Sequence[FileSchema]) -> FileSchema | None:
    """The first declared schema whose pattern matches ``name`` (case-sensitive), if any.

    Case-sensitive on purpose: ``BY_CITY.CSV`` is not the file the owner described
    as ``by_city.csv``, whatever the file system of the reader.
    """
    return next((s for s in schemas if fnmatchcase(name, s.files)), None)


def check_declared(name: str, schemas: Sequence[FileSchema]) -> list[Finding]:
    if schema_for(name, schemas) is not None:
        return []
    if not schemas:
        return [Finding(CheckName.DECLARED_SCHEMA, NO_SCHEMAS_MSG.format(file=name))]
    patterns = ", ".join(s.files for s in schemas)
    message = UNDECLARED_FILE_MSG.format(file=name, patterns=patterns)
    return [Finding(CheckName.DECLARED_SCHEMA, message)]


@dataclass(frozen=True)
class OutputLineage:
    """Where released outputs come from, by the contract's word.

    ``datasets`` and ``columns`` (``dataset.column``) are what the matched
    schemas name as sources; a file no schema matches is charged to every column
    of the contract, and a bare count (no source, no ``partition_of``) to every
    dataset, since nothing bounds what they were computed from.
    """

    datasets: tuple[str, ...]
    columns: tuple[str, ...]
    classifications: tuple[Classification, ...]


def output_lineage(contract: Contract, names: Iterable[str]) -> OutputLineage:
    schemas = contract.output.schemas
    datasets: set[str] = set()
    columns: set[str] = set()
    everything = False
    for name in names:
        schema = schema_for(name, schemas)
        if schema is None:
            everything = True
            continue
        if schema.partition_of is not None:
            datasets.add(schema.partition_of)
        for column in schema.columns:
            if column.source is None:
                if schema.partition_of is None:
                    # A bare count counts rows of some dataset; which one, only the code says.
                    datasets.update(d.name for d in contract.datasets)
                continue
            columns.add(column.source)
            datasets.add(column.source.partition(".")[0])
    if everything:
        datasets.update(d.name for d in contract.datasets)
        columns.update(f"{d.name}.{c.name}" for d in contract.datasets for c in d.columns)
    classifications = set()
    for ref in columns:
        found = contract.column(ref)
        if found is not None:
            classifications.add(found.classification)
    return OutputLineage(
        datasets=tuple(sorted(datasets)),
        columns=tuple(sorted(columns)),
        classifications=tuple(sorted(classifications)),
    )
