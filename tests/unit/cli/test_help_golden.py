"""Every command's ``--help`` text, pinned: the words a user reads change only on purpose.

A deliberate change to a command's options or help updates its golden file in the
same commit: ``SEALROOM_UPDATE_GOLDEN=1 pytest tests/unit/cli/test_help_golden.py``
rewrites them, and the diff shows exactly what a user will see differently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from sealroom.cli.app import app

GOLDEN = Path(__file__).parent / "golden_help"
# A fixed terminal, so the text does not depend on where the tests run.
TERMINAL = {"COLUMNS": "100", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}


def command_paths() -> list[tuple[str, ...]]:
    """Every group and command of `sealroom`, as the words a user types."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        # Typer ships its own click: a group is whatever has subcommands.
        subcommands: dict[str, Any] = getattr(command, "commands", {})
        for name in sorted(subcommands):
            walk(subcommands[name], (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


def golden_file(path: tuple[str, ...]) -> Path:
    return GOLDEN / ("-".join(("sealroom", *path)) + ".txt")


def help_text(path: tuple[str, ...]) -> str:
    # Environment variables a user may have set must not leak into the text.
    clean = {k: None for k in os.environ if k.startswith("SEALROOM_")}
    result = CliRunner().invoke(app, [*path, "--help"], env={**clean, **TERMINAL}, color=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(("sealroom", *p)))
def test_help_text_is_unchanged(path: tuple[str, ...]) -> None:
    text = help_text(path)
    golden = golden_file(path)
    if os.environ.get("SEALROOM_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden help for {path}: run with SEALROOM_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_every_golden_file_belongs_to_a_command() -> None:
    # A removed or renamed command leaves its golden file behind: that is a change too.
    expected = {golden_file(p).name for p in command_paths()}
    assert {p.name for p in GOLDEN.glob("*.txt")} == expected
