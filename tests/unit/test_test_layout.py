"""Tests import helpers and fixtures, never other tests.

A helper kept in a test module drags that module's tests (and its marks and
module-level setup) into every importer, and moving or deleting the test breaks
tests elsewhere. Shared steps live in helper modules: beside the tests that use
them, or under ``tests/fixtures/`` once tests in another directory use them too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imported_tests_modules(path: Path, source: str) -> set[str]:
    """Every ``tests.…`` module the file imports, relative imports resolved."""
    package = module_name(path).split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # ``from tests.api import world`` names a module as well as a package.
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "tests" or name.startswith("tests.")}


def is_test_module(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith("test_")


def is_module_file(name: str) -> bool:
    return (ROOT / Path(*name.split("."))).with_suffix(".py").is_file()


def python_files() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def files_of_tests() -> list[Path]:
    return [path for path in python_files() if path.name.startswith("test_")]


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_under_tests_imports_a_test_module(path: Path) -> None:
    imported = imported_tests_modules(path, path.read_text(encoding="utf-8"))
    tests = sorted(name for name in imported if is_test_module(name) and is_module_file(name))
    assert not tests, (
        f"{path.relative_to(ROOT)} imports the test module(s) {tests}: move what it needs "
        "into a helper module beside the tests, or under tests/fixtures/ when shared further"
    )


@pytest.mark.parametrize("path", files_of_tests(), ids=lambda p: str(p.relative_to(ROOT)))
def test_helpers_from_another_directory_come_from_tests_fixtures(path: Path) -> None:
    own = module_name(path).rsplit(".", 1)[0]
    imported = imported_tests_modules(path, path.read_text(encoding="utf-8"))
    elsewhere = sorted(
        name
        for name in imported
        if is_module_file(name)
        and not name.startswith("tests.fixtures.")
        and name.rsplit(".", 1)[0] != own
    )
    assert not elsewhere, (
        f"{path.relative_to(ROOT)} imports {elsewhere} from another test directory: "
        "move the shared helper under tests/fixtures/"
    )


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("tests/e2e/test_x.py", "from tests.api.test_y import helper", {"tests.api.test_y"}),
        ("tests/unit/jobs/test_x.py", "from .test_y import helper", {"tests.unit.jobs.test_y"}),
        ("tests/unit/jobs/test_x.py", "from . import test_y", {"tests.unit.jobs.test_y"}),
        ("tests/unit/jobs/test_x.py", "from ..psi.test_y import f", {"tests.unit.psi.test_y"}),
        ("tests/api/test_x.py", "import tests.api.test_y", {"tests.api.test_y"}),
    ],
)
def test_the_check_sees_a_test_module_however_it_is_imported(
    where: str, source: str, expected: set[str]
) -> None:
    found = imported_tests_modules(ROOT / where, source)
    assert expected <= {name for name in found if is_test_module(name)}
