"""Every malformed contract is refused with the field and the line to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import ContractInvalid, ContractIssue, load_contract, load_contract_file
from tests.unit.contracts.conftest import line_of, replace_once


def issues_of(text: str) -> tuple[ContractIssue, ...]:
    with pytest.raises(ContractInvalid) as caught:
        load_contract(text, "bad.yaml")
    assert caught.value.message == str(caught.value)
    return caught.value.issues


def only_issue(text: str) -> ContractIssue:
    issues = issues_of(text)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


def test_dataset_owner_missing_from_parties_is_reported_at_its_line(example_text: str) -> None:
    text = replace_once("    owner: acme-cn\n", "    owner: acme-hk\n")(example_text)
    issue = only_issue(text)
    assert issue.path == "datasets[0].owner"
    assert issue.line == line_of(text, "owner: acme-hk")
    assert issue.message == "missing party: acme-hk is not listed in parties"


def test_contract_without_recipient_names_the_missing_role(example_text: str) -> None:
    text = replace_once("    roles: [recipient]", "    roles: [scientist]")(example_text)
    messages = [i.message for i in issues_of(text)]
    assert "missing party: no party has the recipient role" in messages
    assert any("psi jobs may be submitted by a recipient" in m for m in messages)


def test_missing_required_field_is_named(example_text: str) -> None:
    text = replace_once("title: Customer insights for Globex UK\n", "")(example_text)
    issue = only_issue(text)
    assert issue.path == "title"
    assert issue.message == "title is required"


def test_missing_field_inside_a_list_entry_points_at_the_entry(example_text: str) -> None:
    text = replace_once(
        "      - name: segment\n        logicalType: string\n", "      - name: segment\n"
    )(example_text)
    issue = only_issue(text)
    assert issue.path == "datasets[0].columns[7].logicalType"
    assert issue.line == line_of(text, "- name: segment")


def test_unknown_dataset_in_a_column_reference(example_text: str) -> None:
    text = replace_once("[customers.mobile, customers.email]", "[clients.mobile, customers.email]")(
        example_text
    )
    issue = only_issue(text)
    assert issue.path == "job_kinds.psi.key_columns[0]"
    assert issue.line == line_of(text, "clients.mobile")
    assert issue.message == "unknown dataset clients in clients.mobile"


def test_unknown_column_in_a_column_reference(example_text: str) -> None:
    text = replace_once("customers.id_number]", "customers.passport]")(example_text)
    issue = only_issue(text)
    assert issue.path == "output.forbidden_columns[1]"
    assert issue.message == "unknown column customers.passport"


def test_join_only_column_required_by_output_schema_is_contradictory(example_text: str) -> None:
    text = replace_once("source: customers.segment", "source: customers.mobile")(example_text)
    issue = only_issue(text)
    assert issue.path == "output.schema[0].source"
    assert issue.line == line_of(text, "source: customers.mobile")
    assert issue.message == (
        "contradictory rules: column customers.mobile is join_only but the output schema "
        "requires it as segment"
    )


def test_aggregate_only_column_output_without_aggregate(example_text: str) -> None:
    text = replace_once("source: customers.city", "source: customers.birth_date")(example_text)
    issue = only_issue(text)
    assert issue.path == "output.schema[1].aggregate"
    assert "customers.birth_date is aggregate_only" in issue.message


def test_recipient_as_only_reviewer_is_refused(example_text: str) -> None:
    text = replace_once("    roles: [recipient]", "    roles: [recipient, reviewer]")(example_text)
    text = replace_once(
        "      reviewers: [acme-cn, platform]\n      required: 1",
        "      reviewers: [globex-uk]\n      required: 1",
    )(text)
    issue = only_issue(text)
    assert issue.path == "review.by_output_class.psi_cardinality.reviewers"
    assert issue.line == line_of(text, "reviewers: [globex-uk]")
    assert "its only reviewer globex-uk is also a recipient" in issue.message


def test_reviewer_without_reviewer_role(example_text: str) -> None:
    text = replace_once(
        "  default:\n    reviewers: [acme-cn, platform]",
        "  default:\n    reviewers: [acme-cn, alice]",
    )(example_text)
    issue = only_issue(text)
    assert issue.path == "review.default.reviewers[1]"
    assert issue.message == "party alice is named as a reviewer but lacks the reviewer role"


def test_validity_ending_before_it_starts(example_text: str) -> None:
    text = replace_once("  end: 2027-12-31", "  end: 2025-12-31")(example_text)
    issue = only_issue(text)
    assert issue.path == "validity.end"
    assert issue.line == line_of(text, "end: 2025-12-31")
    assert issue.message == "validity ends on 2025-12-31, before it starts on 2026-01-01"


def test_quorum_k_larger_than_n(example_text: str) -> None:
    text = replace_once("    required: 2\n", "    required: 3\n")(example_text)
    issue = only_issue(text)
    assert issue.path == "review.default.required"
    assert issue.message == "the quorum needs 3 approvals but names only 2 reviewer(s)"


def test_unknown_job_kind_lists_the_known_ones(example_text: str) -> None:
    text = replace_once("job_kinds:\n", "job_kinds:\n  quantum_ml:\n    max_runs: 1\n")(
        example_text
    )
    issue = only_issue(text)
    assert issue.path == "job_kinds.quantum_ml"
    assert issue.line == line_of(text, "quantum_ml:")
    assert issue.message == (
        "unknown job kind 'quantum_ml': allowed kinds are script, psi, psi_sum, he_aggregate"
    )


def test_billion_laughs_is_refused_before_expansion() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        levels.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]")
    issue = only_issue("\n".join(levels) + "\n")
    assert issue.message == "anchors (&name) are not allowed in contracts"
    assert issue.line == 1


def test_alias_in_an_otherwise_valid_contract_is_refused(example_text: str) -> None:
    text = replace_once(
        "  default:\n    reviewers: [acme-cn", "  default:\n    reviewers: &both [acme-cn"
    )(example_text)
    text = replace_once("      reviewers: [acme-cn, platform]", "      reviewers: *both")(text)
    issue = only_issue(text)
    assert "are not allowed in contracts" in issue.message
    assert issue.line == line_of(text, "&both")


def test_ten_megabyte_document_is_refused_unparsed(example_text: str) -> None:
    text = example_text + "# " + "x" * (10 * 1024 * 1024) + "\n"
    issue = only_issue(text)
    assert "contracts are limited to 1048576 bytes (1 MiB)" in issue.message


def test_ten_megabyte_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)  # sparse: the cap must trip on size alone
    with pytest.raises(ContractInvalid, match=r"(?s)huge.yaml .*the file is 10485760 bytes"):
        load_contract_file(path)


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("  min_group_size: 10", "  min_group_size: ten", "output.min_group_size"),
        ("  min_group_size: 10", '  min_group_size: "10"', "output.min_group_size"),
        ("  max_rows: 1000\n", "  max_rows: 1000.0\n", "output.max_rows"),
        ("  code_review_required: true", "  code_review_required: yes",
         "review.code_review_required"),
        ("version: 1\n", "version: [1]\n", "version"),
        ("  rows: 200", "  rows: -5", "debug_sample.rows"),
        ("  jurisdictions: [CN]", "  jurisdictions: CN", "placement.jurisdictions"),
    ],
)  # fmt: skip
def test_wrong_types_are_refused_not_coerced(
    example_text: str, old: str, new: str, path: str
) -> None:
    text = replace_once(old, new)(example_text)
    issue = only_issue(text)
    assert issue.path == path
    assert issue.line == line_of(text, new.strip())
    assert "(got " in issue.message


def test_duplicate_keys_are_refused_naming_both_lines(example_text: str) -> None:
    text = replace_once("  min_group_size: 10\n", "  min_group_size: 10\n  min_group_size: 5\n")(
        example_text
    )
    issue = only_issue(text)
    assert issue.path == "output.min_group_size"
    assert issue.line == line_of(text, "min_group_size: 5")
    first = line_of(text, "min_group_size: 10")
    assert issue.message == f"duplicate key 'min_group_size' (first at line {first}): keep one"


def test_misspelt_field_is_reported_not_dropped(example_text: str) -> None:
    text = replace_once("  max_rows: 1000", "  max_row: 1000")(example_text)
    issue = only_issue(text)
    assert issue.path == "output.max_row"
    assert issue.message == "unknown field 'max_row': remove it or correct its spelling"


def test_important_data_needs_a_security_assessment_number(example_text: str) -> None:
    text = replace_once(
        "      - name: segment\n        logicalType: string\n        classification: general",
        "      - name: segment\n        logicalType: string\n        classification: important",
    )(example_text)
    issues = issues_of(text)
    assert [i.path for i in issues] == ["export.legal_basis", "export.security_assessment_approval"]
    assert issues[0].message == (
        "column customers.segment is important data, so the legal basis must be security_assessment"
    )
    fixed = replace_once(
        "  legal_basis: exempt_no_personal_information",
        "  legal_basis: security_assessment\n  security_assessment_approval: CAC-2026-0042",
    )(text)
    assert load_contract(fixed).export.security_assessment_approval == "CAC-2026-0042"


def test_identifier_left_free_must_choose_a_policy(example_text: str) -> None:
    text = replace_once(
        "        classification: identifier\n        policy: join_only\n      - name: city",
        "        classification: identifier\n      - name: city",
    )(example_text)
    issue = only_issue(text)
    assert issue.path == "datasets[0].columns[4].policy"
    assert "column customers.email is identifier but its policy is free" in issue.message


def test_debug_sample_may_not_keep_personal_columns(example_text: str) -> None:
    text = replace_once("customers.name: {method: fake, provider: name}", "customers.name: keep")(
        example_text
    )
    issue = only_issue(text)
    assert issue.path == "debug_sample.masking['customers.name']"
    assert issue.line == line_of(text, "customers.name: keep")


def test_unknown_masking_method_is_refused(example_text: str) -> None:
    text = replace_once("customers.id_number: redact", "customers.id_number: blur")(example_text)
    issue = only_issue(text)
    assert issue.path == "debug_sample.masking['customers.id_number']"
    assert "blur" in issue.message


def test_owner_cannot_also_be_the_platform(example_text: str) -> None:
    text = replace_once("    roles: [owner, reviewer]", "    roles: [owner, platform, reviewer]")(
        example_text
    )
    messages = [i.message for i in issues_of(text)]
    assert any("defeats dual authorisation" in m for m in messages)
    assert "a contract needs exactly one party with the platform role, found 2" in messages


def test_all_problems_are_reported_at_once(example_text: str) -> None:
    text = replace_once("  end: 2027-12-31", "  end: 2025-12-31")(example_text)
    text = replace_once("    required: 2\n", "    required: 3\n")(text)
    with pytest.raises(ContractInvalid) as caught:
        load_contract(text, "two-problems.yaml")
    message = caught.value.message
    assert message.startswith(
        "two-problems.yaml is not a valid contract (2 problems); fix them and load it again:"
    )
    assert f"line {line_of(text, 'end: 2025-12-31')}, column 3: validity.end:" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the document is empty"),
        ("--- {}\n--- {}\n", "a contract file holds exactly one YAML document"),
        ("format: !!python/object:os.system x\n",
         "tag tag:yaml.org,2002:python/object:os.system is not allowed"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "nesting is deeper than 32 levels"),
        ("a: [1\n", "malformed YAML: expected ',' or ']', but got '<stream end>'"),
        ("<<: {a: 1}\n", "merge keys (<<) are not allowed in contracts"),
        ("- just\n- a list\n", "(got ['just', 'a list'])"),
    ],
)  # fmt: skip
def test_hostile_or_broken_yaml_is_refused(text: str, message: str) -> None:
    issues = issues_of(text)
    assert any(message in i.message for i in issues), [str(i) for i in issues]


def test_non_utf8_bytes_are_refused() -> None:
    issue = only_issue(b"title: \xff\xfe\n")  # type: ignore[arg-type]
    assert issue.message == "the document is not UTF-8 (bad byte at offset 7)"


def test_unknown_time_zone(example_text: str) -> None:
    text = replace_once("timezone: Asia/Shanghai", "timezone: Mars/Olympus")(example_text)
    issue = only_issue(text)
    assert issue.path == "validity.timezone"
    assert "unknown time zone 'Mars/Olympus'" in issue.message
