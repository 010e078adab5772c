"""Edits make new versions; a contract written back out reads back the same."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts import (
    Contract,
    ContractInvalid,
    check_new_version,
    contract_body,
    contract_hash,
    dump_contract_yaml,
    load_contract,
)


def test_next_version_with_a_change_is_accepted(example: Contract) -> None:
    edited = example.model_copy(update={"version": 2, "title": "Customer insights, renewed"})
    check_new_version(example, edited)


def test_version_must_be_the_next_one_and_content_must_change(example: Contract) -> None:
    with pytest.raises(ContractInvalid) as caught:
        check_new_version(example, example.model_copy(update={"version": 3}))
    messages = [i.message for i in caught.value.issues]
    assert messages == [
        "the version after contract c-12 v1 is 2, not 3",
        "nothing changed since contract c-12 v1 apart from the version number",
    ]


def test_another_contracts_id_is_not_a_new_version(example: Contract) -> None:
    other = example.model_copy(update={"id": "c-13", "version": 2, "title": "x"})
    with pytest.raises(ContractInvalid, match="must keep the id c-12"):
        check_new_version(example, other)


def test_dumped_yaml_reads_back_to_the_same_contract(example: Contract) -> None:
    text = dump_contract_yaml(example)
    assert text.startswith("format: sealroom.contract/v1\nid: c-12\n")
    again = load_contract(text)
    assert again == example
    assert contract_hash(again) == contract_hash(example)


def test_direct_construction_still_runs_the_consistency_checks(example: Contract) -> None:
    body = contract_body(example)
    body["validity"]["end"] = "2025-01-01"
    with pytest.raises(ValidationError, match=r"validity\.end: validity ends on 2025-01-01"):
        Contract.model_validate(body)
