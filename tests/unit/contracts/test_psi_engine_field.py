"""The contract names the PSI engine; secretflow cannot promise a cardinality-only run."""

from __future__ import annotations

import pytest

from contracts import (
    ContractInvalid,
    PsiEngineKind,
    PsiRevealMode,
    SecretflowProtocol,
    load_contract,
)
from tests.unit.contracts.conftest import line_of, replace_once

REVEAL = "    reveal: [cardinality, intersection]\n"


def with_psi(example_text: str, lines: str, reveal: str = REVEAL) -> str:
    return replace_once(REVEAL, reveal + lines)(example_text)


def issues(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ContractInvalid) as caught:
        load_contract(text, "bad.yaml")
    return [(i.path, i.line, i.message) for i in caught.value.issues]


def test_engine_defaults_to_openmined_without_a_protocol(example_text: str) -> None:
    rules = load_contract(example_text, "ok.yaml").job_kinds.psi
    assert rules is not None
    assert rules.engine is PsiEngineKind.OPENMINED
    assert rules.protocol is None


def test_secretflow_with_intersection_only_loads_and_defaults_to_rr22(example_text: str) -> None:
    text = with_psi(example_text, "    engine: secretflow\n", "    reveal: [intersection]\n")
    rules = load_contract(text, "ok.yaml").job_kinds.psi
    assert rules is not None
    assert rules.engine is PsiEngineKind.SECRETFLOW
    assert rules.reveal == (PsiRevealMode.INTERSECTION,)
    assert rules.secretflow_protocol is SecretflowProtocol.RR22


def test_secretflow_protocol_is_read(example_text: str) -> None:
    text = with_psi(
        example_text, "    engine: secretflow\n    protocol: kkrt\n", "    reveal: [intersection]\n"
    )
    rules = load_contract(text, "ok.yaml").job_kinds.psi
    assert rules is not None
    assert rules.secretflow_protocol is SecretflowProtocol.KKRT


def test_secretflow_refuses_cardinality_mode_at_its_line(example_text: str) -> None:
    text = with_psi(example_text, "    engine: secretflow\n")
    [(path, line, message)] = issues(text)
    assert path == "job_kinds.psi.reveal[0]"
    assert line == line_of(text, "reveal: [cardinality, intersection]")
    assert "gives the partner the intersection itself" in message
    assert "cardinality mode cannot be kept to" in message


def test_protocol_without_secretflow_engine_is_refused(example_text: str) -> None:
    [(path, _, message)] = issues(with_psi(example_text, "    protocol: rr22\n"))
    assert path == "job_kinds.psi.protocol"
    assert "set engine: secretflow or remove the protocol" in message


@pytest.mark.parametrize(
    ("lines", "path"),
    [
        ("    engine: spu\n", "job_kinds.psi.engine"),
        ("    engine: secretflow\n    protocol: rr23\n", "job_kinds.psi.protocol"),
        ("    engine: [secretflow]\n", "job_kinds.psi.engine"),
        ("    engine: secretflow\n    protocol: 22\n", "job_kinds.psi.protocol"),
    ],
)
def test_malformed_engine_or_protocol_names_the_field(
    example_text: str, lines: str, path: str
) -> None:
    found = issues(with_psi(example_text, lines, "    reveal: [intersection]\n"))
    assert [p for p, _, _ in found] == [path], found
