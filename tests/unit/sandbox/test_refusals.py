"""Without isolation nothing runs: the job is refused with one line naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import ImageMissing, InvalidJobSpec, IsolationUnavailable, JobSpec, select_backend
from sandbox.bubblewrap import BubblewrapBackend


def test_without_bubblewrap_the_job_is_refused_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(IsolationUnavailable) as refused:
        select_backend("bwrap")
    assert str(refused.value) == (
        "bubblewrap is not installed: run `apt-get install bubblewrap`; "
        "the job was not run (bwrap backend)"
    )
    assert "\n" not in refused.value.message


def test_without_a_docker_engine_the_job_is_refused_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(IsolationUnavailable, match=r"the Docker Engine is not (running|installed)"):
        select_backend("docker")


def test_auto_with_nothing_available_refuses_and_never_runs_unisolated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(IsolationUnavailable, match="apt-get install bubblewrap"):
        select_backend("auto")


def test_an_unknown_backend_name_is_refused() -> None:
    with pytest.raises(IsolationUnavailable, match="no backend named 'chroot'"):
        select_backend("chroot")


def test_a_missing_runtime_says_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ImageMissing, match=r"run `sealroom images build`"):
        BubblewrapBackend(runtime_root=tmp_path).check_available()


def test_a_bad_dataset_name_is_refused_before_anything_runs(tmp_path: Path) -> None:
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    data = tmp_path / "d.parquet"
    data.write_bytes(b"PAR1")
    with pytest.raises(InvalidJobSpec, match=r"input name '../etc' is not allowed"):
        JobSpec(code=code, inputs={"../etc": data}).validate()


def test_a_chinese_dataset_name_is_a_valid_input_but_a_hidden_character_is_not(
    tmp_path: Path,
) -> None:
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    data = tmp_path / "d.parquet"
    data.write_bytes(b"PAR1")
    JobSpec(code=code, inputs={"客户_2024": data}).validate()
    for name in ("客户\u202e_2024", "客户\u200b", ".客户", "客户 2024", "客户\\2024"):
        with pytest.raises(InvalidJobSpec, match="is not allowed"):
            JobSpec(code=code, inputs={name: data}).validate()


def test_a_missing_input_file_is_named(tmp_path: Path) -> None:
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    with pytest.raises(InvalidJobSpec, match=r"input 'sales' names .*missing\.parquet"):
        JobSpec(code=code, inputs={"sales": tmp_path / "missing.parquet"}).validate()
