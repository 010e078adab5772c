"""Approved code hides the customers' identifiers in its outputs in every disguise the
checker knows; the real job runs in the sandbox and the checks block every such file.

What is released (only the honest file) carries no identifier in any form.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from contracts import Contract, load_contract
from jobs.check_report import CheckName, FileOutcome
from jobs.output_checks import OutputCheckPolicy, check_outputs
from jobs.sensitive_index import build_sensitive_index
from tests.fixtures.identifier_disguises import CUSTOMERS, KEY, MOBILES, NAMES
from tests.fixtures.sandbox import Attack

# The job reads the real input and writes one output per disguise.
DISGUISING_JOB = """
import base64, urllib.parse
import pyarrow as pa, pyarrow.csv as pa_csv, pyarrow.parquet as pq

people = pq.read_table("/inputs/customers.parquet").to_pydict()
mobiles = [m.removeprefix("+86") for m in people["mobile"]]
names = people["name"]
segments = [f"s{i}" for i in range(len(mobiles))]
wide = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))

def csv(name, column, values):
    pa_csv.write_csv(pa.table({"segment": segments, column: values}), f"/outputs/{name}.csv")

def parquet(name, column, values):
    pq.write_table(pa.table({"segment": segments, column: values}), f"/outputs/{name}.parquet")

csv("leading_zero", "note", ["0" + m for m in mobiles])
csv("reversed", "note", [m[::-1] for m in mobiles])
csv("base64_label", "label", ["seg-" + base64.b64encode(m.encode()).decode() for m in mobiles])
csv("full_width", "note", [m.translate(wide) for m in mobiles])
csv("zero_width_names", "label", ["\\u200b".join(n) for n in names])
csv("hex", "note", [m.encode().hex() for m in mobiles])
csv("url_names", "label", [urllib.parse.quote(n) for n in names])
csv("count_times_5", "count", [int(m) * 5 for m in mobiles])
parquet("plus_half", "total_cny", [int(m) + 0.5 for m in mobiles])
parquet("third", "total_cny", [int(m) / 3 for m in mobiles])
parquet("fresh_mobiles", "ref", [13512345678 + 7919 * i for i in range(len(mobiles))])
csv(mobiles[0][::-1] + "_report", "n", [20] * len(mobiles))
pa_csv.write_csv(
    pa.table({"segment": ["gold", "silver"], "customers": [120, 35],
              "mean_spend_cny": [101.25, 33.1]}),
    "/outputs/honest.csv",
)
print("wrote", flush=True)
"""

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contracts" / "customer-insights.yaml"

DISGUISED = {
    "leading_zero.csv",
    "reversed.csv",
    "base64_label.csv",
    "full_width.csv",
    "zero_width_names.csv",
    "hex.csv",
    "url_names.csv",
    "count_times_5.csv",
    "plus_half.parquet",
    "third.parquet",
    "fresh_mobiles.parquet",
    f"{MOBILES[0][::-1]}_report.csv",
}
IDENTIFIER_CHECKS = {
    CheckName.VERBATIM_VALUES,
    CheckName.VERBATIM_HEADERS,
    CheckName.DISGUISED_IDENTIFIERS,
    CheckName.IDENTIFIER_SHAPED,
}


def example_contract() -> Contract:
    return load_contract(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE.name)


def test_every_disguise_written_by_a_real_job_is_blocked(attack: Attack, tmp_path: Path) -> None:
    contract = example_contract()
    data = tmp_path / "customers.parquet"
    pq.write_table(CUSTOMERS, data)
    record = attack.run(DISGUISING_JOB, inputs={"customers": data}, memory_bytes=1024**3)
    assert "wrote" in record.stdout.text, record.stderr.text
    files = {output.name: (attack.outputs / output.name).read_bytes() for output in record.outputs}
    assert set(files) == DISGUISED | {"honest.csv"}

    index = build_sensitive_index(contract, {"customers": CUSTOMERS}, key=KEY)
    policy = replace(OutputCheckPolicy.from_contract(contract), schema=None)
    checked = check_outputs(files, policy, index)

    for report in checked.report.files:
        if report.name == "honest.csv":
            assert report.outcome is FileOutcome.PASSED, report.failures
            continue
        assert report.outcome is FileOutcome.BLOCKED, report.name
        assert {f.check for f in report.failures} & IDENTIFIER_CHECKS, report
    assert set(checked.releasable) == {"honest.csv"}
    assert_no_identifier_in(checked.releasable["honest.csv"])


def assert_no_identifier_in(released: bytes) -> None:
    """Recovering identifiers from what is released fails, whichever way one decodes it."""
    readings = [released.decode("utf-8")]
    for token in released.decode("utf-8").replace(",", " ").split():
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                readings.append(decode(token + "=" * (-len(token) % 4)).decode("utf-8"))
            except ValueError:
                continue
    for text in readings:
        for secret in [*MOBILES, *(m[::-1] for m in MOBILES), *NAMES]:
            assert secret not in text
