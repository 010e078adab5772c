"""Listings piped into a file or a program arrive whole, and parse as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.tables import write_chinese_csv

pytestmark = pytest.mark.integration

LONG_NAME = "客户消费记录_华东大区_二零二四年度_线上线下全渠道_季度汇总"


def sealroom(*args: str) -> subprocess.CompletedProcess[str]:
    # COLUMNS=80 is what a pipe gets from Rich when nothing says otherwise.
    env = {**os.environ, "SEALROOM_KEY_PASSPHRASE": "key-pass", "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "sealroom", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def registered(isolated_home: Path, tmp_path: Path) -> Path:
    sealroom("init")
    sealroom(
        "party", "add", "acme-cn", "--issue-keys-to", str(isolated_home / "a.key"), "--as", "admin"
    )
    source = write_chinese_csv(tmp_path / "客户.csv", encoding="gbk")
    sealroom(
        "dataset",
        "register",
        str(source),
        "--owner",
        "acme-cn",
        "--name",
        LONG_NAME,
        "--as",
        "acme-cn",
    )
    return isolated_home


def test_a_piped_listing_shows_a_long_chinese_name_whole(registered: Path) -> None:
    listed = sealroom("dataset", "list").stdout
    assert LONG_NAME in listed
    assert "…" not in listed


def test_dataset_list_as_json_is_an_array_of_objects(registered: Path) -> None:
    records = json.loads(sealroom("dataset", "list", "--format", "json").stdout)
    assert [(r["name"], r["version"], r["owner"], r["rows"]) for r in records] == [
        (LONG_NAME, 1, "acme-cn", 200)
    ]


def test_dataset_list_as_csv_is_a_header_and_rows(registered: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(sealroom("dataset", "list", "--format", "csv").stdout)))
    assert [(r["name"], r["rows"]) for r in rows] == [(LONG_NAME, "200")]


def test_party_list_as_json_and_csv_name_every_party(registered: Path) -> None:
    as_json = json.loads(sealroom("party", "list", "--format", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(sealroom("party", "list", "--format", "csv").stdout)))
    assert {p["name"] for p in as_json} == {r["name"] for r in as_csv} >= {"admin", "acme-cn"}


def test_audit_show_as_json_keeps_every_detail_whole(registered: Path) -> None:
    events = json.loads(sealroom("audit", "show", "--format", "json").stdout)
    registered_events = [e for e in events if e["action"] == "dataset.register"]
    assert registered_events, [e["action"] for e in events]
    assert LONG_NAME in json.dumps(registered_events, ensure_ascii=False)
