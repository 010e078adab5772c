"""The contract's JSON Schema, as published in ``docs/contract.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from contracts.model import CONTRACT_FORMAT, Contract

SCHEMA_ID = "https://sealroom.dev/schemas/contract/v1.json"


def contract_json_schema() -> dict[str, Any]:
    schema = Contract.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Sealroom data contract",
        "description": (
            f"A Sealroom contract document ({CONTRACT_FORMAT}). Cross-field rules "
            "(references between sections, dual authorisation, review quorums) are "
            "checked by the loader, not by this schema."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def render_json_schema() -> str:
    """The schema file's exact text."""
    return json.dumps(contract_json_schema(), indent=2, ensure_ascii=False) + "\n"
