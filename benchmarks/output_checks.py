"""Output-check benchmark: parse, check and re-serialise one big output.

A 1,000,000-row, 10-column output is checked against the sensitive index of a
1,000,000-person customers table and re-written in canonical form, the whole
``check_outputs`` path a real run takes. Printed beside reading and writing the
same file with pyarrow alone in the same run, so a busy machine shows in both
columns. Goal (disclosure-control issue): <= 5 s on 2 cores.

How it is measured:
- the output is honest aggregates' shape at a million rows (labels, counts, money,
  dates, flags), written once per format by pyarrow with its defaults;
- ``baseline``: ``pq.read_table`` / ``pa_csv.read_csv`` of those bytes, then writing
  the table back with the same library's defaults;
- ``check_outputs``: the example contract's rules without its output schema (the
  benchmark's columns are not the example's), max rows and bytes raised to fit;
- the stages (strict parse, checks, canonical table and write) are timed
  apart as well, so a slow stage names itself;
- index building is timed but not part of the goal: a real run builds it once.

    .venv/bin/python benchmarks/output_checks.py [--rows N] [--people M] [--format parquet|csv]
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from contracts import load_contract
from jobs import (
    OutputCheckPolicy,
    SensitiveValueIndex,
    build_sensitive_index,
    check_outputs,
    read_output,
    write_output,
)

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "examples" / "contracts" / "customer-insights.yaml"
GOAL_SECONDS = 5.0
_join: Any = pc.binary_join_element_wise  # its stubs reject arrays mixed with strings


class Clock:
    """Wall-clock and CPU seconds of a block: on a busy shared machine the CPU
    figure shows what the code costs, the wall figure what a user would wait."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def timed(action: Callable[[], Any]) -> tuple[Any, Clock]:
    with Clock() as clock:
        result = action()
    return result, clock


def _numbered(prefix: str, count: int, width: int) -> pa.Array[Any]:
    digits = pc.utf8_lpad(pa.array(np.arange(count)).cast(pa.string()), width, "0")
    joined: pa.Array[Any] = _join(prefix, digits, "")
    return joined


def customers(people: int) -> pa.Table:
    """Protected columns the way the example contract classifies them, built in Arrow."""
    born = np.datetime64("1960-01-01") + (np.arange(people) % 15000).astype("timedelta64[D]")
    return pa.table(
        {
            "customer_id": _numbered("C", people, 7),
            "name": _numbered("客户", people, 7),
            "mobile": _numbered("138", people, 8),
            "id_number": _numbered("11010119800101", people, 4),
            "email": _join(_numbered("c", people, 7), "@example.cn", ""),
            "city": pa.array(["上海市"] * people),
            "birth_date": pa.array(born.astype("datetime64[D]")),
            "segment": pa.array(["retail"] * people),
            "spend_cny": pa.array((np.arange(people) % 100_000) / 100),
        }
    )


def output(rows: int) -> pa.Table:
    """Ten columns of what aggregates hold: labels, counts, money, dates, flags."""
    i = np.arange(rows)
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "region": pa.array(np.array(["华东", "华北", "华南", "西部"])[i % 4]),
            "band": _numbered("band-", rows, 3),
            "month": pa.array(np.datetime64("2026-01-01") + (i % 365).astype("timedelta64[D]")),
            "customers": pa.array(20 + (i % 500) * 5),
            "orders": pa.array(100 + (i % 997) * 5),
            "total_spend_cny": pa.array(np.round(rng.uniform(1e3, 1e7, rows), 2)),
            "mean_spend_cny": pa.array(np.round(rng.uniform(10, 5000, rows), 2)),
            "share": pa.array(rng.uniform(0, 1, rows)),
            "returning": pa.array(i % 3 == 0),
            "label": pa.array(np.array(["gold", "silver", "bronze"])[i % 3]),
        }
    )


def file_bytes(table: pa.Table, fmt: str) -> bytes:
    sink = io.BytesIO()
    if fmt == "csv":
        pa_csv.write_csv(table, sink)
    else:
        pq.write_table(table, sink)
    return sink.getvalue()


def baseline(data: bytes, fmt: str) -> bytes:
    if fmt == "csv":
        return file_bytes(pa_csv.read_csv(io.BytesIO(data)), fmt)
    return file_bytes(pq.read_table(io.BytesIO(data)), fmt)


def stages(name: str, data: bytes, policy: OutputCheckPolicy) -> dict[str, Clock]:
    parsed, parse = timed(lambda: read_output(name, data))
    _, write = timed(lambda: write_output(name, parsed, policy.float_precision))
    return {"strict parse": parse, "canonical write": write}


def row(label: str, clock: Clock, base: Clock) -> str:
    ratio = clock.wall / base.wall if base.wall else float("inf")
    return f"  {label:<30} {clock.wall:8.2f} s wall {clock.cpu:8.2f} s cpu {ratio:7.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    args = parser.parse_args()
    fmt, name = args.format, f"output.{args.format}"

    contract = load_contract(CONTRACT.read_text("utf-8"), CONTRACT.name)
    inputs = {"customers": customers(args.people)}
    index: SensitiveValueIndex
    index, build = timed(lambda: build_sensitive_index(contract, inputs, key=os.urandom(32)))
    policy = replace(
        OutputCheckPolicy.from_contract(contract),
        schema=None,
        max_rows=args.rows,
        max_bytes=1 << 31,
    )
    data = file_bytes(output(args.rows), fmt)

    load = os.getloadavg()
    print(
        f"output: {args.rows:,} rows x 10 columns, {fmt}, {len(data) / 1e6:.1f} MB; "
        f"index: {args.people:,} people, {len(index):,} digests "
        f"(built in {build.wall:.1f} s); cores: {os.cpu_count()}; "
        f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    _, base = timed(lambda: baseline(data, fmt))
    checked, full = timed(lambda: check_outputs({name: data}, policy, index, inputs=inputs))
    parts = stages(name, data, policy)
    print(f"  {'':<30} {'':>8}        {'':>8}        vs pyarrow read+write")
    print(row("pyarrow read + write", base, base))
    print(row("check_outputs (all)", full, base))
    for label, clock in parts.items():
        print(row(f"  {label}", clock, base))
    rest = full.wall - sum(c.wall for c in parts.values())
    print(f"  {'  checks (the rest)':<30} {rest:8.2f} s wall")
    [report] = checked.report.files
    verdict = "met" if full.wall <= GOAL_SECONDS else "NOT met"
    print(f"outcome: {report.outcome.value}; goal <= {GOAL_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
