"""The output checks, identifier checks included, on a large output against a large index.

    .venv/bin/python benchmarks/identifier_checks.py --rows 1000000 --people 1000000

Builds a sensitive index of ``--people`` synthetic customers (mobile, resident ID,
name, e-mail), then runs ``check_outputs`` (every output check: parsing, caps,
the value and name checks against the index, identifier shapes, rounding) on
``--rows``-row, 10-column outputs:

- ``honest``: typed group statistics (labels, year, counts, sums with cents,
  means, minima, maxima, a share, a month), what an aggregate job writes, as
  Parquet and as CSV (a CSV's cells are also read as text for the value checks);
- ``hostile``: every row leaks: a mobile + 0.5, 5 x a mobile, a reversed
  mobile, a full-width mobile, a zero-width-split name, a base64 mobile, fresh
  fake mobiles, and three honest columns.

Printed: seconds per output, next to writing and reading the same table with
pyarrow alone in the same run (the machine's speed at that moment).
"""

from __future__ import annotations

import argparse
import base64
import io
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from contracts import load_contract
from jobs import OutputCheckPolicy, build_sensitive_index, check_outputs

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


def timed(label: str, action: Any) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"  {label:<44} {time.perf_counter() - start:6.2f} s")
    return result


def pyarrow_alone(name: str, table: pa.Table) -> bytes:
    start = time.perf_counter()
    sink = io.BytesIO()
    if name.endswith(".csv"):
        pa_csv.write_csv(table, sink)
        pa_csv.read_csv(io.BytesIO(sink.getvalue()))
    else:
        pq.write_table(table, sink)
        pq.read_table(io.BytesIO(sink.getvalue()))
    print(f"  {'pyarrow alone: write and read':<44} {time.perf_counter() - start:6.2f} s")
    return sink.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
    print(f"  {len(index):,} digests")
    rules = OutputCheckPolicy.from_contract(contract)
    policy = replace(
        rules, schema=None, max_rows=args.rows, max_bytes=2**31, decimals=None, count_base=None
    )
    outputs = (
        ("honest.parquet", honest(args.rows, rng)),
        ("honest.csv", honest(args.rows, rng)),
        ("hostile.parquet", hostile(people, args.rows, rng)),
    )
    for name, table in outputs:
        print(f"{name}: {args.rows:,} rows x {table.num_columns} columns")
        data = pyarrow_alone(name, table)
        checked = timed("check_outputs", lambda: check_outputs({name: data}, policy, index))  # noqa: B023
        [report] = checked.report.files
        failing = sorted({f"{f.check.value}:{f.column}" for f in report.failures})
        print(f"  outcome {report.outcome.value}; failures {failing}")


if __name__ == "__main__":
    main()
