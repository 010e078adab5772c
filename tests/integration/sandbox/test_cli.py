"""`sealroom sandbox run` and `sealroom images build`, driven as an operator would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sealroom.cli.sandbox_commands import images_app, sandbox_app
from tests.fixtures.sandbox import BACKENDS

runner = CliRunner()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_sandbox_run_prints_the_record_and_collects_outputs(
    backend_name: str, sandbox_runtime: Path, tmp_path: Path
) -> None:
    code = tmp_path / "report.py"
    code.write_text(
        "import os\nopen('/outputs/n.txt', 'w').write(str(os.path.getsize('/inputs/d.parquet')))\n"
    )
    data = tmp_path / "d.parquet"
    data.write_bytes(b"PAR1" * 10)
    result = runner.invoke(
        sandbox_app,
        ["run", str(code), "--input", f"d={data}", "--backend", backend_name,
         "--out", str(tmp_path / "out"), "--wall-seconds", "30", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["backend"] == backend_name
    assert record["reason"] == "exited: status 0"
    assert record["outputs"][0]["name"] == "n.txt"
    assert record["policy"]["capabilities"] == "all dropped"
    assert (tmp_path / "out" / "n.txt").read_text() == "40"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_killed_job_exits_nonzero_with_the_reason_shown(
    backend_name: str, sandbox_runtime: Path, tmp_path: Path
) -> None:
    code = tmp_path / "sleepy.py"
    code.write_text("import time\ntime.sleep(30)\n")
    result = runner.invoke(
        sandbox_app,
        ["run", str(code), "--backend", backend_name, "--out", str(tmp_path / "out"),
         "--wall-seconds", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "killed: wall clock 1 s" in result.output


def test_an_unavailable_backend_is_one_line_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(sandbox_app, ["run", str(code), "--backend", "bwrap"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "sealroom: bubblewrap is not installed: run `apt-get install bubblewrap`; "
        "the job was not run (bwrap backend)"
    )


@pytest.mark.docker
@pytest.mark.integration
def test_images_build_is_idempotent_and_fast_when_built(sandbox_runtime: Path) -> None:
    result = runner.invoke(images_app, ["build"])
    assert result.exit_code == 0, result.output
    assert "already built" in result.output
    assert "already present" in result.output
