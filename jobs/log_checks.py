"""What a real run printed, checked like its outputs before the owner's reviewers read it.

A real run prints from the full data, so its stdout and stderr are outputs: they
go to the owner's reviewers only, never released, and the same identifier
checks run over them line by line (each line one cell of a one-column table).
The reviewers see, beside the logs, which lines repeat or disguise an input's
identifiers or personal values, as they see it for a file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pyarrow as pa

from jobs.check_report import Action, CheckName, Failure, FileReport
from jobs.identifier_checks import check_identifier_values
from jobs.sensitive_index import SensitiveValueIndex

#: How the log streams are named in the check report (no output file has these names).
LOG_NAMES = {"stdout": "<stdout>", "stderr": "<stderr>"}


def check_logs(streams: Mapping[str, str], index: SensitiveValueIndex) -> tuple[FileReport, ...]:
    """One report per non-empty stream: which lines carry identifiers, and how."""
    reports = []
    for stream, text in streams.items():
        if not text:
            continue
        name = LOG_NAMES.get(stream, f"<{stream}>")
        lines = text.splitlines()
        table = pa.table({"line": pa.array(lines, type=pa.string())})
        findings = check_identifier_values(name, table, index)
        failures = tuple(
            # A log is never released: its findings warn the reviewer, they block nothing.
            Failure(f.check, Action.FLAG, f.reason, f.column, len(f.cells))
            for f in findings
        )
        passed = () if failures else (CheckName.VERBATIM_VALUES, CheckName.DISGUISED_IDENTIFIERS)
        data = text.encode("utf-8", "surrogateescape")
        digest = hashlib.sha256(data).hexdigest()
        reports.append(FileReport(name, digest, len(data), len(lines), passed, failures))
    return tuple(reports)
