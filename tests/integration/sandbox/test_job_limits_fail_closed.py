"""Without a run's own tmpfs and control group a job is refused, and doctor says why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox import BubblewrapBackend, IsolationUnavailable, JobSpec, run_job
from sandbox.workspace import WORK_ROOT_ENV, default_work_root
from sealroom.config import load_settings
from sealroom.doctor import check_job_isolation

pytestmark = [pytest.mark.bwrap, pytest.mark.integration]


def test_a_run_the_job_uid_cannot_reach_is_refused_before_any_code_runs(
    sandbox_runtime: Path, tmp_path: Path
) -> None:
    code = tmp_path / "job.py"
    code.write_text("open('/outputs/ran.txt', 'w').write('ran')\n")
    closed = tmp_path / "closed"  # pytest's directories are 0700: closed to the job's uid
    with pytest.raises(IsolationUnavailable, match="cannot reach its run"):
        run_job(JobSpec(code=code), BubblewrapBackend(), tmp_path / "out", work_root=closed)
    assert not (tmp_path / "out" / "ran.txt").exists()
    assert list(closed.iterdir()) == []  # the refused run's tmpfs is gone too


def test_doctor_says_why_jobs_would_be_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WORK_ROOT_ENV, str(tmp_path / "closed"))
    finding = check_job_isolation(load_settings())
    assert not finding.ok
    assert "jobs will be refused" in finding.detail
    assert "cannot reach" in finding.detail


def test_doctor_names_the_control_groups_that_limit_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    own = default_work_root() / f"doctor-{os.urandom(6).hex()}"
    monkeypatch.setenv(WORK_ROOT_ENV, str(own))
    try:
        finding = check_job_isolation(load_settings())
    finally:
        own.rmdir()
    assert finding.ok, finding
    assert "a control group per job, cgroup v" in finding.detail
