"""Writing a contract back out as YAML, for ``contract show`` and for editing a new version."""

from __future__ import annotations

import io

from ruamel.yaml import YAML

from contracts.model import Contract


def dump_contract_yaml(contract: Contract) -> str:
    """YAML that ``load_contract`` reads back to an equal contract (and the same hash).

    Fields left at ``None`` are omitted to keep the document readable; every
    other value, defaults included, is written out.
    """
    data = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 100
    # Keep the model's field order; ruamel declares this attribute as None-typed.
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
