"""`sealroom demo` as a new user runs it: every story, and the partner only over HTTP."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.docker]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sandbox_runtime: Path) -> tuple[str, Path]:
    home = tmp_path_factory.mktemp("demo-home")
    env = {**os.environ, "SEALROOM_HOME": str(home), "COLUMNS": "200"}
    for var in ("SEALROOM_PASSPHRASE", "SEALROOM_DATABASE_URL", "SEALROOM_PARTY"):
        env.pop(var, None)
    result = subprocess.run(
        [sys.executable, "-m", "sealroom", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    (run_dir,) = (home / "demo").iterdir()
    return result.stdout, run_dir


def test_the_demo_tells_every_story_against_its_ground_truth(demo: tuple[str, Path]) -> None:
    out, _ = demo
    assert "REST API served by uvicorn on http://127.0.0.1:" in out
    assert "the disclosure checks blocked every output" in out  # the too-fine run
    assert "globex-uk downloaded over HTTP and opened the copy sealed to its key" in out
    assert "the overlap is 300" in out
    assert "both agree with the ground truth (300 shared customers" in out
    assert "audit events verified offline" in out


def test_the_partner_acted_with_its_own_token_and_keys(demo: tuple[str, Path]) -> None:
    _, run_dir = demo
    machine = run_dir / "parties" / "globex-uk-machine"
    assert sorted(p.name for p in machine.iterdir()) == [
        "api-token",
        "globex-uk.key",
        "globex-uk.key.pub.json",
        "platform.pub.json",
        "results",
    ]
    (result,) = (machine / "results").iterdir()
    assert {"receipt.json", "platform.pub.json", "spend_by_segment.csv"} <= {
        p.name for p in result.iterdir()
    }
    # The server saw the partner's token, and holds only the public half of its keys.
    public = json.loads((machine / "globex-uk.key.pub.json").read_text())
    with sqlite3.connect(run_dir / "sealroom.db") as db:
        used = db.execute("SELECT last_used_at FROM api_tokens WHERE party = 'globex-uk'")
        assert [row[0] is not None for row in used] == [True]
        (registered,) = db.execute(
            "SELECT ed25519_public, x25519_public FROM parties WHERE name = 'globex-uk'"
        )
    assert [base64.b64encode(k).decode() for k in registered] == [
        public["ed25519"],
        public["x25519"],
    ]
