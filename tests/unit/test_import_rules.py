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


def imported_paths(source: str, *, with_names: bool = False) -> set[str]:
    """Every module imported, in full; ``with_names`` adds ``module.name`` for each
    ``from module import name`` (so ``from sealroom import api`` counts as sealroom.api)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if with_names:
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_modules(source: str) -> set[str]:
    return {path.split(".")[0] for path in imported_paths(source)}


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


# The API's wire conversions belong to the server and to the local client, which
# answers the same protocol in-process; the command line reaches either through
# the client protocol and never through the API package.
MAY_IMPORT_THE_API = ("sealroom/api/", "sealroom/local/")
MAY_IMPORT_THE_API_FILES = {"sealroom/cli/serve_command.py", "sealroom/demo.py"}
# Only the chooser looks at `--server`; remote.py is where the choice is kept.
MAY_READ_THE_SERVER_CHOICE = {"sealroom/cli/clients.py", "sealroom/cli/remote.py"}


def imports_the_api(source: str) -> bool:
    return any(
        m == "sealroom.api" or m.startswith("sealroom.api.")
        for m in imported_paths(source, with_names=True)
    )


def names_used(source: str) -> set[str]:
    tree = ast.parse(source)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            used.update(alias.name for alias in node.names)
    return used


def shell_files() -> list[str]:
    return [path.relative_to(ROOT).as_posix() for path in sorted((ROOT / "sealroom").rglob("*.py"))]


@pytest.mark.parametrize("name", shell_files())
def test_only_the_server_and_the_local_client_import_the_api(name: str) -> None:
    if name.startswith(MAY_IMPORT_THE_API) or name in MAY_IMPORT_THE_API_FILES:
        return
    assert not imports_the_api((ROOT / name).read_text(encoding="utf-8")), (
        f"{name} imports sealroom.api: ask the client protocol (sealroom.client.protocol) instead"
    )


@pytest.mark.parametrize("name", [n for n in shell_files() if n.startswith("sealroom/cli/")])
def test_no_command_module_branches_on_the_server_choice(name: str) -> None:
    if name in MAY_READ_THE_SERVER_CHOICE:
        return
    assert "chosen_server" not in names_used((ROOT / name).read_text(encoding="utf-8")), (
        f"{name} reads the server choice: take a client from sealroom.cli.clients.client_for"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sealroom.api.convert import job_info", True),
        ("from sealroom import api", True),
        ("import sealroom.api", True),
        ("def f():\n    from sealroom.api import create_app", True),
        ("from sealroom.apiary import x", False),
        ("from sealroom.client import Client", False),
    ],
)
def test_the_api_import_check_sees_each_form(source: str, expected: bool) -> None:
    assert imports_the_api(source) is expected


def test_the_server_choice_check_sees_a_call_and_an_import() -> None:
    assert "chosen_server" in names_used("from sealroom.cli.remote import chosen_server")
    assert "chosen_server" in names_used("import sealroom.cli.remote as r\nr.chosen_server()")
    assert "chosen_server" not in names_used("from sealroom.cli.clients import client_for")


@pytest.mark.parametrize("name", [n for n in shell_files() if n.startswith("sealroom/client/")])
def test_the_client_needs_nothing_of_the_server(name: str) -> None:
    # A partner abroad installs only the client extra: no store, no service, no web stack.
    imported = imported_paths((ROOT / name).read_text(encoding="utf-8"), with_names=True)
    shell = {m for m in imported if m.startswith("sealroom.")}
    bad = {m for m in shell if not m.startswith(("sealroom.client", "sealroom.errors"))}
    assert not bad, f"{name} imports {sorted(bad)}, which the client extra does not install"


# The shell and the benchmarks meet a room only at its face: a package's __init__
# (``kms``, ``jobs``, ``jobs.psi``), never a module behind it and never a private
# package (``kms._primitives``, ``jobs.psi._hazmat``). A room may then move its
# modules about without the shell noticing.
ROOMS = PROJECT - {"sealroom"}
FACE_BOUND = ("sealroom", "benchmarks")


def is_face(module: str, root: Path = ROOT) -> bool:
    parts = module.split(".")
    return (
        not any(part.startswith("_") for part in parts)
        and (root.joinpath(*parts) / "__init__.py").exists()
    )


def behind_the_face(source: str, root: Path = ROOT) -> set[str]:
    return {
        module
        for module in imported_paths(source)
        if module.split(".")[0] in ROOMS and not is_face(module, root)
    }


def face_bound_files() -> list[Path]:
    return [path for top in FACE_BOUND for path in sorted((ROOT / top).rglob("*.py"))]


@pytest.mark.parametrize("path", face_bound_files(), ids=str)
def test_the_shell_imports_rooms_only_through_their_faces(path: Path) -> None:
    bad = behind_the_face(path.read_text(encoding="utf-8"))
    assert not bad, (
        f"{path.relative_to(ROOT)} imports {sorted(bad)}: import the name from its room's "
        "package instead (add it to the room's __init__ if it is missing)"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from kms import seal_for", set()),
        ("from jobs.psi import PsiAbort", set()),
        ("from kms.algorithms import Algorithm", {"kms.algorithms"}),
        ("import jobs.gate", {"jobs.gate"}),
        ("from kms._primitives import aead", {"kms._primitives"}),
        ("from sealroom.service import jobs", set()),
    ],
)
def test_the_face_checker_catches_imports_behind_a_face(source: str, expected: set[str]) -> None:
    assert behind_the_face(source) == expected
