"""The signed-contract file that ``sealroom contract verify FILE`` checks offline.

    format: sealroom.signed-contract/v1
    contract: {...}            # the contract document, keys pinned
    contract_hash: <hex>       # stated hash; verification recomputes it
    approvals: [{party, role, action, signed_at, signature}, ...]

Verification is a plan of named steps; a failure names the step:

1. ``parse``: safe YAML/JSON, the contract valid (``ContractInvalid``);
2. ``hash``: the stated hash equals the recomputed one (``SignatureInvalid``);
3. ``signatures``: every approval verifies under its party's pinned key;
4. ``lifecycle``: the approvals, replayed in time order from ``proposed``, are
   legal steps (``IllegalTransition`` and friends); the result is the status.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from contracts.canonical import contract_hash
from contracts.consistency import Issue, consistency_issues
from contracts.errors import SignatureInvalid
from contracts.lifecycle import Action, State, Status, apply, effective_state
from contracts.loading import read_capped, validate_document
from contracts.model import Contract
from contracts.section import Section
from contracts.signing import Approval, verify_approval
from contracts.yaml_source import parse_yaml

SIGNED_FORMAT: Literal["sealroom.signed-contract/v1"] = "sealroom.signed-contract/v1"

HexDigest = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]


class SignedContract(Section):
    format: Literal["sealroom.signed-contract/v1"] = SIGNED_FORMAT
    contract: Contract
    contract_hash: HexDigest
    approvals: tuple[Approval, ...] = Field(default=())

    def with_approval(self, approval: Approval) -> SignedContract:
        return self.model_copy(update={"approvals": (*self.approvals, approval)})


def signed_contract(contract: Contract, approvals: Sequence[Approval] = ()) -> SignedContract:
    return SignedContract(
        contract=contract, contract_hash=contract_hash(contract), approvals=tuple(approvals)
    )


def dump_signed_contract(signed: SignedContract) -> str:
    """The file's text: JSON, which is also YAML, so one reader handles both."""
    data = signed.model_dump(mode="json", by_alias=True)
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _contract_issues(signed: SignedContract) -> list[Issue]:
    return [(("contract", *path), message) for path, message in consistency_issues(signed.contract)]


def load_signed_contract(content: bytes | str, source: str = "signed contract") -> SignedContract:
    return validate_document(parse_yaml(content, source), SignedContract, _contract_issues)


def load_signed_contract_file(path: Path) -> SignedContract:
    return load_signed_contract(read_capped(path), path.name)


@dataclass(frozen=True)
class Verification:
    """What an offline verification established."""

    contract: Contract
    contract_hash: str
    approvals: tuple[Approval, ...]  # all verified, in time order
    status: Status  # replayed from the approvals
    state: State  # the effective state at the ``now`` given


def verify_hash(signed: SignedContract) -> str:
    """Step 2: the stated hash is the contract's; returns the hash."""
    actual = contract_hash(signed.contract)
    if actual != signed.contract_hash:
        raise SignatureInvalid(
            f"{signed.contract.ref} was changed after it was hashed (its hash is "
            f"{actual[:12]}..., the file states {signed.contract_hash[:12]}...): signatures "
            "cover the original only; propose the change as a new version"
        )
    return actual


def verify_signatures(signed: SignedContract) -> tuple[Approval, ...]:
    """Step 3: every approval verifies; returns them in time order."""
    for approval in signed.approvals:
        verify_approval(signed.contract, approval)
    return tuple(sorted(signed.approvals, key=lambda a: a.signed_at))


def replay(contract: Contract, approvals: Sequence[Approval]) -> Status:
    """Step 4: the status the approvals lead to, each applied at its own time."""
    status = Status(state=State.PROPOSED)
    for approval in approvals:
        action = Action(approval.action, approval.party, approval.role)
        status = apply(contract, status, action, approval.signed_at)
    return status


def verify_signed_contract(signed: SignedContract, now: dt.datetime) -> Verification:
    digest = verify_hash(signed)
    approvals = verify_signatures(signed)
    status = replay(signed.contract, approvals)
    state = effective_state(signed.contract, status, now)
    return Verification(signed.contract, digest, approvals, status, state)
