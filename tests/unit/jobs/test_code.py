"""A job's code: what is approved is what runs, byte for byte."""

from __future__ import annotations

import pytest

from jobs.code import check_code_unchanged, code_diff, code_hash
from jobs.errors import CodeChanged

APPROVED = b"import pandas as pd\ndf = pd.read_parquet('/inputs/customers.parquet')\n"


def test_the_code_hash_is_sha256_of_the_exact_bytes() -> None:
    assert code_hash(b"") == (
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert code_hash(APPROVED) != code_hash(APPROVED.replace(b"\n", b"\r\n"))


def test_byte_identical_code_runs() -> None:
    check_code_unchanged("j-1", code_hash(APPROVED), APPROVED)


def test_code_altered_after_approval_is_not_run() -> None:
    altered = APPROVED + b"open('/outputs/leak.csv','w').write(df.to_csv())\n"
    with pytest.raises(CodeChanged, match="not the approved") as caught:
        check_code_unchanged("j-1", code_hash(APPROVED), altered)
    assert caught.value.found == code_hash(altered)


def test_reviewers_see_what_changed_since_the_last_approved_version() -> None:
    current = APPROVED + b"print(df.groupby('segment').size())\n"
    diff = code_diff(APPROVED, current, "analysis.py")
    assert "--- analysis.py (last approved)" in diff
    assert "+print(df.groupby('segment').size())" in diff
    assert "-import pandas" not in diff


def test_a_first_submission_shows_every_line_as_new() -> None:
    diff = code_diff(None, APPROVED, "analysis.py")
    assert diff.startswith("--- /dev/null")
    assert "+import pandas as pd" in diff


def test_a_script_that_is_not_utf8_still_diffs() -> None:
    diff = code_diff(None, b"print('\xff')", "analysis.py")
    assert "\\xff" in diff
    assert "No newline at end of file" in diff
