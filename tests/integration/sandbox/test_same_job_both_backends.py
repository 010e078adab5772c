"""The same analysis code runs on both backends and sees the same world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import Backend, JobSpec, Limits, Mode, run_job
from sandbox.spec import Interpreter

ANALYSIS = """
import json, os, sys
import pandas as pd, numpy, pyarrow, scipy, sklearn, statsmodels
frame = pd.read_parquet("/inputs/sales.parquet")
summary = frame.groupby("region")["spend"].sum().to_dict()
world = {
    "mode": os.environ["SEALROOM_MODE"],
    "python": sys.version.split()[0],
    "inputs": sorted(os.listdir("/inputs")),
    "uid": os.getuid(),
    "summary": summary,
    "pandas": pd.__version__,
}
json.dump(world, open("/outputs/world.json", "w"), sort_keys=True)
"""


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    import pandas as pd

    path = tmp_path / "sales.parquet"
    pd.DataFrame({"region": ["n", "s", "n"], "spend": [1.5, 2.0, 3.0]}).to_parquet(path)
    return path


def test_an_analysis_reads_its_input_and_writes_an_output(
    backend: Backend, tmp_path: Path, sales: Path
) -> None:
    code = tmp_path / "analysis.py"
    code.write_text(ANALYSIS)
    spec = JobSpec(
        code=code, inputs={"sales": sales}, mode=Mode.REAL, limits=Limits(wall_seconds=60)
    )
    record = run_job(spec, backend, tmp_path / "out")
    assert record.reason == "exited: status 0", record.stderr.text
    world = json.loads((tmp_path / "out" / "world.json").read_text())
    assert world == {
        "inputs": ["sales.parquet"],
        "mode": "real",
        "pandas": "3.1.1",
        "python": "3.11.2",
        "summary": {"n": 4.5, "s": 2.0},
        "uid": 64123,
    }
    assert record.policy["network"] == "none (loopback only)"
    assert record.backend == backend.name


def test_a_shell_job_runs_under_the_same_policy(backend: Backend, tmp_path: Path) -> None:
    code = tmp_path / "job.sh"
    code.write_text('id -u > /outputs/uid.txt\necho "mode=$SEALROOM_MODE"\n')
    spec = JobSpec(code=code, interpreter=Interpreter.SHELL, limits=Limits(wall_seconds=20))
    record = run_job(spec, backend, tmp_path / "out")
    assert record.stdout.text == "mode=debug\n"
    assert (tmp_path / "out" / "uid.txt").read_text() == "64123\n"
