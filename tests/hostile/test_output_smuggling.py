"""Hostile jobs that dress records up as aggregates, checked against the contract's schemas.

Each job runs for real in the sandbox on a real customer table; its collected
outputs go through the same checks a real run's do, with the run's inputs. A
"count" holding five times each mobile number, and a file the contract never
declared, must both be blocked; the honest aggregate beside them must pass, and
nothing that passes may let a mobile number be recovered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

from contracts import Contract, load_contract
from jobs.check_report import CheckName, FileOutcome
from jobs.output_checks import OutputCheckPolicy, check_outputs
from jobs.sensitive_index import build_sensitive_index
from tests.fixtures.sandbox import Attack
from tests.fixtures.tables import customer_table

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contracts" / "customer-insights.yaml"
SINGLE_SCHEMA_START = "  schema:\n    - name: segment\n"
BY_SEGMENT_ONLY = """  schemas:
    - files: "by_segment*.csv"
      partition_of: customers
      columns:
        - {name: segment, logicalType: string, source: customers.segment}
        - {name: customers, logicalType: integer, aggregate: count}
        - name: total_spend_cny
          logicalType: number
          source: customers.spend_cny
          aggregate: sum
"""

JOB = """
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pyarrow as pa

customers = pq.read_table("/inputs/customers.parquet")
groups = customers.group_by("segment").aggregate([("segment", "count"), ("spend_cny", "sum")])
segments = groups.column("segment").to_pylist()
counts = [n // 5 * 5 for n in groups.column("segment_count").to_pylist()]
totals = [round(t, 2) for t in groups.column("spend_cny_sum").to_pylist()]

def write(name, columns):
    pa_csv.write_csv(pa.table(columns), f"/outputs/{name}")

write("by_segment.csv", {"segment": segments, "customers": counts, "total_spend_cny": totals})
# One mobile per row, times five, in a column the schema calls a count.
mobiles = [int(m) * 5 for m in customers.column("mobile").to_pylist()[: len(segments)]]
write("by_segment_mobile.csv",
      {"segment": segments, "customers": mobiles, "total_spend_cny": totals})
# A file no schema declares, shaped like an honest aggregate.
write("notes.csv", {"segment": segments, "customers": counts})
"""


def contract_declaring_by_segment_only() -> Contract:
    """The example, with one file schema in place of its schema for every file."""
    text = EXAMPLE.read_text("utf-8")
    start = text.index(SINGLE_SCHEMA_START)
    end = text.index("\nreview:")
    text = text[:start] + BY_SEGMENT_ONLY + text[end:]
    return load_contract(text, EXAMPLE.name)


def test_a_count_of_mobiles_and_an_undeclared_file_are_blocked_beside_an_honest_one(
    attack: Attack, tmp_path: Path
) -> None:
    table = customer_table(rows=200)
    data = tmp_path / "customers.parquet"
    pq.write_table(table, data)
    record = attack.run(JOB, inputs={"customers": data}, wall_seconds=60, memory_bytes=1 << 30)
    assert sorted(o.name for o in record.outputs) == [
        "by_segment.csv",
        "by_segment_mobile.csv",
        "notes.csv",
    ], record.stderr.text
    files = {o.name: (attack.outputs / o.name).read_bytes() for o in record.outputs}

    contract = contract_declaring_by_segment_only()
    inputs = {"customers": table}
    index = build_sensitive_index(contract, inputs, key=bytes(32))
    checked = check_outputs(files, OutputCheckPolicy.from_contract(contract), index, inputs=inputs)
    reports = {f.name: f for f in checked.report.files}

    honest = reports["by_segment.csv"]
    assert honest.outcome is FileOutcome.PASSED, honest.failures
    assert {CheckName.COUNTS, CheckName.DECLARED_SCHEMA, CheckName.RECOMPUTED} <= set(honest.passed)

    mobile = reports["by_segment_mobile.csv"]
    assert mobile.outcome is FileOutcome.BLOCKED
    assert CheckName.COUNTS in {f.check for f in mobile.failures}

    undeclared = reports["notes.csv"]
    assert undeclared.outcome is FileOutcome.BLOCKED
    assert [f.check for f in undeclared.failures] == [CheckName.DECLARED_SCHEMA]

    assert set(checked.releasable) == {"by_segment.csv"}
    released = b"".join(checked.releasable.values()).decode()
    numbers = {int(n) for n in re.findall(r"\d+", released)}
    mobiles = {int(m) for m in table.column("mobile").to_pylist()}
    assert not numbers & mobiles
    assert not {n // 5 for n in numbers if n % 5 == 0} & mobiles
