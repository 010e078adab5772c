"""A reviewer's real terminal (tmux) shows a hostile run's escapes and stays intact.

The job's code, what it printed and a column name of its output carry a clear-screen,
a cursor jump, a colour, an OSC window title, bidi overrides and zero-width
characters. `sealroom review show` runs in a tmux pane; the pane's screen is
read back with `tmux capture-pane`: the escapes are there as text, the line
printed before the command is still on screen, and the pane kept its title.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import RunMode
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import job_status, submit_job
from tests.fixtures.deciding import approve_code_as
from tests.fixtures.world import OWNER, PASSPHRASE, SCIENTIST, build_matrix_world

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]
ESC = "\x1b"
# Raw control characters in a comment: valid Python, and a trap for a raw display.
HIDDEN = "\u202eesrever\u202c zero\u200bwidth\u2066iso\u2069"
HOSTILE_CODE = f"""# totals{ESC}[2J{ESC}[H by segment {HIDDEN}
import pandas as pd

customers = pd.read_parquet("/inputs/customers.parquet")
table = (
    customers.groupby("segment")
    .agg(customers=("customer_id", "count"), mean_spend_cny=("spend_cny", "mean"))
    .reset_index()
)
table["customers"] = table["customers"] // 5 * 5
table["mean_spend_cny"] = table["mean_spend_cny"].round(2)
table.to_csv("/outputs/spend.csv", index=False)
# The checks block this copy (a column no schema declares); its reason, naming the
# column, is on the reviewer's screen.
table.assign(**{{"CELL" + "\\x1b[2J\\u202e" + "tail" + "\\u200b": 1}}).to_csv(
    "/outputs/notes.csv", index=False
)
print("LOG" + "\\x1b[2J\\x1b[H\\x1b]0;pwned-title\\x07\\x1b[31m" + "red" + "\\x1b[0m")
"""


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[list[str]]:
    """A tmux server of this test's own (its own socket), killed at the end."""
    assert shutil.which("tmux"), "tmux is missing: apt-get install -y tmux (scripts/bootstrap.sh)"
    command = ["tmux", "-L", f"sealroom-test-{uuid.uuid4().hex[:12]}", "-f", "/dev/null"]
    yield command
    subprocess.run([*command, "kill-server"], check=False, capture_output=True)


def screen(tmux: list[str], *extra: str) -> str:
    result = subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", "review", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_review_show_draws_a_hostile_run_as_escapes_on_an_intact_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmux: list[str]
) -> None:
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", "bwrap")
    home, database = tmp_path / "home", f"sqlite:///{tmp_path / 'store.db'}"
    world = build_matrix_world(home, database)
    code = HOSTILE_CODE.encode("utf-8")
    source = tmp_path / "totals.py"
    source.write_bytes(code)
    approve_code_as(world.room, "acme-cn", source, world.keys["acme-cn"])
    approve_code_as(world.room, "admin", source, None)
    job = submit_job(world.room, SCIENTIST, "c-12", code, "totals.py", RunMode.REAL).job_id
    run_next_job(world.room, job)
    ran = job_status(world.room, OWNER, job)
    assert ran.state.value == "awaiting_review", ran.reason
    assert [o.name for o in ran.outputs if o.releasable] == ["spend.csv"], ran.check_report
    world.room.close()

    script = tmp_path / "review.sh"
    env = {
        "SEALROOM_HOME": str(home),
        "SEALROOM_DATABASE_URL": database,
        "SEALROOM_PASSPHRASE": PASSPHRASE,
        "PYTHONPATH": str(ROOT),
    }
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
    review = shlex.join([sys.executable, "-m", "sealroom", "review", "show", job, "--as=acme-cn"])
    # The pane names itself the way a job would try to (OSC 2): proof that the
    # terminal obeys titles, and the title a job's OSC would overwrite.
    script.write_text(
        f"{exports}printf '\\033]2;reviewer-pane\\033\\\\'\necho BEFORE-THE-REVIEW\n"
        f"{review}\necho EXIT-$?-AFTER-THE-REVIEW\nsleep 120\n"
    )
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "review", "-x", "200", "-y", "200", "bash", str(script)],
        check=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    deadline = time.monotonic() + 120
    while "AFTER-THE-REVIEW" not in (shown := screen(tmux)):
        assert time.monotonic() < deadline, f"review show did not finish:\n{shown}"
        time.sleep(0.5)

    assert "EXIT-0-AFTER-THE-REVIEW" in shown, shown
    print(shown.rstrip())  # what the reviewer saw, for whoever reads a failure
    lines = shown.splitlines()
    # Neither a clear-screen nor a cursor jump ran: the first line is where it was.
    assert lines[0] == "BEFORE-THE-REVIEW", shown
    # The code, the log and the blocked output's column name show every escape as text.
    hidden = "\\u202eesrever\\u202c zero\\u200bwidth\\u2066iso\\u2069"
    assert f"# totals\\x1b[2J\\x1b[H by segment {hidden}" in shown
    assert "LOG\\x1b[2J\\x1b[H\\x1b]0;pwned-title\\x07\\x1b[31mred\\x1b[0m" in shown
    assert "CELL\\x1b[2J\\u202etail\\u200b" in shown
    title = subprocess.run(
        [*tmux, "display-message", "-p", "-t", "review", "#{pane_title}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert title == "reviewer-pane"
    # The job's colour never reached the terminal: the log line carries no red.
    with_attributes = screen(tmux, "-e")
    log_line = next(line for line in with_attributes.splitlines() if "pwned-title" in line)
    assert "\x1b[31m" not in log_line and "38;5;1m" not in log_line, repr(log_line)
    # A real control character is drawn in reverse video; the same four characters
    # written literally in the code are plain text: the reviewer tells them apart.
    comment = next(line for line in with_attributes.splitlines() if "# totals" in line)
    assert "\x1b[7m\\x1b" in comment, repr(comment)
    literal = next(line for line in with_attributes.splitlines() if '"CELL" +' in line)
    assert "\x1b[7m" not in literal and "\\x1b[2J" in literal, repr(literal)
    # The rest of the review is there, under the job's table and check report.
    assert f"Job {job}" in shown and "rows 1\u2013" in shown and "spend.csv" in shown
