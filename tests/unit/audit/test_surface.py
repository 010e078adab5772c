"""The audit package's public surface, and the purity of its tree code."""

from __future__ import annotations

import ast
from pathlib import Path

import sealroom.audit
import sealroom.audit.merkle


def test_everything_the_package_exports_exists() -> None:
    missing = [name for name in sealroom.audit.__all__ if not hasattr(sealroom.audit, name)]
    assert missing == []


def test_the_tree_code_imports_nothing_but_the_standard_library_and_its_errors() -> None:
    tree = ast.parse(Path(sealroom.audit.merkle.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "hashlib",
        "collections.abc",
        "dataclasses",
        "sealroom.audit.errors",
    }
