"""The bundled synthetic customers: reproducible, realistic enough to classify, PSI-ready."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sealroom.data import customers_parquet
from sealroom.datasets import ColumnLevel, DetectorName, TableLimits, classify_table, inspect_table
from sealroom.datasets.detectors import is_email, is_mobile_cn, is_resident_id_cn
from sealroom.datasets.synthetic import (
    CUSTOMERS_SCHEMA,
    generate_customers,
    main,
    partner_ids,
    write_customers,
)


@pytest.fixture(scope="module")
def customers() -> pa.Table:
    return generate_customers()


def test_regenerating_the_bundled_file_gives_identical_content(customers: pa.Table) -> None:
    bundled = pq.read_table(customers_parquet())

    assert bundled.equals(customers)


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"

    write_customers(first, rows=50, seed=7)
    write_customers(second, rows=50, seed=7)

    assert first.read_bytes() == second.read_bytes()


def test_another_seed_gives_other_people() -> None:
    assert not generate_customers(rows=50, seed=7).equals(generate_customers(rows=50, seed=8))


def test_the_customers_have_the_documented_columns(customers: pa.Table) -> None:
    assert customers.schema.equals(CUSTOMERS_SCHEMA)
    assert customers.num_rows == 2000


def test_every_identity_number_is_valid_and_matches_the_birth_date(customers: pa.Table) -> None:
    ids = _texts(customers, "id_number")
    births = [f"{born:%Y%m%d}" for born in customers.column("birth_date").to_pylist()]

    assert all(is_resident_id_cn(number) for number in ids)
    assert [number[6:14] for number in ids] == births
    assert len(set(ids)) == len(ids)


def test_mobiles_and_emails_are_valid_and_unique(customers: pa.Table) -> None:
    mobiles = _texts(customers, "mobile")
    emails = _texts(customers, "email")

    assert all(is_mobile_cn(mobile) for mobile in mobiles)
    assert all(is_email(email) and email.split("@")[1].startswith("example.") for email in emails)
    assert len(set(mobiles)) == len(mobiles)
    assert len(set(emails)) == len(emails)


def test_the_bundled_table_is_classified_column_by_column_as_expected() -> None:
    profile = inspect_table(customers_parquet(), TableLimits(max_bytes=10_000_000, max_rows=10_000))

    result = {c.column: (c.level, c.detector) for c in classify_table(profile)}

    assert result == {
        "customer_id": (ColumnLevel.GENERAL, None),
        "name": (ColumnLevel.PERSONAL, DetectorName.PERSON_NAME_ZH),
        "mobile": (ColumnLevel.IDENTIFIER, DetectorName.MOBILE_CN),
        "id_number": (ColumnLevel.SENSITIVE_PERSONAL, DetectorName.RESIDENT_ID_CN),
        "email": (ColumnLevel.IDENTIFIER, DetectorName.EMAIL),
        "city": (ColumnLevel.GENERAL, None),
        "address": (ColumnLevel.PERSONAL, DetectorName.ADDRESS_ZH),
        "birth_date": (ColumnLevel.PERSONAL, DetectorName.BIRTH_DATE),
        "segment": (ColumnLevel.GENERAL, None),
        "spend_cny": (ColumnLevel.GENERAL, None),
    }


def test_a_partner_list_overlaps_the_customers_exactly_as_asked(customers: pa.Table) -> None:
    partner = partner_ids(customers, overlap=300, extra=700, seed=1)

    customer_mobiles = set(customers.column("mobile").to_pylist())
    assert len(partner) == len(set(partner)) == 1000
    assert len(customer_mobiles & set(partner)) == 300
    assert all(is_mobile_cn(mobile) for mobile in partner)


def test_a_partner_list_is_reproducible_and_shuffled(customers: pa.Table) -> None:
    first = partner_ids(customers, overlap=10, extra=10, seed=3)

    assert first == partner_ids(customers, overlap=10, extra=10, seed=3)
    shared = [mobile in set(customers.column("mobile").to_pylist()) for mobile in first]
    assert shared != [True] * 10 + [False] * 10


@pytest.mark.parametrize(("overlap", "extra"), [(2001, 0), (-1, 5), (5, -1)])
def test_an_impossible_partner_list_is_refused(
    customers: pa.Table, overlap: int, extra: int
) -> None:
    with pytest.raises(ValueError, match="a partner list needs 0 <= overlap <= 2000"):
        partner_ids(customers, overlap=overlap, extra=extra, seed=1)


def test_the_module_command_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data" / "customers.parquet"

    assert main(["--out", str(out), "--rows", "20", "--seed", "5"]) == 0

    assert pq.read_table(out).equals(generate_customers(rows=20, seed=5))
    assert "wrote 20 synthetic customers" in capsys.readouterr().out


def _texts(table: pa.Table, column: str) -> list[str]:
    values = table.column(column).to_pylist()
    assert all(isinstance(value, str) for value in values)
    return [str(value) for value in values]
