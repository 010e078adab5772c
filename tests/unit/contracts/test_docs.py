"""The published documents are generated from the code and must not drift from it."""

from __future__ import annotations

import re

from contracts import Contract, contract_hash, load_contract, render_json_schema, render_mermaid
from tests.unit.contracts.conftest import ROOT

DOC = ROOT / "docs" / "contracts.md"
SCHEMA = ROOT / "docs" / "contract.schema.json"
REGENERATE = (
    ".venv/bin/python -c 'import pathlib, contracts; "
    'pathlib.Path("docs/contract.schema.json").write_text(contracts.render_json_schema())\''
)


def block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- {name}:begin -->\n```\w+\n(.*?)```\n<!-- {name}:end -->", text, re.DOTALL
    )
    assert match, f"docs/contracts.md has no {name} block"
    return match.group(1)


def test_json_schema_file_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render_json_schema(), (
        f"docs/contract.schema.json is stale; regenerate it: {REGENERATE}"
    )


def test_lifecycle_diagram_is_drawn_from_the_transition_table() -> None:
    assert block("lifecycle") == render_mermaid()


def test_annotated_example_is_the_example_contract(example: Contract) -> None:
    annotated = load_contract(block("example"), "docs/contracts.md")
    assert contract_hash(annotated) == contract_hash(example)


def test_schema_describes_the_documents_own_keys() -> None:
    schema = render_json_schema()
    for key in ('"logicalType"', '"physicalType"', '"classification"', '"job_kinds"'):
        assert key in schema
