"""Story 1 as the parties type it, each with its own identity and key file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "examples" / "contracts" / "customer-insights.yaml"
GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
TOO_FINE = ROOT / "examples" / "jobs" / "spend_by_segment_and_city.py"

pytestmark = [pytest.mark.integration, pytest.mark.docker]


def sealroom(*args: str, party: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SEALROOM_KEY_PASSPHRASE": "key-pass",
        "COLUMNS": "200",
        "SEALROOM_SANDBOX_BACKEND": "docker",
    }
    if party:
        env["SEALROOM_PARTY"] = party
    result = subprocess.run(
        [sys.executable, "-m", "sealroom", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return result


def ok(*args: str, party: str | None = None) -> str:
    result = sealroom(*args, party=party)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def job_id(output: str) -> str:
    return next(word for word in output.split() if word.startswith("j-"))


def test_story_1_from_the_command_line(isolated_home: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    ok("init")
    ok("party", "add", "acme-cn", "--issue-keys-to", str(keys / "acme-cn.key"), party="admin")
    ok(
        "party",
        "add",
        "alice",
        "--kind",
        "person",
        "--org",
        "acme-cn",
        "--issue-keys-to",
        str(keys / "alice.key"),
        party="admin",
    )
    partner_dir = tmp_path / "partner-machine"
    partner_dir.mkdir()
    ok("keys", "generate", "--out", str(partner_dir / "globex-uk.key"))
    ok(
        "party",
        "add",
        "globex-uk",
        "--public-keys",
        str(partner_dir / "globex-uk.key.pub.json"),
        party="admin",
    )
    ok(
        "dataset",
        "register",
        str(ROOT / "sealroom" / "data" / "customers.parquet"),
        "--owner",
        "acme-cn",
        "--name",
        "customers",
        party="acme-cn",
    )
    ok("contract", "propose", str(CONTRACT), party="acme-cn")
    ok("contract", "approve", "c-12", "--key-file", str(keys / "acme-cn.key"), party="acme-cn")
    ok("contract", "approve", "c-12", party="admin")
    assert "active" in ok(
        "contract",
        "accept",
        "c-12",
        "--key-file",
        str(partner_dir / "globex-uk.key"),
        party="globex-uk",
    )

    debug = ok(
        "job", "submit", "--contract", "c-12", "--code", str(GOOD), "--mode", "debug", party="alice"
    )
    assert "completed" in debug
    ok("job", "outputs", job_id(debug), "--out", str(tmp_path / "debug-out"), party="alice")
    assert (tmp_path / "debug-out" / "spend_by_segment.csv").exists()

    refused = sealroom(
        "job", "submit", "--contract", "c-12", "--code", str(GOOD), "--mode", "real", party="alice"
    )
    assert refused.returncode != 0 and "code" in refused.stderr  # code review comes first
    # acme-cn signs its decisions with its own key; the platform's seat is signed by the
    # service. alice, a person of acme-cn and the scientist, may not approve her code.
    signs = ("--key-file", str(keys / "acme-cn.key"))
    own = sealroom(
        "review",
        "approve-code",
        "--contract",
        "c-12",
        "--code",
        str(GOOD),
        "--key-file",
        str(keys / "alice.key"),
        party="alice",
    )
    assert own.returncode != 0 and "alice is a scientist of contract c-12" in own.stderr
    ok("review", "approve-code", "--contract", "c-12", "--code", str(GOOD), *signs, party="acme-cn")
    ok("review", "approve-code", "--contract", "c-12", "--code", str(GOOD), party="admin")
    real = job_id(
        ok(
            "job",
            "submit",
            "--contract",
            "c-12",
            "--code",
            str(GOOD),
            "--mode",
            "real",
            party="alice",
        )
    )
    assert real in ok("review", "list", party="acme-cn")
    ok("review", "show", real, party="acme-cn")
    early = sealroom(
        "result",
        "download",
        real,
        "--key-file",
        str(partner_dir / "globex-uk.key"),
        "--out",
        str(tmp_path / "early"),
        party="globex-uk",
    )
    assert early.returncode != 0 and "not released" in early.stderr
    unsigned = sealroom("review", "approve", real, party="acme-cn")
    assert unsigned.returncode != 0 and "must be signed by acme-cn's own key" in unsigned.stderr
    ok("review", "approve", real, *signs, party="acme-cn")
    assert "released" in ok("review", "approve", real, party="admin")
    assert "agrees with the audit log and every signature" in ok("audit", "verify", "--store")
    scientist = sealroom(
        "result",
        "download",
        real,
        "--key-file",
        str(keys / "alice.key"),
        "--out",
        str(tmp_path / "alice"),
        party="alice",
    )
    assert scientist.returncode != 0 and "not a recipient" in scientist.stderr

    out = partner_dir / "result"
    ok(
        "result",
        "download",
        real,
        "--key-file",
        str(partner_dir / "globex-uk.key"),
        "--out",
        str(out),
        party="globex-uk",
    )
    assert "verify" in ok("result", "verify", str(out))
    # With the signed contract, the partner checks offline that acme-cn itself (its pinned
    # key) approved these very files.
    signed_contract = partner_dir / "c-12.signed.json"
    ok("contract", "show", "c-12", "--signed-out", str(signed_contract), party="globex-uk")
    checked = ok("result", "verify", str(out), "--contract", str(signed_contract))
    assert "signed approvals by acme-cn for acme-cn" in checked
    assert "exempt" in ok("ledger", "show")

    # Tampering with a released file or with the receipt is caught offline.
    csv = out / "spend_by_segment.csv"
    original = csv.read_bytes()
    csv.write_bytes(original.replace(b"5", b"6", 1))
    assert sealroom("result", "verify", str(out)).returncode != 0
    csv.write_bytes(original)
    receipt = json.loads((out / "receipt.json").read_bytes())
    receipt["receipt"]["approvals"] = receipt["receipt"]["approvals"][:1]
    (out / "receipt.json").write_text(json.dumps(receipt))
    tampered = sealroom("result", "verify", str(out))
    assert tampered.returncode != 0 and "receipt" in tampered.stderr.lower()
