"""The rooms' import rule (DESIGN.md, Architecture), checked over every source file.

contracts, sandbox and kms import nothing else of the project; jobs imports only
those three; only sealroom/ touches HTTP, the database and the terminal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"sealroom", "contracts", "sandbox", "kms", "jobs"}
ALLOWED_PROJECT_IMPORTS = {
    "contracts": set(),
    "sandbox": set(),
    "kms": set(),
    "jobs": {"contracts", "sandbox", "kms"},
    "sealroom": {"contracts", "sandbox", "kms", "jobs"},
}
# HTTP, the database and the terminal belong to the application shell.
SHELL_ONLY = {
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "requests",
    "typer",
    "click",
    "rich",
    "getpass",
    "readline",
    "curses",
}


def imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def violations(room: str, source: str) -> set[str]:
    imported = imported_modules(source)
    bad = {m for m in imported & PROJECT if m != room and m not in ALLOWED_PROJECT_IMPORTS[room]}
    if room != "sealroom":
        bad |= imported & SHELL_ONLY
    return bad


def room_files() -> list[tuple[str, Path]]:
    return [
        (room, path) for room in sorted(PROJECT) for path in sorted((ROOT / room).rglob("*.py"))
    ]


@pytest.mark.parametrize(("room", "path"), room_files(), ids=str)
def test_module_respects_the_import_rule(room: str, path: Path) -> None:
    bad = violations(room, path.read_text(encoding="utf-8"))
    assert not bad, f"{path.relative_to(ROOT)} ({room}) imports {sorted(bad)}, which it may not"


@pytest.mark.parametrize(
    ("room", "source", "expected"),
    [
        ("kms", "from sealroom.errors import SealroomError", {"sealroom"}),
        ("contracts", "import kms", {"kms"}),
        ("sandbox", "from jobs import x", {"jobs"}),
        ("jobs", "from sealroom.store import models", {"sealroom"}),
        ("jobs", "import sqlalchemy.orm", {"sqlalchemy"}),
        ("kms", "import rich.console", {"rich"}),
        ("contracts", "from fastapi import FastAPI", {"fastapi"}),
    ],
)
def test_the_checker_catches_each_kind_of_breach(
    room: str, source: str, expected: set[str]
) -> None:
    assert violations(room, source) == expected


def test_allowed_imports_pass() -> None:
    assert violations("jobs", "from kms import seal_for\nimport contracts\nimport pandas") == set()
    assert violations("sealroom", "import sqlalchemy\nfrom jobs import x") == set()


def test_every_room_has_source_files() -> None:
    assert {room for room, _ in room_files()} == PROJECT
