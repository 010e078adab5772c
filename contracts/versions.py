"""Versions: any edit to a contract is a new version that needs approval again."""

from __future__ import annotations

from contracts.canonical import contract_hash
from contracts.errors import ContractInvalid, ContractIssue
from contracts.model import Contract


def check_new_version(previous: Contract, proposed: Contract) -> None:
    """Refuse ``proposed`` unless it is the next version of ``previous`` and differs from it.

    Approvals sign one hash, so reusing a version number for different content
    would let old signatures appear to cover new terms.
    """
    issues: list[ContractIssue] = []
    if proposed.id != previous.id:
        issues.append(
            ContractIssue("id", f"a new version of {previous.ref} must keep the id {previous.id}")
        )
    if proposed.version != previous.version + 1:
        issues.append(
            ContractIssue(
                "version",
                f"the version after {previous.ref} is {previous.version + 1}, "
                f"not {proposed.version}",
            )
        )
    if contract_hash(proposed) == contract_hash(
        previous.model_copy(update={"version": proposed.version})
    ):
        issues.append(
            ContractIssue("", f"nothing changed since {previous.ref} apart from the version number")
        )
    if issues:
        raise ContractInvalid(f"the proposed version of {previous.ref}", issues)
