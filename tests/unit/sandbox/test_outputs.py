"""The output collector copies plain files only, within the caps, under safe names."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sandbox import Limits
from sandbox.outputs import collect, measure


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    directory = tmp_path / "outputs"
    directory.mkdir()
    return directory


def test_plain_files_are_copied_with_size_and_sha256(outputs: Path, tmp_path: Path) -> None:
    (outputs / "summary.csv").write_text("group,count\na,12\n")
    (outputs / "plots").mkdir()
    (outputs / "plots" / "hist.png").write_bytes(b"\x89PNG fake")
    result = collect(outputs, tmp_path / "out", Limits())
    assert [item.name for item in result.collected] == ["plots/hist.png", "summary.csv"]
    summary = result.collected[1]
    assert summary.size == len("group,count\na,12\n")
    assert summary.sha256 == hashlib.sha256(b"group,count\na,12\n").hexdigest()
    assert (tmp_path / "out" / "plots" / "hist.png").read_bytes() == b"\x89PNG fake"


def test_symlinks_are_listed_as_refused_and_never_followed(outputs: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    (outputs / "leak").symlink_to(secret)
    result = collect(outputs, tmp_path / "out", Limits())
    assert result.collected == ()
    assert [(item.name, item.reason) for item in result.rejected] == [
        ("leak", "symbolic link: not followed")
    ]
    assert not (tmp_path / "out" / "leak").exists()


def test_hard_linked_files_are_refused(outputs: Path, tmp_path: Path) -> None:
    (outputs / "a").write_text("x")
    os.link(outputs / "a", outputs / "b")
    result = collect(outputs, tmp_path / "out", Limits())
    assert result.collected == ()
    assert {item.reason for item in result.rejected} == {
        "hard link (2 names for one file): refused"
    }


def test_fifos_are_refused_without_blocking(outputs: Path, tmp_path: Path) -> None:
    os.mkfifo(outputs / "pipe")
    result = collect(outputs, tmp_path / "out", Limits())
    assert [(item.name, item.reason) for item in result.rejected] == [
        ("pipe", "not a regular file: refused")
    ]


def test_over_the_byte_limit_nothing_is_collected(outputs: Path, tmp_path: Path) -> None:
    (outputs / "big.bin").write_bytes(b"\0" * 2048)
    result = collect(outputs, tmp_path / "out", Limits(output_bytes=1024))
    assert result.collected == ()
    assert result.withheld_reason == "outputs withheld: output limit 1 KiB exceeded"


def test_over_the_file_count_nothing_is_collected(outputs: Path, tmp_path: Path) -> None:
    for number in range(5):
        (outputs / f"f{number}").write_text("x")
    result = collect(outputs, tmp_path / "out", Limits(output_files=3))
    assert result.collected == ()
    assert result.withheld_reason == "outputs withheld: output file count limit 3 exceeded"


def test_measuring_stops_early_past_the_file_count(outputs: Path) -> None:
    for number in range(50):
        (outputs / f"f{number}").write_text("x")
    assert measure(outputs, Limits(output_files=10)).entries == 11


def test_copied_files_lose_their_mode_bits(outputs: Path, tmp_path: Path) -> None:
    tool = outputs / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o6755)
    collect(outputs, tmp_path / "out", Limits())
    assert (tmp_path / "out" / "tool").stat().st_mode & 0o7777 == 0o644
