"""The command line as a person meets it: real processes, real files, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.tables import write_csv, write_parquet

pytestmark = pytest.mark.integration


def sealroom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "SEALROOM_KEY_PASSPHRASE": "key-pass",
        "COLUMNS": "200",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "sealroom", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def initialised(isolated_home: Path) -> Path:
    result = sealroom("init")
    assert result.returncode == 0, result.stderr
    assert (
        sealroom(
            "party",
            "add",
            "acme-cn",
            "--issue-keys-to",
            str(isolated_home / "acme.key"),
            "--as",
            "admin",
        ).returncode
        == 0
    )
    return isolated_home


def test_register_list_show_and_verify_print_shape_never_values(
    initialised: Path, tmp_path: Path
) -> None:
    source = write_parquet(tmp_path / "customers.parquet")
    registered = sealroom(
        "dataset",
        "register",
        str(source),
        "--owner",
        "acme-cn",
        "--as",
        "acme-cn",
        "--classify",
        "segment=important",
    )
    assert registered.returncode == 0, registered.stderr
    assert "sensitive_personal" in registered.stdout and "important" in registered.stdout
    shown = sealroom("dataset", "show", "customers")
    listed = sealroom("dataset", "list")
    for output in (registered.stdout, shown.stdout, listed.stdout):
        assert "C000001" not in output and "13" + "0" * 9 not in output
    assert "200" in listed.stdout
    assert sealroom("dataset", "verify", "customers").returncode == 0


def test_init_is_idempotent(initialised: Path) -> None:
    again = sealroom("init")
    assert again.returncode == 0 and "already initialised" in again.stdout


def test_wrong_passphrase_is_one_line_and_changes_nothing(
    initialised: Path, tmp_path: Path
) -> None:
    source = write_parquet(tmp_path / "ww.parquet")
    line = one_line_error(
        sealroom(
            "dataset",
            "register",
            str(source),
            "--owner",
            "acme-cn",
            "--as",
            "acme-cn",
            env={"SEALROOM_PASSPHRASE": "wrong"},
        )
    )
    assert "passphrase" in line
    assert "ww " not in sealroom("dataset", "list").stdout


def test_ragged_csv_is_one_line(initialised: Path, tmp_path: Path) -> None:
    source = tmp_path / "ragged.csv"
    source.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    line = one_line_error(
        sealroom("dataset", "register", str(source), "--owner", "acme-cn", "--as", "acme-cn")
    )
    assert "line 3" in line


def test_oversized_file_is_one_line(initialised: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "big.csv")
    line = one_line_error(
        sealroom(
            "dataset",
            "register",
            str(source),
            "--owner",
            "acme-cn",
            "--as",
            "acme-cn",
            env={"SEALROOM_MAX_DATASET_BYTES": "1000"},
        )
    )
    assert "limit" in line


def test_unreachable_database_is_one_line(initialised: Path) -> None:
    line = one_line_error(
        sealroom(
            "dataset",
            "list",
            env={"SEALROOM_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
        )
    )
    assert "cannot be reached" in line


def test_acting_without_a_party_says_how(initialised: Path, tmp_path: Path) -> None:
    source = write_parquet(tmp_path / "n.parquet")
    line = one_line_error(sealroom("dataset", "register", str(source), "--owner", "acme-cn"))
    assert "--as NAME" in line


def test_commands_before_init_say_to_run_init(isolated_home: Path) -> None:
    assert "sealroom init" in one_line_error(sealroom("dataset", "list"))


def test_doctor_names_each_part_and_how_to_add_what_is_missing(initialised: Path) -> None:
    result = sealroom("doctor")
    assert result.returncode == 0
    for part in (
        "data directory",
        "database",
        "key provider",
        "bubblewrap",
        "Docker engine",
        "SoftHSM2",
        "PostgreSQL client",
        "Ray",
    ):
        assert part in result.stdout
    assert "SEALROOM_RAY_ADDRESS" in result.stdout  # how to scale PSI out over a cluster
