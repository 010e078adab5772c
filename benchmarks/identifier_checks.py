"""The identifier checks on a large output against a large sensitive index.

    .venv/bin/python benchmarks/identifier_checks.py --rows 1000000 --people 1000000

Builds a sensitive index of ``--people`` synthetic customers (mobile, resident ID,
name, e-mail), then checks ``--rows``-row, 10-column outputs with
``check_identifier_values``, ``check_identifier_names`` and
``check_identifier_shaped``:

- ``honest parquet``: typed group statistics (labels, year, counts, sums with
  cents, means, minima, maxima, a share), what an aggregate job writes;
- ``honest csv``: the same table as a CSV reads for the value checks (all text);
- ``hostile parquet``: every row leaks: a mobile + 0.5, 5 x a mobile, a reversed
  mobile, a full-width mobile, a zero-width-split name, a base64 mobile, fresh
  fake mobiles, and three honest columns.

Printed: seconds per phase and per output, and against reading and writing the
same table as Parquet with pyarrow alone, so the cost is seen next to the I/O.
"""

from __future__ import annotations

import argparse
import base64
import io
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from contracts import load_contract
from jobs.identifier_checks import (
    check_identifier_names,
    check_identifier_shaped,
    check_identifier_values,
)
from jobs.output_files import read_output_text
from jobs.sensitive_index import build_sensitive_index

EXAMPLE = "examples/contracts/customer-insights.yaml"


def customers(people: int, rng: np.random.Generator) -> pa.Table:
    mobiles = rng.choice(np.arange(13_000_000_001, 19_999_999_999, 6997), people, replace=False)
    ids = 110_105_190_000_000_000 + rng.choice(10**9, people, replace=False).astype(np.int64)
    return pa.table(
        {
            "customer_id": [f"C{i:07d}" for i in range(people)],
            "name": [f"客户{i}号" for i in range(people)],
            "mobile": pa.array(mobiles.astype(str)),
            "id_number": pa.array(ids.astype(str)),
            "email": [f"user{i}@example.cn" for i in range(people)],
        }
    )


def honest(rows: int, rng: np.random.Generator) -> pa.Table:
    regions = np.array(["华东", "华北", "华南", "西部", "东北", "Shanghai", "Beijing"])
    segments = np.array(["gold", "silver", "bronze"])
    counts = rng.integers(10, 10_000, rows)
    sums = np.round(rng.uniform(1_000, 50_000_000, rows), 2)
    return pa.table(
        {
            "region": pa.array(regions[rng.integers(0, len(regions), rows)]),
            "segment": pa.array(segments[rng.integers(0, 3, rows)]),
            "year": rng.integers(2015, 2026, rows),
            "customers": counts,
            "sum_spend_cny": sums,
            "mean_spend_cny": np.round(sums / counts, 2),
            "min_spend_cny": np.round(rng.uniform(0, 100, rows), 2),
            "max_spend_cny": np.round(rng.uniform(1_000, 99_999, rows), 2),
            "share": np.round(rng.uniform(0, 1, rows), 4),
            "month": pa.array([f"2024-{m:02d}" for m in rng.integers(1, 13, rows)]),
        }
    )


def hostile(people: pa.Table, rows: int, rng: np.random.Generator) -> pa.Table:
    picked = rng.choice(len(people), rows, replace=True)
    mobiles = np.array(people.column("mobile").to_pylist(), dtype=object)[picked]
    names = np.array(people.column("name").to_pylist(), dtype=object)[picked]
    as_int = np.array([int(m) for m in mobiles], dtype=np.int64)
    full_width = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
    return pa.table(
        {
            "offset": as_int + 0.5,
            "count": as_int * 5,
            "reversed": [m[::-1] for m in mobiles],
            "wide": [m.translate(full_width) for m in mobiles],
            "label": ["\u200b".join(n) for n in names],
            "code": [base64.b64encode(m.encode()).decode() for m in mobiles],
            "fresh": rng.integers(13_000_000_000, 19_999_999_999, rows),
            "year": rng.integers(2015, 2026, rows),
            "segment": pa.array(np.array(["gold", "silver"])[rng.integers(0, 2, rows)]),
            "share": np.round(rng.uniform(0, 1, rows), 4),
        }
    )


def timed(label: str, action: object) -> object:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    print(f"  {label:<40} {time.perf_counter() - start:6.2f} s")
    return result


def check(name: str, table: pa.Table, as_written: pa.Table, index: object) -> None:
    start = time.perf_counter()
    values = timed(
        "values (verbatim and disguised)", lambda: check_identifier_values(name, as_written, index)
    )  # type: ignore[arg-type]
    timed("column and file names", lambda: check_identifier_names(name, table, index))  # type: ignore[arg-type]
    shaped = timed("identifier-shaped columns", lambda: check_identifier_shaped(name, table))
    total = time.perf_counter() - start
    columns = sorted({f.column for f in [*values, *shaped]})  # type: ignore[union-attr, misc]
    print(f"  {'all identifier checks':<40} {total:6.2f} s   columns failing: {columns}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(17)
    contract = load_contract(Path(EXAMPLE).read_text(encoding="utf-8"), EXAMPLE)
    people = customers(args.people, rng)
    index = timed(
        f"index of {args.people:,} people",
        lambda: build_sensitive_index(contract, {"customers": people}, key=bytes(range(32))),
    )
    print(f"  {len(index):,} digests")  # type: ignore[arg-type]
    for label, table in (
        ("honest", honest(args.rows, rng)),
        ("hostile", hostile(people, args.rows, rng)),
    ):
        sink = io.BytesIO()
        start = time.perf_counter()
        pq.write_table(table, sink)
        pq.read_table(io.BytesIO(sink.getvalue()))
        print(
            f"{label} parquet, {args.rows:,} rows x {table.num_columns} columns "
            f"(pyarrow write+read alone: {time.perf_counter() - start:.2f} s)"
        )
        check(f"{label}.parquet", table, table, index)
        if label == "honest":
            csv_sink = io.BytesIO()
            pa_csv.write_csv(table, csv_sink)
            data = csv_sink.getvalue()
            start = time.perf_counter()
            typed = pa_csv.read_csv(io.BytesIO(data))
            print(f"{label} csv (pyarrow read alone: {time.perf_counter() - start:.2f} s)")
            as_text = timed(
                "read as text",
                lambda: read_output_text("h.csv", data, typed),  # noqa: B023 (called at once)
            )
            check(f"{label}.csv", typed, as_text, index)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
