"""From bytes (or a dict) to a validated ``Contract``, with every problem located.

Three passes, each reported in the document's own terms: safe YAML
(``yaml_source``), structure and types (pydantic), then contradictions between
rules (``consistency``). All issues of a pass are reported together so one
edit-and-retry fixes as much as possible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from contracts.consistency import Issue, consistency_issues
from contracts.errors import ContractInvalid, ContractIssue
from contracts.job_kinds import JobKind
from contracts.model import DEFER_CONSISTENCY, Contract
from contracts.yaml_source import MAX_DOCUMENT_BYTES, ParsedDocument, format_path, parse_yaml

M = TypeVar("M", bound=BaseModel)

_SHOWN_INPUT_CHARS = 60


def load_contract(content: bytes | str, source: str = "contract") -> Contract:
    """Parse and validate a contract document (YAML or JSON)."""
    return validate_document(parse_yaml(content, source), Contract, consistency_issues)


def load_contract_file(path: Path) -> Contract:
    """Read a contract file, refusing oversized files before reading them."""
    return load_contract(read_capped(path), path.name)


def parse_contract(data: Mapping[str, Any], source: str = "contract") -> Contract:
    """Validate an already-parsed document (e.g. from an API body); no line numbers."""
    return validate_document(ParsedDocument(source, dict(data)), Contract, consistency_issues)


def read_capped(path: Path) -> bytes:
    """The file's bytes, or ``ContractInvalid`` when it is over the size cap."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise ContractInvalid(
            path.name,
            [
                ContractIssue(
                    "",
                    f"the file is {size} bytes; contracts are limited to "
                    f"{MAX_DOCUMENT_BYTES} bytes (1 MiB)",
                )
            ],
        )
    with path.open("rb") as handle:
        # Read one byte past the cap: the file may have grown since stat().
        return handle.read(MAX_DOCUMENT_BYTES + 1)


def validate_document(
    document: ParsedDocument,
    model: type[M],
    consistency: Callable[[M], Sequence[Issue]],
) -> M:
    """Validate ``document`` as ``model``; raise ``ContractInvalid`` with located issues."""
    try:
        value = model.model_validate(document.data, context={DEFER_CONSISTENCY: True})
    except ValidationError as exc:
        errors = _without_echoes(exc.errors())
        issues = [document.issue(err["loc"], _describe(err)) for err in errors]
        raise ContractInvalid(document.source, issues) from None
    problems = consistency(value)
    if problems:
        raise ContractInvalid(
            document.source, [document.issue(path, message) for path, message in problems]
        )
    return value


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    # A tuple with a minimum length drops its invalid items and then reports itself
    # too short; the item's own error is the one to fix.
    locs = [err["loc"] for err in errors]
    return [
        err
        for err in errors
        if err["type"] != "too_short"
        or not any(
            len(loc) > len(err["loc"]) and loc[: len(err["loc"])] == err["loc"] for loc in locs
        )
    ]


def _describe(err: ErrorDetails) -> str:
    """Pydantic's message, reworded where a person needs more than the type name."""
    loc = err["loc"]
    kind = err["type"]
    if kind == "missing":
        return f"{format_path(loc[-1:])} is required"
    if kind == "extra_forbidden":
        key = loc[-1]
        if len(loc) == 2 and loc[0] == "job_kinds":
            allowed = ", ".join(JobKind)
            return f"unknown job kind {key!r}: allowed kinds are {allowed}"
        return f"unknown field {key!r}: remove it or correct its spelling"
    ctx = err.get("ctx", {})
    if kind == "union_tag_invalid":
        field = str(ctx.get("discriminator", "")).strip("'")
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {field} {ctx.get('tag')!r}: use one of {expected}"
    message = err["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    shown = repr(err.get("input"))
    if len(shown) > _SHOWN_INPUT_CHARS:
        shown = shown[: _SHOWN_INPUT_CHARS - 3] + "..."
    return f"{message} (got {shown})"
