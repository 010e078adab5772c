"""Differential-privacy noise: calibrated to the contract's budget, applied once, reported.

OpenDP draws its noise from the operating system's cryptographic generator and
cannot be seeded (noise that could be replayed could be subtracted), so the
statistical tests draw thousands of values and allow six standard errors: a
correct sampler fails them about once in a billion runs, a mis-scaled one
(twice or half the noise) every time.
"""

from __future__ import annotations

import hashlib
import io
import statistics

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from contracts import Aggregate, Contract
from jobs import CheckedOutputs, CheckReport, FileReport, PrivacySpend, apply_noise, read_output
from jobs.check_report import CheckName
from jobs.dp_noise import aggregate_sensitivity, calibrated_measurement

from .conftest import EXAMPLE as EXAMPLE_SCHEMA
from .conftest import load_example

DP = "  differential_privacy:\n    epsilon: {epsilon}\n    delta: {delta}\n"
INPUTS = {
    "customers": pa.table(
        {"spend_cny": [0.0, 250.0, 1000.0, 10.0], "city": ["Beijing", "Beijing", "X", "Y"]}
    )
}
ROWS = 400


def dp_contract(epsilon: float = 5.0, delta: float = 0.0) -> Contract:
    return load_example(
        ("  max_rows: 1000\n", "  max_rows: 1000\n" + DP.format(epsilon=epsilon, delta=delta))
    )


def csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink)
    return sink.getvalue()


def checked(files: dict[str, bytes]) -> CheckedOutputs:
    reports = tuple(
        FileReport(
            name,
            hashlib.sha256(data).hexdigest(),
            len(data),
            ROWS,
            (CheckName.READABLE,),
            (),
            released_sha256=hashlib.sha256(data).hexdigest(),
        )
        for name, data in files.items()
    )
    return CheckedOutputs(CheckReport(reports), files)


def by_segment(rows: int = ROWS) -> pa.Table:
    return pa.table(
        {
            "segment": [f"s{i}" for i in range(rows)],
            "customers": pa.array([100] * rows, pa.int64()),
            "mean_spend_cny": [500.0] * rows,
        }
    )


def test_laplace_scale_is_sensitivity_over_epsilon_and_the_privacy_map_holds() -> None:
    measurement, mechanism = calibrated_measurement(3.0, PrivacySpend(0.5), integers=False)
    assert mechanism == "laplace"
    assert measurement.scale == pytest.approx(6.0, rel=1e-6)
    assert measurement.map(3.0) <= 0.5


def test_counts_get_discrete_laplace_with_sensitivity_one() -> None:
    measurement, mechanism = calibrated_measurement(1.0, PrivacySpend(0.25), integers=True)
    assert mechanism == "discrete_laplace"
    assert measurement.scale == pytest.approx(4.0, rel=1e-6)
    assert all(isinstance(v, int) for v in measurement([5, 6, 7]))


def test_gaussian_is_calibrated_to_epsilon_and_delta_and_no_tighter() -> None:
    budget = PrivacySpend(0.5, 1e-6)
    measurement, mechanism = calibrated_measurement(2.0, budget, integers=False)
    assert mechanism == "gaussian"
    epsilon, delta = measurement.map(2.0)
    assert epsilon <= 0.5 and delta <= 1e-6
    tighter, _ = calibrated_measurement(2.0, PrivacySpend(0.5, 1e-6), integers=False)
    assert tighter.scale == pytest.approx(measurement.scale)
    looser, _ = calibrated_measurement(2.0, PrivacySpend(1.0, 1e-6), integers=False)
    assert looser.scale < measurement.scale


def test_laplace_noise_has_the_calibrated_spread() -> None:
    # Laplace(b): E|X| = b and sd|X| = b, so the mean of 4,000 draws of |X| is b +- b/63.
    measurement, _ = calibrated_measurement(2.0, PrivacySpend(1.0), integers=False)
    draws = measurement([0.0] * 4000)
    spread = statistics.fmean(abs(x) for x in draws)
    assert spread == pytest.approx(2.0, rel=6 / 63)
    assert statistics.fmean(draws) == pytest.approx(0.0, abs=6 * 2.0 * 2**0.5 / 63)


