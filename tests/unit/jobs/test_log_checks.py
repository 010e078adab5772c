"""What a real run printed is checked like an output: its reviewers see which lines
carry an input's identifiers, plainly or in disguise; an honest log passes."""

from __future__ import annotations

import pytest

from contracts import Contract
from jobs import check_logs
from jobs.check_report import Action, CheckName, FileOutcome
from jobs.sensitive_index import SensitiveValueIndex, build_sensitive_index
from tests.fixtures.identifier_disguises import CUSTOMERS, KEY, MOBILES


@pytest.fixture
def index(contract: Contract) -> SensitiveValueIndex:
    return build_sensitive_index(contract, {"customers": CUSTOMERS}, key=KEY)


def test_lines_carrying_identifiers_are_flagged_for_the_reviewers(
    index: SensitiveValueIndex,
) -> None:
    stdout = "\n".join(["rows read: 2000", f"first customer {MOBILES[0]}", MOBILES[1][::-1]])
    [report] = check_logs({"stdout": stdout, "stderr": ""}, index)
    assert report.name == "<stdout>" and report.rows == 3
    checks = {f.check for f in report.failures}
    assert CheckName.VERBATIM_VALUES in checks and CheckName.DISGUISED_IDENTIFIERS in checks
    assert all(f.action is Action.FLAG for f in report.failures)
    assert not any(m in f.reason for f in report.failures for m in MOBILES)
    # Flags block nothing (a log is never released); the reviewer reads them.
    assert report.outcome is FileOutcome.PASSED


def test_an_honest_log_passes(index: SensitiveValueIndex) -> None:
    honest = "loaded 2,000 rows\nsegments: gold, silver, bronze\nmean spend 101.25 CNY\ndone"
    reports = check_logs({"stdout": honest, "stderr": "warning: 3 rows had no city"}, index)
    assert [r.name for r in reports] == ["<stdout>", "<stderr>"]
    assert all(r.failures == () for r in reports)
    assert check_logs({"stdout": "", "stderr": ""}, index) == ()
