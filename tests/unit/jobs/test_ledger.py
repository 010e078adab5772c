"""The export ledger: the 2024 thresholds at each boundary, and warnings before crossing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from contracts import LegalBasis, contract_hash
from jobs.ledger import (
    ExportEvent,
    ExportPath,
    annual_report,
    assess_release,
    cumulative,
    export_events_for_release,
    ledger_year,
    not_covered_message,
    purgeable,
    retained_until,
)
from jobs.receipt import Receipt

from .conftest import load_example

MAY = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


def event(
    personal: int = 0,
    sensitive: int = 0,
    *,
    at: dt.datetime = MAY,
    processor: str = "acme-cn",
    basis: LegalBasis = LegalBasis.STANDARD_CONTRACT,
    important: bool = False,
    country: str = "GB",
) -> ExportEvent:
    return ExportEvent(
        released_at=at,
        job_id="j-1",
        contract_id="c-12",
        contract_version=1,
        processor=processor,
        recipient="globex-uk",
        recipient_country=country,
        purpose="size a joint loyalty programme",
        data_categories=("personal",) if personal or sensitive else ("general",),
        individuals=max(personal + sensitive, 5_000),
        personal_individuals=personal,
        sensitive_individuals=sensitive,
        important_data=important,
        legal_basis=basis,
    )


@pytest.mark.parametrize(
    ("personal", "path"),
    [
        (99_999, ExportPath.EXEMPT_BELOW_THRESHOLD),
        (100_000, ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION),
        (999_999, ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION),
        (1_000_000, ExportPath.SECURITY_ASSESSMENT),
    ],
)
def test_personal_information_thresholds_at_each_boundary(personal: int, path: ExportPath) -> None:
    assert assess_release([], event(personal)).required is path


@pytest.mark.parametrize(
    ("sensitive", "path"),
    [
        (1, ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION),
        (9_999, ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION),
        (10_000, ExportPath.SECURITY_ASSESSMENT),
    ],
)
def test_sensitive_information_thresholds_at_each_boundary(
    sensitive: int, path: ExportPath
) -> None:
    assert assess_release([], event(0, sensitive)).required is path


def test_aggregates_without_personal_information_are_exempt_and_count_for_nothing() -> None:
    history = [event(99_000)]
    aggregate = event(0, 0, basis=LegalBasis.EXEMPT_NO_PERSONAL_INFORMATION)
    assessment = assess_release(history, aggregate)
    assert assessment.required is ExportPath.EXEMPT_NO_PERSONAL_INFORMATION
    assert "no personal information and no important data" in assessment.reason
    assert assessment.covered
    assert assessment.after.personal == 99_000


def test_important_data_always_needs_a_security_assessment() -> None:
    assessment = assess_release([], event(0, important=True))
    assert assessment.required is ExportPath.SECURITY_ASSESSMENT
    assert assessment.reason == "the output contains important data"


def test_a_ciio_needs_an_assessment_for_any_personal_information() -> None:
    assert assess_release([], event(1), processor_is_ciio=True).required is (
        ExportPath.SECURITY_ASSESSMENT
    )
    assert assess_release([], event(0), processor_is_ciio=True).required is (
        ExportPath.EXEMPT_NO_PERSONAL_INFORMATION
    )


def test_counts_accumulate_from_first_january_beijing_time() -> None:
    # 31 Dec 2025 17:00 UTC is already 1 Jan 2026 in Beijing: it counts towards 2026.
    new_year_beijing = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)
    last_year = dt.datetime(2025, 12, 31, 15, 0, tzinfo=dt.UTC)
    history = [event(60_000, at=new_year_beijing), event(90_000, at=last_year)]
    assert ledger_year(new_year_beijing) == 2026
    assert cumulative(history, "acme-cn", 2026).personal == 60_000
    assessment = assess_release(history, event(40_000))
    assert assessment.before.personal == 60_000
    assert assessment.after.personal == 100_000
    assert assessment.required is ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION


def test_other_processors_exports_do_not_count() -> None:
    history = [event(99_000, processor="other-co")]
    assert assess_release(history, event(1_000)).required is ExportPath.EXEMPT_BELOW_THRESHOLD


def test_a_release_that_would_cross_a_threshold_warns_first() -> None:
    history = [event(99_990, basis=LegalBasis.EXEMPT_BELOW_THRESHOLD)]
    proposed = event(20, basis=LegalBasis.EXEMPT_BELOW_THRESHOLD)
    assessment = assess_release(history, proposed)
    assert [w.threshold for w in assessment.warnings] == [100_000]
    assert assessment.warnings[0].message == (
        "This release would bring acme-cn's exports of personal information since 1 January "
        "2026 from 99,990 to 100,010 individuals, crossing 100,000: from then on exports need "
        "standard contract or certification. Check the contract's legal basis before releasing."
    )
    assert not assessment.covered
    assert "declares the legal basis exempt_below_threshold" in not_covered_message(
        assessment, "contract c-12 v1"
    )


def test_a_release_that_stays_under_the_threshold_does_not_warn() -> None:
    assessment = assess_release([event(99_000)], event(999))
    assert assessment.warnings == ()


def test_the_first_sensitive_record_and_the_ten_thousandth_both_warn() -> None:
    first = assess_release([], event(0, 1))
    assert [w.threshold for w in first.warnings] == [1]
    crossing = assess_release([event(0, 9_999)], event(0, 1))
    assert [w.threshold for w in crossing.warnings] == [10_000]
    assert crossing.warnings[0].path is ExportPath.SECURITY_ASSESSMENT


def test_a_security_assessment_covers_every_lesser_path() -> None:
    assessment = assess_release([], event(500_000, basis=LegalBasis.SECURITY_ASSESSMENT))
    assert assessment.required is ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION
    assert assessment.covered


def test_ledger_rows_are_kept_three_years() -> None:
    row = event(10)
    assert retained_until(row) == dt.date(2029, 5, 1)
    assert purgeable([row], dt.datetime(2029, 4, 30, 12, tzinfo=dt.UTC)) == ()
    assert purgeable([row], dt.datetime(2029, 5, 1, 12, tzinfo=dt.UTC)) == (row,)
    leap = replace(row, released_at=dt.datetime(2028, 2, 29, 4, tzinfo=dt.UTC))
    assert retained_until(leap) == dt.date(2031, 2, 28)


def test_the_annual_report_sums_per_processor_and_country() -> None:
    rows = [event(10), event(20), event(5, country="SG"), event(7, at=MAY.replace(year=2025))]
    lines = annual_report(rows, 2026)
    assert [
        (line.recipient_country, line.releases, line.personal_individuals) for line in lines
    ] == [
        ("GB", 2, 30),
        ("SG", 1, 5),
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ledger_year(dt.datetime(2026, 1, 1))


def test_a_release_appends_one_row_per_owner_and_recipient() -> None:
    contract = load_example()
    receipt = Receipt(
        job_id="j-7",
        submitter="alice",
        contract_id="c-12",
        contract_version=1,
        contract_hash=contract_hash(contract),
        code_hash="sha256:" + "0" * 64,
        image_digest="sha256:" + "1" * 64,
        inputs=(),
        outputs=(),
        approvals=(),
        checks_passed={},
        recipients=("globex-uk",),
        released_at=MAY,
    )
    [row] = export_events_for_release(contract, receipt, individuals=48_000)
    assert (row.processor, row.recipient, row.recipient_country) == ("acme-cn", "globex-uk", "GB")
    assert row.legal_basis is LegalBasis.EXEMPT_NO_PERSONAL_INFORMATION
    assert row.purpose.startswith("Estimate the overlap")
    assert "sensitive_personal" in row.data_categories
    assert not row.carries_personal_information
    assert assess_release([], row).required is ExportPath.EXEMPT_NO_PERSONAL_INFORMATION
