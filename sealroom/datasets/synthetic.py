"""The synthetic customers table shipped for the demo and the tests, and a partner list.

Everything is drawn from one seed, so the same seed always gives the same table:
the demo can state what a PSI run must find (``partner_ids`` returns a list whose
overlap with the customers is exactly what was asked for), and tests can compare
a regenerated table with the bundled file. No real person is in it: names and
streets come from Faker's ``zh_CN`` locale, e-mail addresses use the reserved
example domains, and identity numbers are built with valid check digits for
regions that existed at the birth date, so detectors see them as real.

Regenerate the bundled file with::

    python -m sealroom.datasets.synthetic --out sealroom/data/customers.parquet
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from faker import Faker
from stdnum.cn import ric

from sealroom.datasets.detectors import is_mobile_cn

CUSTOMERS_SEED = 20240601
CUSTOMERS_ROWS = 2000

_CUSTOMER_FIELDS: list[pa.Field[Any]] = [
    pa.field("customer_id", pa.string(), nullable=False),
    pa.field("name", pa.string(), nullable=False),
    pa.field("mobile", pa.string(), nullable=False),
    pa.field("id_number", pa.string(), nullable=False),
    pa.field("email", pa.string(), nullable=False),
    pa.field("city", pa.string(), nullable=False),
    pa.field("address", pa.string(), nullable=False),
    pa.field("birth_date", pa.date32(), nullable=False),
    pa.field("segment", pa.string(), nullable=False),
    pa.field("spend_cny", pa.float64(), nullable=False),
]
CUSTOMERS_SCHEMA = pa.schema(_CUSTOMER_FIELDS)

# Real cities with skewed weights, so that "spend by city" has large and small
# groups: the small ones are what minimum-group-size output checks must catch.
_CITIES: tuple[tuple[str, str, int], ...] = (
    ("", "上海市", 18),
    ("", "北京市", 16),
    ("广东省", "广州市", 12),
    ("广东省", "深圳市", 12),
    ("浙江省", "杭州市", 10),
    ("四川省", "成都市", 8),
    ("湖北省", "武汉市", 7),
    ("江苏省", "南京市", 6),
    ("", "重庆市", 5),
    ("陕西省", "西安市", 3),
    ("江苏省", "苏州市", 2),
    ("西藏自治区", "拉萨市", 1),
)
_SEGMENTS: tuple[tuple[str, int], ...] = (("高价值", 15), ("成长", 30), ("普通", 40), ("沉睡", 15))
# Prefixes the numbering plan assigns to mobile networks (China Mobile, Unicom,
# Telecom, Broadnet); every generated number is still checked with libphonenumber.
_MOBILE_PREFIXES = tuple(
    str(prefix)
    for prefix in (
        *range(130, 140),
        *range(150, 154),
        *range(155, 160),
        166,
        *range(176, 179),
        *range(180, 190),
        191,
        198,
        199,
    )
)
_FIRST_BIRTH = dt.date(1950, 1, 1)
_LAST_BIRTH = dt.date(2005, 12, 31)
# County codes from 25 provinces that python-stdnum accepts for every birth year
# drawn below (it checks that the county existed when the person was born), so
# no generated number needs the slow region lookup to be retried. (Ten to a line
# reads better than the one-per-line list literal SIM905 asks for.)
_COUNTY_CODES = tuple(
    (  # noqa: SIM905
        "110101 110102 120101 120102 140121 140122 150121 150122 210122 210224 "
        "222401 222402 230722 232721 310101 310104 330122 330127 340121 340221 "
        "350121 360121 360122 422822 422823 430121 430221 510121 510122 520201 "
        "520203 530122 530124 540121 540122 610322 610323 620121 620122 630121 "
        "632221 640121 640122 650121 652122 "
    ).split()
)


def generate_customers(rows: int = CUSTOMERS_ROWS, seed: int = CUSTOMERS_SEED) -> pa.Table:
    """``rows`` synthetic customers; the same arguments always give the same table."""
    # Reproducible on purpose: these values must be the same on every machine.
    rng = random.Random(seed)  # noqa: S311
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    mobiles: set[str] = set()
    ids: set[str] = set()
    emails: set[str] = set()
    columns: dict[str, list[object]] = {field.name: [] for field in CUSTOMERS_SCHEMA}
    cities = [(province, city) for province, city, _ in _CITIES]
    city_weights = [weight for _, _, weight in _CITIES]
    segments = [segment for segment, _ in _SEGMENTS]
    segment_weights = [weight for _, weight in _SEGMENTS]
    for number in range(1, rows + 1):
        birth_date = _birth_date(rng)
        province, city = rng.choices(cities, city_weights)[0]
        columns["customer_id"].append(f"C{number:06d}")
        columns["name"].append(fake.name())
        columns["mobile"].append(_fresh_mobile(rng, mobiles))
        columns["id_number"].append(_fresh_resident_id(rng, birth_date, ids))
        columns["email"].append(_fresh_email(fake.email(), emails))
        columns["city"].append(city)
        columns["address"].append(
            f"{province}{city}{fake.district()}区{fake.street_name()}{rng.randint(1, 999)}号"
        )
        columns["birth_date"].append(birth_date)
        columns["segment"].append(rng.choices(segments, segment_weights)[0])
        columns["spend_cny"].append(round(rng.lognormvariate(7.5, 1.0), 2))
    return pa.table(columns, schema=CUSTOMERS_SCHEMA)


def partner_ids(customers: pa.Table, overlap: int, extra: int, seed: int) -> list[str]:
    """A partner's list of mobile numbers: ``overlap`` of the customers' plus ``extra`` others.

    The ground truth of the PSI story: intersecting the result with the customers'
    ``mobile`` column gives exactly ``overlap`` numbers, in a shuffled order.
    """
    known = sorted({str(mobile) for mobile in customers.column("mobile").to_pylist()})
    if not 0 <= overlap <= len(known) or extra < 0:
        raise ValueError(
            f"a partner list needs 0 <= overlap <= {len(known)} (the customers' distinct "
            f"mobile numbers) and extra >= 0, got overlap={overlap} and extra={extra}"
        )
    rng = random.Random(seed)  # noqa: S311 (reproducible ground truth, not a secret)
    shared = rng.sample(known, overlap)
    taken = set(known)
    others = [_fresh_mobile(rng, taken) for _ in range(extra)]
    partner_list = shared + others
    rng.shuffle(partner_list)
    return partner_list


def write_customers(path: Path, rows: int = CUSTOMERS_ROWS, seed: int = CUSTOMERS_SEED) -> pa.Table:
    """Generate the customers table and write it to ``path`` as Parquet."""
    table = generate_customers(rows, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return table


def _birth_date(rng: random.Random) -> dt.date:
    span = (_LAST_BIRTH - _FIRST_BIRTH).days
    return _FIRST_BIRTH + dt.timedelta(days=rng.randrange(span + 1))


def _fresh_mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        mobile = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if mobile not in taken and is_mobile_cn(mobile):
            taken.add(mobile)
            return mobile


def _fresh_resident_id(rng: random.Random, birth_date: dt.date, taken: set[str]) -> str:
    while True:
        # The check digit is computed over the first 17 digits; stdnum expects a
        # placeholder in the 18th position.
        body = f"{rng.choice(_COUNTY_CODES)}{birth_date:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in taken:
            taken.add(number)
            return number


def _fresh_email(email: str, taken: set[str]) -> str:
    user, _, domain = email.partition("@")
    candidate, suffix = email, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{user}{suffix}@{domain}"
    taken.add(candidate)
    return candidate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sealroom.datasets.synthetic",
        description="Write the synthetic customers table (deterministic) as Parquet.",
    )
    parser.add_argument("--out", type=Path, required=True, help="where to write the Parquet file")
    parser.add_argument("--rows", type=int, default=CUSTOMERS_ROWS)
    parser.add_argument("--seed", type=int, default=CUSTOMERS_SEED)
    arguments = parser.parse_args(argv)
    table = write_customers(arguments.out, arguments.rows, arguments.seed)
    print(f"wrote {table.num_rows} synthetic customers to {arguments.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
