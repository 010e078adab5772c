"""Cross-field checks: rules that each look fine alone but contradict each other.

Each check yields ``(path, message)`` with the path spelled in the document's own
keys, so the loader can point at the line. Structural problems (types, missing
keys) are pydantic's job and never reach here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from contracts.datasets import Classification, Column, ColumnPolicy
from contracts.export import LegalBasis
from contracts.job_kinds import (
    HeAggregateRules,
    JobKind,
    PsiEngineKind,
    PsiRevealMode,
    PsiRules,
    PsiSumRules,
)
from contracts.masking import Generalise, Keep, Truncate
from contracts.outputs import OutputColumn
from contracts.parties import Role
from contracts.review import QuorumRule

if TYPE_CHECKING:
    from contracts.model import Contract

Path = tuple[str | int, ...]
Issue = tuple[Path, str]


def consistency_issues(contract: Contract) -> list[Issue]:
    """Every contradiction in ``contract``, in document order."""
    return [
        *_party_issues(contract),
        *_validity_issues(contract),
        *_dataset_issues(contract),
        *_job_kind_issues(contract),
        *_masking_issues(contract),
        *_output_issues(contract),
        *_review_issues(contract),
        *_export_issues(contract),
    ]


def _party_issues(contract: Contract) -> Iterator[Issue]:
    seen: set[str] = set()
    for index, party in enumerate(contract.parties):
        if party.name in seen:
            yield ("parties", index, "name"), f"party {party.name} is listed twice"
        seen.add(party.name)
        if len(set(party.roles)) != len(party.roles):
            yield ("parties", index, "roles"), f"party {party.name} lists a role twice"
        if Role.OWNER in party.roles and Role.PLATFORM in party.roles:
            yield (
                ("parties", index, "roles"),
                f"party {party.name} is both owner and platform, which defeats dual "
                "authorisation: the platform must be a different party",
            )
    platforms = contract.holders(Role.PLATFORM)
    if len(platforms) != 1:
        yield (
            ("parties",),
            f"a contract needs exactly one party with the platform role, found {len(platforms)}",
        )
    if not contract.holders(Role.OWNER):
        yield ("parties",), "missing party: no party has the owner role"
    if not contract.holders(Role.RECIPIENT):
        yield ("parties",), "missing party: no party has the recipient role"


def _validity_issues(contract: Contract) -> Iterator[Issue]:
    validity = contract.validity
    if validity.end < validity.start:
        yield (
            ("validity", "end"),
            f"validity ends on {validity.end}, before it starts on {validity.start}",
        )


def _dataset_issues(contract: Contract) -> Iterator[Issue]:
    seen: set[str] = set()
    for index, dataset in enumerate(contract.datasets):
        path: Path = ("datasets", index)
        if dataset.name in seen:
            yield (*path, "name"), f"dataset {dataset.name} is listed twice"
        seen.add(dataset.name)
        owner = contract.party(dataset.owner)
        if owner is None:
            yield (*path, "owner"), f"missing party: {dataset.owner} is not listed in parties"
        elif Role.OWNER not in owner.roles:
            yield (*path, "owner"), f"party {dataset.owner} owns a dataset but lacks the owner role"
        names: set[str] = set()
        for col_index, column in enumerate(dataset.columns):
            col_path: Path = (*path, "columns", col_index)
            if column.name in names:
                yield (*col_path, "name"), f"column {column.name} is listed twice"
            names.add(column.name)
            yield from _column_policy_issues(col_path, dataset.name, column)


def _column_policy_issues(path: Path, dataset: str, column: Column) -> Iterator[Issue]:
    # Identifiers and sensitive data single people out; letting them default to
    # ``free`` would put them one unreviewed output away from the partner.
    if column.policy is ColumnPolicy.FREE and column.classification in (
        Classification.IDENTIFIER,
        Classification.SENSITIVE_PERSONAL,
    ):
        yield (
            (*path, "policy"),
            f"column {dataset}.{column.name} is {column.classification.value} but its policy "
            "is free: set policy to join_only, aggregate_only or never_output",
        )


def _column_ref_issue(contract: Contract, path: Path, ref: str) -> Issue | None:
    dataset_name = ref.partition(".")[0]
    if contract.dataset(dataset_name) is None:
        return path, f"unknown dataset {dataset_name} in {ref}"
    if contract.column(ref) is None:
        return path, f"unknown column {ref}"
    return None


def _job_kind_issues(contract: Contract) -> Iterator[Issue]:
    kinds = contract.job_kinds
    if not kinds.allowed():
        yield ("job_kinds",), "no job kind is allowed: list at least one of " + ", ".join(JobKind)
    for kind in kinds.allowed():
        rules = kinds.rules_for(kind)
        assert rules is not None
        path: Path = ("job_kinds", kind.value)
        for index, role in enumerate(rules.submitters):
            if not contract.holders(role):
                yield (
                    (*path, "submitters", index),
                    f"missing party: {kind.value} jobs may be submitted by a {role.value}, "
                    "but no party has that role",
                )
        if isinstance(rules, PsiRules | PsiSumRules):
            yield from _key_column_issues(contract, path, rules.key_columns)
            if rules.min_partner_set_size > rules.max_partner_set_size:
                yield (
                    (*path, "max_partner_set_size"),
                    f"the cap of {rules.max_partner_set_size:,} partner identifiers is below "
                    f"the minimum of {rules.min_partner_set_size:,}: no run could pass; raise "
                    "the cap or lower the minimum",
                )
        if isinstance(rules, PsiRules):
            yield from _psi_engine_issues(path, rules)
        if isinstance(rules, PsiSumRules | HeAggregateRules):
            yield from _value_column_issues(contract, path, rules.value_columns)


def _psi_engine_issues(path: Path, rules: PsiRules) -> Iterator[Issue]:
    if rules.engine is PsiEngineKind.SECRETFLOW:
        for index, mode in enumerate(rules.reveal):
            if mode is not PsiRevealMode.INTERSECTION:
                yield (
                    (*path, "reveal", index),
                    f"the secretflow engine gives the partner the intersection itself, so "
                    f"{mode.value} mode cannot be kept to: allow only intersection, or use "
                    "the openmined engine",
                )
    elif rules.protocol is not None:
        yield (
            (*path, "protocol"),
            f"protocol {rules.protocol.value} is a secretflow protocol, but the engine is "
            f"{rules.engine.value}: set engine: secretflow or remove the protocol",
        )


def _key_column_issues(contract: Contract, path: Path, refs: tuple[str, ...]) -> Iterator[Issue]:
    for index, ref in enumerate(refs):
        ref_path: Path = (*path, "key_columns", index)
        problem = _column_ref_issue(contract, ref_path, ref)
        if problem:
            yield problem
            continue
        column = contract.column(ref)
        assert column is not None
        if column.policy is ColumnPolicy.NEVER_OUTPUT:
            yield (
                ref_path,
                f"column {ref} is never_output, but PSI reveals which of its values the "
                "partner also holds: use join_only for PSI keys",
            )


def _value_column_issues(contract: Contract, path: Path, refs: tuple[str, ...]) -> Iterator[Issue]:
    for index, ref in enumerate(refs):
        ref_path: Path = (*path, "value_columns", index)
        problem = _column_ref_issue(contract, ref_path, ref)
        if problem:
            yield problem
            continue
        column = contract.column(ref)
        assert column is not None
        if not column.logical_type.is_numeric:
            yield ref_path, f"column {ref} is {column.logical_type.value}, not a number"
        if column.policy in (ColumnPolicy.JOIN_ONLY, ColumnPolicy.NEVER_OUTPUT):
            yield (
                ref_path,
                f"column {ref} is {column.policy.value}, so its totals may not be released",
            )


def _masking_issues(contract: Contract) -> Iterator[Issue]:
    for ref, masking in contract.debug_sample.masking.items():
        path: Path = ("debug_sample", "masking", ref)
        problem = _column_ref_issue(contract, path, ref)
        if problem:
            yield problem
            continue
        column = contract.column(ref)
        assert column is not None
        if isinstance(masking, Keep) and column.classification is not Classification.GENERAL:
            yield (
                path,
                f"column {ref} is {column.classification.value}, so the debug sample may not "
                "keep it unmasked: choose redact, salted_hash, truncate, generalise, shuffle "
                "or fake",
            )
        if isinstance(masking, Generalise):
            if masking.date_to is not None and not column.logical_type.is_temporal:
                yield path, f"column {ref} is not a date, so it cannot be generalised by date_to"
            if masking.bucket_width is not None and not column.logical_type.is_numeric:
                yield path, f"column {ref} is not a number, so it cannot be bucketed"
        if isinstance(masking, Truncate) and column.logical_type.value != "string":
            yield path, f"column {ref} is not a string, so it cannot be truncated"


def _output_issues(contract: Contract) -> Iterator[Issue]:
    rules = contract.output
    forbidden = set(rules.forbidden_columns)
    for index, ref in enumerate(rules.forbidden_columns):
        problem = _column_ref_issue(contract, ("output", "forbidden_columns", index), ref)
        if problem:
            yield problem
    columns: list[tuple[Path, OutputColumn]] = [
        (("output", "schema", index), out) for index, out in enumerate(rules.output_schema or ())
    ]
    for index, schema in enumerate(rules.file_schemas or ()):
        path: Path = ("output", "schemas", index)
        if schema.partition_of is not None and contract.dataset(schema.partition_of) is None:
            yield (*path, "partition_of"), f"unknown dataset {schema.partition_of}"
        columns.extend(((*path, "columns", i), out) for i, out in enumerate(schema.columns))
        if len(contract.datasets) > 1 and schema.partition_of is None:
            for i, out in enumerate(schema.columns):
                if out.is_count and out.source is None:
                    yield (
                        (*path, "columns", i, "source"),
                        f"count column {out.name} must say which dataset it counts: give it a "
                        "source, or the schema a partition_of",
                    )
    for path, out in columns:
        yield from _output_column_issues(contract, path, out, forbidden)


def _output_column_issues(
    contract: Contract, path: Path, out: OutputColumn, forbidden: set[str]
) -> Iterator[Issue]:
    if out.source is None:
        if out.aggregate not in (None, "count"):
            yield (*path, "aggregate"), f"output column {out.name} aggregates but has no source"
        return
    problem = _column_ref_issue(contract, (*path, "source"), out.source)
    if problem:
        yield problem
        return
    column = contract.column(out.source)
    assert column is not None
    wants = "requires" if out.required else "declares"
    if column.policy in (ColumnPolicy.JOIN_ONLY, ColumnPolicy.NEVER_OUTPUT):
        yield (
            (*path, "source"),
            f"contradictory rules: column {out.source} is {column.policy.value} but the "
            f"output schema {wants} it as {out.name}",
        )
    elif out.source in forbidden:
        yield (
            (*path, "source"),
            f"contradictory rules: column {out.source} is in output.forbidden_columns but "
            f"the output schema {wants} it as {out.name}",
        )
    elif column.policy is ColumnPolicy.AGGREGATE_ONLY and out.aggregate is None:
        yield (
            (*path, "aggregate"),
            f"column {out.source} is aggregate_only, so output column {out.name} must "
            "name an aggregate (count, sum, mean, ...)",
        )
    numeric_needed = out.aggregate is not None and out.aggregate.needs_numeric
    if numeric_needed and not column.logical_type.is_numeric:
        assert out.aggregate is not None
        yield (
            (*path, "aggregate"),
            f"{out.aggregate.value} of {out.source} needs a number, "
            f"but it is {column.logical_type.value}",
        )


def _review_issues(contract: Contract) -> Iterator[Issue]:
    review = contract.review
    yield from _quorum_issues(contract, ("review", "default"), review.default)
    for output_class, rule in review.by_output_class.items():
        yield from _quorum_issues(contract, ("review", "by_output_class", output_class.value), rule)


def _quorum_issues(contract: Contract, path: Path, rule: QuorumRule) -> Iterator[Issue]:
    if len(set(rule.reviewers)) != len(rule.reviewers):
        yield (*path, "reviewers"), "a reviewer is listed twice"
    for index, name in enumerate(rule.reviewers):
        party = contract.party(name)
        if party is None:
            yield (*path, "reviewers", index), f"missing party: {name} is not listed in parties"
        elif Role.REVIEWER not in party.roles:
            yield (
                (*path, "reviewers", index),
                f"party {name} is named as a reviewer but lacks the reviewer role",
            )
    n = len(set(rule.reviewers))
    if rule.required > n:
        yield (
            (*path, "required"),
            f"the quorum needs {rule.required} approvals but names only {n} reviewer(s)",
        )
        return
    # The recipient gains from every release, so it cannot be what lets one through.
    recipients = set(contract.holders(Role.RECIPIENT))
    independent = [r for r in dict.fromkeys(rule.reviewers) if r not in recipients]
    if len(independent) < rule.required:
        conflicted = ", ".join(r for r in rule.reviewers if r in recipients)
        if len(rule.reviewers) == 1:
            detail = f"its only reviewer {conflicted} is also a recipient"
        else:
            detail = f"reviewers {conflicted} are also recipients and cannot count"
        yield (
            (*path, "reviewers"),
            f"the quorum needs {rule.required} reviewer(s) who do not receive the output, "
            f"but {detail}",
        )


def _export_issues(contract: Contract) -> Iterator[Issue]:
    export = contract.export
    important = [
        f"{d.name}.{c.name}"
        for d in contract.datasets
        for c in d.columns
        if c.classification is Classification.IMPORTANT
    ]
    # 2024 Provisions on Promoting and Regulating Cross-Border Data Flows, art. 7:
    # exporting important data needs a CAC security assessment, whatever the volume.
    if important and export.legal_basis is not LegalBasis.SECURITY_ASSESSMENT:
        yield (
            ("export", "legal_basis"),
            f"column {important[0]} is important data, so the legal basis must be "
            "security_assessment",
        )
    needs_number = important or export.legal_basis is LegalBasis.SECURITY_ASSESSMENT
    if needs_number and export.security_assessment_approval is None:
        yield (
            ("export", "security_assessment_approval"),
            "a security assessment is the legal basis, so its CAC approval number is required",
        )