def test_gaussian_noise_has_the_calibrated_spread() -> None:
    measurement, _ = calibrated_measurement(1.0, PrivacySpend(1.0, 1e-5), integers=False)
    draws = measurement([0.0] * 4000)
    # The sample sd of 4,000 normals is within 6 * sd / sqrt(2 * 4000) of sd.
    assert statistics.stdev(draws) == pytest.approx(measurement.scale, rel=6 / 89)


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        (Aggregate.COUNT, 1.0),
        (Aggregate.SUM, 1000.0),
        (Aggregate.MEAN, 1050.0 / 10),
        (Aggregate.MAX, 1050.0),
    ],
)
def test_sensitivity_comes_from_the_aggregate_and_the_source_bounds(
    aggregate: Aggregate, expected: float
) -> None:
    assert aggregate_sensitivity(aggregate, (-50.0, 1000.0), 10) == expected


def test_a_dp_contract_releases_noisy_counts_and_means_rounded_as_it_says() -> None:
    contract = dp_contract(epsilon=5.0)  # 50 runs: 0.1 per release, 0.05 per column
    data = csv_bytes(by_segment())
    noised = apply_noise(checked({"by_segment.csv": data}), contract, INPUTS)
    released = noised.releasable["by_segment.csv"]
    assert released != data
    table = read_output("by_segment.csv", released)
    counts = table.column("customers").to_pylist()
    assert all(c >= 0 and c % 5 == 0 for c in counts)  # post-processed like the checks want
    means = table.column("mean_spend_cny").to_pylist()
    assert all(round(m, 2) == m for m in means)
    # mean: sensitivity (1000 - 0) / 10 = 100 at epsilon 0.05 -> Laplace scale 2,000.
    assert statistics.fmean(abs(m - 500.0) for m in means) == pytest.approx(2000, rel=0.35)
    report = noised.report_json()
    dp = report["differential_privacy"]
    assert dp["epsilon_spent"] == pytest.approx(0.1)
    assert {c["column"]: c["scale"] for c in dp["columns"]} == pytest.approx(
        {"customers": 20.0, "mean_spend_cny": 2000.0}, rel=1e-6
    )
    [entry] = report["files"]
    assert entry["released_sha256"] == hashlib.sha256(released).hexdigest()
    assert noised.spend is not None and noised.spend.epsilon == pytest.approx(0.1)


def without_schema(text_edits: tuple[tuple[str, str], ...] = ()) -> Contract:
    schema = EXAMPLE_SCHEMA.read_text(encoding="utf-8")
    start = schema.index("  schema:\n")
    block = schema[start : schema.index("\nreview:")]
    return load_example((block, ""), *text_edits)


def test_a_statistic_without_a_declared_aggregate_and_source_blocks_its_file() -> None:
    contract = without_schema(
        (("  max_rows: 1000\n", "  max_rows: 1000\n" + DP.format(epsilon=5.0, delta=0.0)),)
    )
    table = by_segment(20).rename_columns(["segment", "customers", "total_spend_cny"])
    noised = apply_noise(checked({"by_segment.csv": csv_bytes(table)}), contract, INPUTS)
    assert noised.releasable == {}
    [entry] = noised.report_json()["files"]
    assert entry["outcome"] == "blocked"
    assert "total_spend_cny" in entry["failures"][-1]["reason"]
    assert "declare the column" in entry["failures"][-1]["reason"]
    assert noised.report_json()["blocked"] is True


def test_without_a_budget_the_checked_bytes_are_released_untouched(contract: Contract) -> None:
    files = {"by_segment.csv": csv_bytes(by_segment(20))}
    noised = apply_noise(checked(files), contract, INPUTS)
    assert noised.releasable == files and noised.spend is None
    assert "differential_privacy" not in noised.report_json()


def test_a_file_schema_of_output_schemas_decides_the_noise_as_it_decides_the_checks() -> None:
    # The example's columns declared for "by_*.csv" under `schemas:`, not `schema:`.
    text = EXAMPLE_SCHEMA.read_text(encoding="utf-8")
    start = text.index("  schema:\n")
    block = text[start : text.index("\nreview:")]
    columns = "".join("    " + line + "\n" for line in block.splitlines()[1:])
    per_file = '  schemas:\n    - files: "by_*.csv"\n      columns:\n' + columns
    contract = load_example(
        (block + "\n", per_file),
        ("  max_rows: 1000\n", "  max_rows: 1000\n" + DP.format(epsilon=5.0, delta=0.0)),
    )
    assert contract.output.output_schema is None and contract.output.schemas
    noised = apply_noise(checked({"by_segment.csv": csv_bytes(by_segment())}), contract, INPUTS)
    assert set(noised.releasable) == {"by_segment.csv"}  # calibrated, not refused
    scales = {
        c["column"]: c["scale"] for c in noised.report_json()["differential_privacy"]["columns"]
    }
    assert scales == pytest.approx({"customers": 20.0, "mean_spend_cny": 2000.0}, rel=1e-6)
