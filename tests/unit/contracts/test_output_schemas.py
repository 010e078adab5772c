"""``output.schemas``: per file-name pattern, the columns an output file must have."""

from __future__ import annotations

import pytest

from contracts import ContractInvalid, load_contract
from tests.unit.contracts.conftest import replace_once

SINGLE_SCHEMA_START = "  schema:\n    - name: segment\n"

BY_CITY = """  schemas:
    - files: "by_city*.csv"
      partition_of: customers
      columns:
        - {name: city, logicalType: string, source: customers.city}
        - {name: customers, logicalType: integer, aggregate: count}
    - files: "spend_*.parquet"
      columns:
        - {name: segment, logicalType: string, source: customers.segment}
        - name: total_spend_cny
          logicalType: number
          source: customers.spend_cny
          aggregate: sum
"""


def with_schemas(example_text: str, schemas: str = BY_CITY) -> str:
    """The example with ``schemas`` declared before its single ``schema``."""
    return replace_once(SINGLE_SCHEMA_START, schemas + SINGLE_SCHEMA_START)(example_text)


def messages(text: str) -> list[str]:
    with pytest.raises(ContractInvalid) as caught:
        load_contract(text, "bad.yaml")
    return [f"{i.path}: {i.message}" for i in caught.value.issues]


def test_declared_schemas_come_before_the_single_schema_which_matches_every_file(
    example_text: str,
) -> None:
    contract = load_contract(with_schemas(example_text), "c.yaml")
    patterns = [s.files for s in contract.output.schemas]
    assert patterns == ["by_city*.csv", "spend_*.parquet", "*"]
    assert contract.output.schemas[0].partition_of == "customers"
    assert [c.name for c in contract.output.schemas[2].columns] == [
        "segment",
        "city",
        "customers",
        "mean_spend_cny",
    ]


def test_the_dominance_rules_have_acro_defaults_and_can_be_set(example_text: str) -> None:
    contract = load_contract(example_text, "c.yaml")
    assert (contract.output.dominance.n, contract.output.dominance.k_percent) == (2, 90.0)
    assert contract.output.dominance.p_percent == 10.0
    text = replace_once(
        "  min_group_size: 10\n",
        "  min_group_size: 10\n  dominance: {n: 3, k_percent: 75, p_percent: 20}\n",
    )(example_text)
    dominance = load_contract(text, "c.yaml").output.dominance
    assert (dominance.n, dominance.k_percent, dominance.p_percent) == (3, 75.0, 20.0)


def test_a_pattern_declared_twice_is_refused(example_text: str) -> None:
    twice = BY_CITY.replace('"spend_*.parquet"', '"by_city*.csv"')
    found = messages(with_schemas(example_text, twice))
    assert any("by_city*.csv more than once" in m for m in found), found


@pytest.mark.parametrize("pattern", ["../etc/passwd", "a/b.csv", "", "by city.csv"])
def test_a_pattern_with_a_path_or_space_is_refused(example_text: str, pattern: str) -> None:
    bad = BY_CITY.replace('"by_city*.csv"', f'"{pattern}"')
    found = messages(with_schemas(example_text, bad))
    assert any(m.startswith("output.schemas[0].files") for m in found), found


def test_a_column_named_twice_in_one_schema_is_refused(example_text: str) -> None:
    bad = BY_CITY.replace("{name: customers,", "{name: city,")
    found = messages(with_schemas(example_text, bad))
    assert any("names city more than once" in m for m in found), found


def test_a_schema_without_columns_is_refused(example_text: str) -> None:
    bad = '  schemas:\n    - files: "empty.csv"\n      columns: []\n'
    found = messages(with_schemas(example_text, bad))
    assert any(m.startswith("output.schemas[0].columns") for m in found), found


def test_sources_in_file_schemas_are_checked_like_the_single_schema(example_text: str) -> None:
    bad = BY_CITY.replace("source: customers.city}", "source: customers.mobile}").replace(
        "partition_of: customers", "partition_of: clients"
    )
    found = messages(with_schemas(example_text, bad))
    assert "output.schemas[0].partition_of: unknown dataset clients" in found
    assert any(
        m.startswith("output.schemas[0].columns[0].source: contradictory rules: column "
                     "customers.mobile is join_only")
        for m in found
    ), found  # fmt: skip


def test_a_sum_of_text_is_refused_in_a_file_schema(example_text: str) -> None:
    bad = BY_CITY.replace("source: customers.spend_cny", "source: customers.city")
    found = messages(with_schemas(example_text, bad))
    assert any(
        m.startswith("output.schemas[1].columns[1].aggregate: sum of customers.city") for m in found
    ), found


ORDERS = """  - name: orders
    owner: acme-cn
    columns:
      - name: order_total
        logicalType: number
        classification: general

job_kinds:"""


def test_with_two_datasets_a_bare_count_must_say_which_it_counts(example_text: str) -> None:
    two = replace_once("\njob_kinds:", "\n" + ORDERS)(example_text)
    unsaid = BY_CITY.replace("      partition_of: customers\n", "")
    found = messages(with_schemas(two, unsaid))
    assert any(
        m.startswith("output.schemas[0].columns[1].source: count column customers must say")
        for m in found
    ), found
    load_contract(with_schemas(two), "c.yaml")  # partition_of says it
