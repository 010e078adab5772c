"""Story 1 typed at the `sealroom` command line with `--server URL`, as the parties would
on their own machines: each with its own API token and key file, none with a store.

The server is a real uvicorn on loopback in this process. The test plays the worker
(`sealroom worker` on the server's machine) by calling ``run_next_job`` on the
server's store, as tests/api/test_jobs_over_http.py does; everything the parties
do goes through the CLI as subprocesses, and so over HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kms import load_party_key_file
from sealroom.api import create_app
from sealroom.api.loopback import free_loopback_port
from sealroom.client import Client, create_key_file, read_public_key_file
from sealroom.data import customers_parquet
from sealroom.datasets.synthetic import partner_ids
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.job_runner import run_next_job
from tests.fixtures.review_over_http import approve_when_waiting
from tests.fixtures.world import PASSPHRASE, admin_token, example_contract, open_room, serving

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
KEY_PASSPHRASE = "key-pass"
OVERLAP = 150


@dataclass
class Served:
    room: Sealroom
    url: str
    admin_token: str
    machines: Path  # one directory per party: its key file, its downloads


@pytest.fixture
def served(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", "bwrap")
    room = open_room(isolated_home, f"sqlite:///{tmp_path / 'server.db'}")
    with serving(create_app(room)) as url:
        yield Served(room, url, admin_token(room), tmp_path / "machines")
    room.close()


def sealroom(
    *args: str,
    server: str | None = None,
    token: str | None = None,
    on_server: Served | None = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI on a party's machine (no store, no passphrase for one), or ``on_server``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SEALROOM_PASSPHRASE", "SEALROOM_SERVER", "SEALROOM_TOKEN")
    }
    env |= {"SEALROOM_KEY_PASSPHRASE": KEY_PASSPHRASE, "COLUMNS": "200"}
    env["SEALROOM_HOME"] = "/nonexistent/sealroom-home"
    if on_server is not None:
        settings = on_server.room.settings
        env["SEALROOM_HOME"] = str(settings.home)
        env["SEALROOM_DATABASE_URL"] = settings.database_url
        env["SEALROOM_PASSPHRASE"] = PASSPHRASE
    if server:
        env["SEALROOM_SERVER"] = server
    if token:
        env["SEALROOM_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "sealroom", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def ok(*args: str, server: str, token: str) -> str:
    result = sealroom(*args, server=server, token=token)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(*args: str, server: str | None, token: str | None = None) -> str:
    """A refusal: exit 1, one error line, no traceback; returns stderr."""
    result = sealroom(*args, server=server, token=token)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error:")
    return result.stderr


def job_id(output: str) -> str:
    return next(word for word in output.split() if word.startswith("j-"))


def issued_token(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def test_story_1_through_the_server_from_the_command_line(served: Served) -> None:
    url = served.url
    admin = served.admin_token
    # Each party makes its key pair on its own machine; the partner with the CLI.
    keys = {}
    for name in ("acme-cn", "pat", "alice", "globex-uk"):
        (served.machines / name).mkdir(parents=True)
        keys[name] = served.machines / name / f"{name}.key"
        if name != "globex-uk":
            create_key_file(keys[name], KEY_PASSPHRASE)
    generated = sealroom("keys", "generate", "--out", str(keys["globex-uk"]), server=url)
    assert generated.returncode == 0, generated.stderr
    assert "runs on this machine" in generated.stderr  # no store, no server needed

    for name, extra in (("acme-cn", ("--display-name", "ACME (Shanghai)")), ("globex-uk", ())):
        public = f"{keys[name]}.pub.json"
        added = ok("party", "add", name, "--public-keys", public, *extra, server=url, token=admin)
        assert "registered keys" in added, added
    # The CLI's invocations cost seconds each: the rest of the set-up goes through the SDK.
    with Client(url, admin, progress=False) as sdk:
        sdk.add_party(
            "alice", read_public_key_file(Path(f"{keys['alice']}.pub.json")), kind="person"
        )
        sdk.add_party(
            "pat",
            read_public_key_file(Path(f"{keys['pat']}.pub.json")),
            kind="person",
            organisation="platform",
        )
        tokens = {name: sdk.issue_token(name).token for name in ("acme-cn", "globex-uk", "alice")}
    assert "globex-uk" in ok("party", "list", server=url, token=admin)
    scopes = ("--scope", "read", "--scope", "write", "--scope", "audit:all")
    tokens["pat"] = issued_token(ok("token", "issue", "pat", *scopes, server=url, token=admin))
    assert "active" in ok("token", "list", "--party", "pat", server=url, token=admin)

    def as_(party: str, *args: str) -> str:
        return ok(*args, server=url, token=tokens[party])

    registered = as_(
        "acme-cn",
        "dataset",
        "register",
        str(customers_parquet()),
        "--owner",
        "acme-cn",
        "--name",
        "customers",
    )
    assert "2,000" in registered and "identifier" in registered
    contract_file = served.machines / "acme-cn" / "customer-insights.yaml"
    contract_file.write_text(example_contract(), encoding="utf-8")
    assert "proposed" in as_("acme-cn", "contract", "propose", str(contract_file))
    as_("acme-cn", "contract", "approve", "c-12", "--key-file", str(keys["acme-cn"]))
    assert "approved" in as_("pat", "contract", "approve", "c-12")  # the service signs
    accepted = as_("globex-uk", "contract", "accept", "c-12", "--key-file", str(keys["globex-uk"]))
    assert "active" in accepted

    # The partner's PSI side runs in its own CLI process; the owner reviews the run.
    pinned = served.machines / "globex-uk" / "platform.pub.json"  # obtained out of band
    pinned.write_text(json.dumps(platform_public_keys(served.room).to_json()), encoding="utf-8")
    ids = served.machines / "globex-uk" / "ids.csv"
    chosen = partner_ids(pq.read_table(customers_parquet()), OVERLAP, 350, seed=3)
    ids.write_text("mobile\n" + "\n".join(chosen) + "\n", encoding="utf-8")
    with Client(url, tokens["acme-cn"], progress=False) as owner:
        owner_keys = load_party_key_file(keys["acme-cn"], KEY_PASSPHRASE)
        reviewing = approve_when_waiting([(owner, owner_keys)], "psi")
        learned = as_(
            "globex-uk",
            "psi",
            "run",
            "--contract",
            "c-12",
            "--ids",
            str(ids),
            "--key-file",
            str(keys["globex-uk"]),
            "--platform-key",
            str(pinned),
            "--wait-seconds",
            "120",
        )
        reviewing.join()
    assert f"overlap: {OVERLAP}" in learned

    debug = job_id(
        as_("alice", "job", "submit", "--contract", "c-12", "--code", str(GOOD), "--no-wait")
    )
    run_next_job(served.room, debug)  # the worker, on the server's machine
    assert "completed" in as_("alice", "job", "wait", debug, "--poll", "0.2")
    as_("alice", "job", "outputs", debug, "--out", str(served.machines / "alice" / "debug"))
    assert (served.machines / "alice" / "debug" / "spend_by_segment.csv").exists()
    assert "debug run" in as_("alice", "job", "logs", debug)

    signs = ("--key-file", str(keys["acme-cn"]))  # acme-cn signs on its own machine
    as_("acme-cn", "review", "approve-code", "--contract", "c-12", "--code", str(GOOD), *signs)
    as_("pat", "review", "approve-code", "--contract", "c-12", "--code", str(GOOD))
    real = job_id(
        as_(
            "alice",
            "job",
            "submit",
            "--contract",
            "c-12",
            "--code",
            str(GOOD),
            "--mode",
            "real",
            "--no-wait",
        )
    )
    run_next_job(served.room, real)
    waited = as_("alice", "job", "wait", real, "--poll", "0.2")
    # Before release the scientist reads pass/fail per check: no file, size or row count.
    assert "awaiting_review" in waited and "withheld until the reviewers release" in waited
    assert "spend_by_segment.csv" not in waited and " B)" not in waited
    # A real run's printout is an output: not for the scientist, remotely or locally.
    assert "ran on the real data" in refused("job", "logs", real, server=url, token=tokens["alice"])
    local = sealroom("job", "logs", real, "--as", "alice", on_server=served)
    assert local.returncode == 1 and "ran on the real data" in local.stderr

    assert real in as_("acme-cn", "review", "list")
    assert "spend_by_segment.csv" in as_("acme-cn", "review", "show", real)
    as_("acme-cn", "review", "approve", real, *signs)
    assert "released" in as_("pat", "review", "approve", real)

    result_dir = served.machines / "globex-uk" / "result"
    downloaded = as_(
        "globex-uk",
        "result",
        "download",
        real,
        "--key-file",
        str(keys["globex-uk"]),
        "--out",
        str(result_dir),
        "--platform-key",
        str(pinned),
    )
    assert "receipt verified" in downloaded
    assert (result_dir / "spend_by_segment.csv").exists()
    verified = sealroom("result", "verify", str(result_dir), server=url)
    assert verified.returncode == 0 and "verify" in verified.stdout, verified.stderr

    timeline = served.machines / "pat" / "timeline.jsonl"
    as_("pat", "audit", "show", "--job", real, "--jsonl", str(timeline))
    assert '"result.download"' in timeline.read_text("utf-8")
    export = served.machines / "pat" / "audit"
    assert "tree head" in as_("pat", "audit", "export", "--out", str(export))
    assert (export / "audit-log.jsonl").exists() and (export / "platform.pub.json").exists()


def test_bad_input_is_one_clear_line(served: Served) -> None:
    url = served.url
    wrong = refused("party", "list", server=url, token="srt_not_a_token")
    assert "token" in wrong.lower()
    mismatch = refused("token", "list", "--as", "alice", server=url, token=served.admin_token)
    assert "acts for admin" in mismatch and "drop --as" in mismatch
    dead = f"http://127.0.0.1:{free_loopback_port()}"
    unreachable = refused("dataset", "list", server=dead, token=served.admin_token)
    assert f"no Sealroom server answers at {dead}" in unreachable
    local_only = refused("ledger", "show", server=url, token=served.admin_token)
    assert "`sealroom ledger show`" in local_only and "without --server" in local_only
    assert "needs an API token" in refused("party", "list", server=url)
