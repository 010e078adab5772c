"""The masked debug sample: the real shape, and never a real identifier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa
import pytest

from contracts import Contract, MaskingMethod
from jobs.errors import SampleRulesMismatch
from jobs.sample import REDACTED, _guess_provider, masked_sample
from jobs.sample_drift import DriftAspect, schema_drift

from .conftest import load_example
from .customers import CITIES, ROWS, SEGMENTS, customers

SEED = b"s" * 32
PROTECTED = ("customer_id", "name", "mobile", "id_number", "email")


def protected_values(table: pa.Table) -> set[str]:
    return {v for c in PROTECTED for v in table.column(c).to_pylist() if v is not None}


def every_cell(table: pa.Table) -> Iterator[object]:
    for name in table.column_names:
        yield from table.column(name).to_pylist()


def test_no_identifier_or_personal_value_appears_anywhere_in_the_sample(
    contract: Contract,
) -> None:
    real = customers()
    sample = masked_sample(contract, "customers", real, seed=SEED).table
    leaked = protected_values(real) & {str(v) for v in every_cell(sample) if v is not None}
    assert leaked == set()


def test_the_sample_keeps_the_schema_and_dtypes(contract: Contract) -> None:
    real = customers()
    sample = masked_sample(contract, "customers", real, seed=SEED)
    assert sample.table.schema == real.schema
    assert sample.table.num_rows == 200
    assert sample.methods["customer_id"] is MaskingMethod.SALTED_HASH
    assert sample.methods["city"] is MaskingMethod.KEEP


def test_code_grouping_by_a_category_meets_every_group_even_a_rare_one(
    contract: Contract,
) -> None:
    real = customers()
    sample = masked_sample(contract, "customers", real, seed=SEED).table.to_pandas()
    assert set(sample.groupby("city").size().index) == set(CITIES)
    assert set(sample.groupby("segment", observed=True).size().index) == set(SEGMENTS)
    assert sample["spend_cny"].mean() > 0  # numbers stay numbers


def test_masking_keeps_category_counts_without_the_values(contract: Contract) -> None:
    real = customers()
    sample = masked_sample(contract, "customers", real, seed=SEED).table
    ids = [str(i) for i in sample.column("customer_id").to_pylist()]
    assert len(set(ids)) == len(ids)  # still a key: joins and counts work
    assert all(len(i) == 16 for i in ids)
    mobiles = sample.column("mobile").to_pylist()
    assert len(set(mobiles)) > 190
    dates = [d for d in sample.column("birth_date").to_pylist() if isinstance(d, dt.date)]
    years = {d.year for d in dates}
    assert {d.month for d in dates} == {1}
    assert years <= set(range(1960, 2000))


def test_the_same_seed_gives_the_same_sample_and_another_seed_another(
    contract: Contract,
) -> None:
    real = customers()
    one = masked_sample(contract, "customers", real, seed=SEED).table
    assert masked_sample(contract, "customers", real, seed=SEED).table.equals(one)
    other = masked_sample(contract, "customers", real, seed=b"t" * 32).table
    assert other.column("customer_id") != one.column("customer_id")


def test_null_rates_stay_close_and_every_nullable_column_shows_a_null(
    contract: Contract,
) -> None:
    real = customers()
    sample = masked_sample(contract, "customers", real, seed=SEED).table
    for column in ("id_number", "spend_cny"):
        real_rate = real.column(column).null_count / real.num_rows
        assert abs(sample.column(column).null_count / sample.num_rows - real_rate) < 0.07
    rare_nulls = real.set_column(
        2, "mobile", pa.array([None if i == 7 else f"+86139{i:08d}" for i in range(ROWS)])
    )
    assert (
        masked_sample(contract, "customers", rare_nulls, seed=SEED).table["mobile"].null_count == 1
    )


def test_null_rate_drift_within_sampling_noise_is_not_reported() -> None:
    real = pa.table({"x": [None if i % 10 == 0 else i for i in range(1000)]})
    close = pa.table({"x": [None if i % 11 == 0 else i for i in range(200)]})
    far = pa.table({"x": [None if i % 2 == 0 else i for i in range(200)]})
    none = pa.table({"x": list(range(200))})
    assert schema_drift("d", real, close).clean
    assert [f.aspect for f in schema_drift("d", real, far).findings] == [DriftAspect.NULL_RATE]
    [finding] = schema_drift("d", real, none).findings
    assert (finding.real, finding.sample) == ("10% to 50%", "none")


def test_a_rule_that_would_show_an_identifier_in_clear_is_strengthened() -> None:
    careless = load_example(
        (
            "customers.mobile: {method: fake, provider: phone_number}",
            "customers.mobile: shuffle",
        ),
        ("    customers.customer_id: salted_hash\n", ""),
    )
    real = customers()
    sample = masked_sample(careless, "customers", real, seed=SEED)
    assert sample.methods["mobile"] is MaskingMethod.SALTED_HASH
    assert sample.methods["customer_id"] is MaskingMethod.SALTED_HASH  # the default
    assert any("customers.mobile is identifier" in note for note in sample.notes)
    assert not set(sample.table.column("mobile").to_pylist()) & protected_values(real)


def test_a_truncation_that_keeps_whole_values_is_scrubbed() -> None:
    generous = load_example(
        ("{method: fake, provider: name}", "{method: truncate, keep: 99}"),
    )
    sample = masked_sample(generous, "customers", customers(), seed=SEED).table
    assert set(sample.column("name").to_pylist()) == {REDACTED}


def test_a_column_the_contract_does_not_classify_is_redacted(contract: Contract) -> None:
    real = customers(50).append_column("nickname", pa.array([f"nick{i}" for i in range(50)]))
    sample = masked_sample(contract, "customers", real, seed=SEED)
    assert set(sample.table.column("nickname").to_pylist()) == {REDACTED}
    assert "customers.nickname is not classified in contract c-12 v1; it is redacted." in (
        sample.notes
    )


def test_an_unknown_faker_provider_is_named() -> None:
    odd = load_example(("provider: name}", "provider: no_such_thing}"))
    with pytest.raises(SampleRulesMismatch, match="'no_such_thing', which does not exist"):
        masked_sample(odd, "customers", customers(20), seed=SEED)


def test_a_dataset_the_contract_does_not_name_is_refused(contract: Contract) -> None:
    with pytest.raises(SampleRulesMismatch, match="names no dataset orders"):
        masked_sample(contract, "orders", customers(20), seed=SEED)


def test_a_short_seed_is_refused(contract: Contract) -> None:
    with pytest.raises(ValueError, match="at least 16 random bytes"):
        masked_sample(contract, "customers", customers(20), seed=b"short")


def test_a_faithful_sample_has_no_drift(contract: Contract) -> None:
    real = customers()
    sample = masked_sample(contract, "customers", real, seed=SEED).table
    report = schema_drift("customers", real, sample)
    assert report.findings == ()
    assert report.clean


def test_drift_is_reported_in_shape_never_in_values() -> None:
    real = customers(100)
    drifted = pa.table(
        {
            "customer_id": real.column("customer_id").combine_chunks(),
            "city": pa.array(["Shanghai"] * 100),
            "segment": real.column("segment").combine_chunks(),
            "spend_cny": pa.array([None] * 100, type=pa.float64()),
            "birth_date": pa.array([str(d) for d in real.column("birth_date").to_pylist()]),
            "loyalty_tier": pa.array([1] * 100),
        }
    )
    report = schema_drift("customers", real, drifted)
    aspects = {(f.column, f.aspect) for f in report.findings}
    assert ("name", DriftAspect.MISSING_COLUMN) in aspects
    assert ("loyalty_tier", DriftAspect.EXTRA_COLUMN) in aspects
    assert ("birth_date", DriftAspect.TYPE) in aspects
    assert ("spend_cny", DriftAspect.NULL_RATE) in aspects
    assert ("city", DriftAspect.CATEGORIES) in aspects
    city = next(f for f in report.findings if f.aspect is DriftAspect.CATEGORIES)
    assert city.message == (
        "city: the sample's categories is 1 distinct value(s), the real data's is "
        "5 distinct value(s)."
    )
    text = str(report.to_json())
    for value in ("Shanghai", "Beijing", "C000001", "+86138"):
        assert value not in text


def test_every_arrow_type_keeps_its_type_through_masking() -> None:
    extended = load_example(
        (
            "        physicalType: DECIMAL(12,2)\n        classification: general\n",
            "        physicalType: DECIMAL(12,2)\n        classification: general\n"
            "      - name: loyalty_no\n        logicalType: integer\n"
            "        classification: identifier\n        policy: join_only\n"
            "      - name: last_visit\n        logicalType: timestamp\n"
            "        classification: personal\n        policy: aggregate_only\n"
            "      - name: vip\n        logicalType: boolean\n"
            "        classification: sensitive_personal\n        policy: never_output\n"
            "      - name: balance\n        logicalType: number\n"
            "        classification: personal\n        policy: aggregate_only\n",
        ),
        (
            "    customers.spend_cny: shuffle\n",
            "    customers.spend_cny: shuffle\n"
            "    customers.last_visit: {method: generalise, date_to: month}\n"
            "    customers.balance: {method: generalise, bucket_width: 100}\n",
        ),
    )
    rows = 30
    visits = [dt.datetime(2026, 3, 1 + i % 28, 13, 45, tzinfo=dt.UTC) for i in range(rows)]
    real = pa.table(
        {
            "loyalty_no": pa.array([9_000_000 + i for i in range(rows)], type=pa.int64()),
            "last_visit": pa.array(visits, type=pa.timestamp("us", tz="UTC")),
            "vip": pa.array([i % 2 == 0 for i in range(rows)]),
            "balance": pa.array(
                [Decimal(f"{i * 37}.25") for i in range(rows)], pa.decimal128(12, 2)
            ),
            "segment": pa.array([SEGMENTS[i % 3] for i in range(rows)], type=pa.large_string()),
        }
    )
    sample = masked_sample(extended, "customers", real, seed=SEED).table
    assert sample.schema == real.schema
    numbers = sample.column("loyalty_no").to_pylist()
    assert not set(numbers) & set(real.column("loyalty_no").to_pylist())
    assert all(isinstance(n, int) and n >= 0 for n in numbers)
    visited = [v for v in sample.column("last_visit").to_pylist() if v is not None]
    assert {(v.day, v.hour) for v in visited} == {(1, 0)}
    assert set(sample.column("vip").to_pylist()) == {False}
    balances = [b for b in sample.column("balance").to_pylist() if b is not None]
    assert len(balances) == rows
    assert {b % 100 for b in balances} == {0}
    assert set(sample.column("segment").to_pylist()) == set(SEGMENTS)


def test_an_identifier_copied_into_a_general_column_is_scrubbed_but_shared_categories_stay(
    contract: Contract,
) -> None:
    real = customers(40)
    mobiles = real.column("mobile").to_pylist()
    names = real.column("name").to_pylist()
    # segment (general) wrongly holds a phone number in one row and a name in another.
    segment = ["gold"] * 40
    segment[3] = str(mobiles[3])
    segment[5] = str(names[5])
    real = real.set_column(7, "segment", pa.array(segment).dictionary_encode())
    sample = masked_sample(contract, "customers", real, seed=SEED).table
    kept = set(sample.column("segment").to_pylist())
    assert mobiles[3] not in kept
    assert REDACTED in kept
    assert names[5] in kept  # a personal value in a general column is the owner's call


@pytest.mark.parametrize(
    ("column", "provider"),
    [("手机号", "phone_number"), ("联系电话", "phone_number"), ("邮箱", "email"),
     ("家庭住址", "address"), ("工作单位", "company"), ("城市", "city"), ("客户姓名", "name")],
)  # fmt: skip
def test_a_chinese_column_name_fakes_values_of_its_kind(column: str, provider: str) -> None:
    assert _guess_provider(column) == provider
