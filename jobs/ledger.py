"""Export-ledger arithmetic under the 2024 Mainland China cross-border data rules.

Source: Provisions on Promoting and Regulating Cross-Border Data Flows (CAC,
22 March 2024), arts. 5, 7, 8 and 9, as summarised in DESIGN.md "Compliance rules":

- important data, or personal information exported by a critical information
  infrastructure operator (CIIO): security assessment, whatever the volume;
- otherwise, counted per processor cumulatively from 1 January of the current
  year: personal information (not sensitive) of 1,000,000+ individuals, or
  sensitive personal information of 10,000+: security assessment;
  100,000 to 999,999 (not sensitive) or 1 to 9,999 sensitive: standard contract or
  certification; under 100,000 (not sensitive): exempt;
- data with no personal information and no important data (the normal case:
  aggregates that passed the output checks) is exempt and counts towards nothing.

The year is the calendar year in Beijing time, where the rule is applied. Each
release's individuals are added to the running total even if the same people
were in an earlier release: the ledger cannot tell, and over-counting errs on the
side of the stricter path. Every function is pure over ledger rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from contracts import Classification, Contract, LegalBasis
from jobs.output_schemas import OutputLineage
from jobs.receipt import Receipt

BEIJING = ZoneInfo("Asia/Shanghai")

PERSONAL_STANDARD_CONTRACT = 100_000
PERSONAL_SECURITY_ASSESSMENT = 1_000_000
SENSITIVE_STANDARD_CONTRACT = 1
SENSITIVE_SECURITY_ASSESSMENT = 10_000

#: Logs of exports are kept at least three years (DESIGN.md, Compliance rules).
RETENTION_YEARS = 3


class ExportPath(StrEnum):
    """What the law requires for an export, from the least to the most demanding."""

    EXEMPT_NO_PERSONAL_INFORMATION = "exempt_no_personal_information"
    EXEMPT_BELOW_THRESHOLD = "exempt_below_threshold"
    STANDARD_CONTRACT_OR_CERTIFICATION = "standard_contract_or_certification"
    SECURITY_ASSESSMENT = "security_assessment"


_RANK = {path: rank for rank, path in enumerate(ExportPath)}

#: What each declared legal basis is good for.
_BASIS_COVERS = {
    LegalBasis.EXEMPT_NO_PERSONAL_INFORMATION: ExportPath.EXEMPT_NO_PERSONAL_INFORMATION,
    LegalBasis.EXEMPT_BELOW_THRESHOLD: ExportPath.EXEMPT_BELOW_THRESHOLD,
    LegalBasis.STANDARD_CONTRACT: ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION,
    LegalBasis.CERTIFICATION: ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION,
    LegalBasis.SECURITY_ASSESSMENT: ExportPath.SECURITY_ASSESSMENT,
}


@dataclass(frozen=True)
class ExportEvent:
    """One row of the export ledger: one release to one recipient.

    ``individuals`` is how many distinct people's records influenced the output
    (reported in the annual report); ``personal_individuals`` and
    ``sensitive_individuals`` are how many people's personal information the output
    itself carries (zero for aggregates), which is what the thresholds count.
    """

    released_at: dt.datetime
    job_id: str
    contract_id: str
    contract_version: int
    processor: str
    recipient: str
    recipient_country: str
    purpose: str
    data_categories: tuple[str, ...]
    individuals: int
    personal_individuals: int
    sensitive_individuals: int
    important_data: bool
    legal_basis: LegalBasis

    @property
    def carries_personal_information(self) -> bool:
        return self.personal_individuals > 0 or self.sensitive_individuals > 0


@dataclass(frozen=True)
class Totals:
    """Cumulative individuals from 1 January, per processor."""

    personal: int = 0
    sensitive: int = 0

    def plus(self, event: ExportEvent) -> Totals:
        return Totals(
            self.personal + event.personal_individuals,
            self.sensitive + event.sensitive_individuals,
        )


@dataclass(frozen=True)
class ThresholdWarning:
    threshold: int
    category: str  # "personal" or "sensitive personal"
    before: int
    after: int
    path: ExportPath
    message: str


@dataclass(frozen=True)
class ExportAssessment:
    """Which legal path a release needs, why, and whether its contract's basis covers it."""

    required: ExportPath
    reason: str
    legal_basis: LegalBasis
    covered: bool
    year: int
    before: Totals
    after: Totals
    warnings: tuple[ThresholdWarning, ...]


THRESHOLD_WARNING_MSG = (
    "This release would bring {processor}'s exports of {category} information since "
    "1 January {year} from {before:,} to {after:,} individuals, crossing {threshold:,}: "
    "from then on exports need {path}. Check the contract's legal basis before releasing."
)

NOT_COVERED_MSG = (
    "This release needs {required} ({reason}), but {contract} declares the legal basis "
    "{basis}: withhold it, or put the required path in place and record it in a new "
    "contract version."
)


def ledger_year(moment: dt.datetime) -> int:
    """The calendar year, in Beijing time, that ``moment`` counts towards."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("ledger times must be timezone-aware (e.g. datetime.now(UTC))")
    return moment.astimezone(BEIJING).year


def cumulative(events: Iterable[ExportEvent], processor: str, year: int) -> Totals:
    """Totals of ``processor``'s exports in ``year`` (Beijing), over all recipients."""
    totals = Totals()
    for event in events:
        if event.processor == processor and ledger_year(event.released_at) == year:
            totals = totals.plus(event)
    return totals


def required_path(
    event: ExportEvent, after: Totals, *, processor_is_ciio: bool
) -> tuple[ExportPath, str]:
    """The path the law requires for ``event`` given the year's totals including it."""
    if event.important_data:
        return ExportPath.SECURITY_ASSESSMENT, "the output contains important data"
    if not event.carries_personal_information:
        return (
            ExportPath.EXEMPT_NO_PERSONAL_INFORMATION,
            "the output contains no personal information and no important data",
        )
    if processor_is_ciio:
        return (
            ExportPath.SECURITY_ASSESSMENT,
            "a critical information infrastructure operator exports personal information",
        )
    if after.sensitive >= SENSITIVE_SECURITY_ASSESSMENT:
        return (
            ExportPath.SECURITY_ASSESSMENT,
            f"sensitive personal information of {after.sensitive:,} individuals this year "
            f"(threshold {SENSITIVE_SECURITY_ASSESSMENT:,})",
        )
    if after.personal >= PERSONAL_SECURITY_ASSESSMENT:
        return (
            ExportPath.SECURITY_ASSESSMENT,
            f"personal information of {after.personal:,} individuals this year "
            f"(threshold {PERSONAL_SECURITY_ASSESSMENT:,})",
        )
    if after.sensitive >= SENSITIVE_STANDARD_CONTRACT:
        return (
            ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION,
            f"sensitive personal information of {after.sensitive:,} individuals this year "
            f"(under {SENSITIVE_SECURITY_ASSESSMENT:,})",
        )
    if after.personal >= PERSONAL_STANDARD_CONTRACT:
        return (
            ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION,
            f"personal information of {after.personal:,} individuals this year "
            f"(from {PERSONAL_STANDARD_CONTRACT:,} to under {PERSONAL_SECURITY_ASSESSMENT:,})",
        )
    return (
        ExportPath.EXEMPT_BELOW_THRESHOLD,
        f"personal information of {after.personal:,} individuals this year, none sensitive "
        f"(under {PERSONAL_STANDARD_CONTRACT:,})",
    )


def assess_release(
    history: Sequence[ExportEvent], proposed: ExportEvent, *, processor_is_ciio: bool = False
) -> ExportAssessment:
    """Assess ``proposed`` against the ledger ``history`` before it is released."""
    year = ledger_year(proposed.released_at)
    before = cumulative(history, proposed.processor, year)
    after = before.plus(proposed)
    required, reason = required_path(proposed, after, processor_is_ciio=processor_is_ciio)
    covered = _RANK[_BASIS_COVERS[proposed.legal_basis]] >= _RANK[required]
    return ExportAssessment(
        required=required,
        reason=reason,
        legal_basis=proposed.legal_basis,
        covered=covered,
        year=year,
        before=before,
        after=after,
        warnings=threshold_warnings(proposed.processor, year, before, after),
    )


def not_covered_message(assessment: ExportAssessment, contract_ref: str) -> str:
    return NOT_COVERED_MSG.format(
        required=assessment.required.value,
        reason=assessment.reason,
        contract=contract_ref,
        basis=assessment.legal_basis.value,
    )


_STANDARD = ExportPath.STANDARD_CONTRACT_OR_CERTIFICATION
_ASSESSMENT = ExportPath.SECURITY_ASSESSMENT
_THRESHOLDS: tuple[tuple[str, int, ExportPath], ...] = (
    ("personal", PERSONAL_STANDARD_CONTRACT, _STANDARD),
    ("personal", PERSONAL_SECURITY_ASSESSMENT, _ASSESSMENT),
    ("sensitive personal", SENSITIVE_STANDARD_CONTRACT, _STANDARD),
    ("sensitive personal", SENSITIVE_SECURITY_ASSESSMENT, _ASSESSMENT),
)


def threshold_warnings(
    processor: str, year: int, before: Totals, after: Totals
) -> tuple[ThresholdWarning, ...]:
    """A warning for every threshold the step from ``before`` to ``after`` crosses."""
    warnings = []
    for category, threshold, path in _THRESHOLDS:
        was = before.personal if category == "personal" else before.sensitive
        will_be = after.personal if category == "personal" else after.sensitive
        if was < threshold <= will_be:
            message = THRESHOLD_WARNING_MSG.format(
                processor=processor,
                category=category,
                year=year,
                before=was,
                after=will_be,
                threshold=threshold,
                path=path.value.replace("_", " "),
            )
            warnings.append(ThresholdWarning(threshold, category, was, will_be, path, message))
    return tuple(warnings)


def retained_until(event: ExportEvent) -> dt.date:
    """The first day on which ``event`` may be purged: three years after the release."""
    released = event.released_at.astimezone(BEIJING).date()
    try:
        return released.replace(year=released.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return released.replace(year=released.year + RETENTION_YEARS, day=28)


def purgeable(events: Iterable[ExportEvent], now: dt.datetime) -> tuple[ExportEvent, ...]:
    today = now.astimezone(BEIJING).date()
    return tuple(e for e in events if retained_until(e) <= today)


@dataclass(frozen=True)
class CountryLine:
    """One line of the annual export report: a processor's exports to one country."""

    processor: str
    recipient_country: str
    releases: int
    individuals: int
    personal_individuals: int
    sensitive_individuals: int
    recipients: tuple[str, ...]
    legal_bases: tuple[LegalBasis, ...]


def annual_report(events: Iterable[ExportEvent], year: int) -> tuple[CountryLine, ...]:
    """Per processor and destination country: the figures of the annual export report."""
    groups: dict[tuple[str, str], list[ExportEvent]] = {}
    for event in events:
        if ledger_year(event.released_at) == year:
            groups.setdefault((event.processor, event.recipient_country), []).append(event)
    return tuple(
        CountryLine(
            processor=processor,
            recipient_country=country,
            releases=len(rows),
            individuals=sum(r.individuals for r in rows),
            personal_individuals=sum(r.personal_individuals for r in rows),
            sensitive_individuals=sum(r.sensitive_individuals for r in rows),
            recipients=tuple(sorted({r.recipient for r in rows})),
            legal_bases=tuple(sorted({r.legal_basis for r in rows})),
        )
        for (processor, country), rows in sorted(groups.items())
    )


def export_events_for_release(
    contract: Contract,
    receipt: Receipt,
    *,
    individuals: int,
    personal_individuals: int = 0,
    sensitive_individuals: int = 0,
    recipient_countries: Mapping[str, str] | None = None,
    lineage: OutputLineage | None = None,
) -> tuple[ExportEvent, ...]:
    """The ledger rows a release appends: one per dataset owner and recipient.

    With several owners each row carries the release's full counts: the ledger
    cannot split people between owners, and over-counting errs on the safe side.
    Important data is assumed whenever a column the output comes from is
    classified important, since statistics over important data can be important
    data too. Which columns those are is the ``lineage`` the contract's output
    schemas give the released files (``output_lineage``); without it, every
    column of the contract.
    """
    countries = dict(recipient_countries or {})
    destinations = contract.export.destination_countries
    owners = sorted({d.owner for d in contract.datasets})
    classifications = (
        set(lineage.classifications)
        if lineage is not None
        else {c.classification for d in contract.datasets for c in d.columns}
    )
    categories = tuple(sorted(c.value for c in classifications))
    important = Classification.IMPORTANT in classifications
    events: list[ExportEvent] = []
    for recipient in receipt.recipients:
        country = countries.get(recipient)
        if country is None:
            if len(destinations) != 1:
                raise ValueError(
                    f"{contract.ref} lists {len(destinations)} destination countries: say "
                    f"which one {recipient} receives in"
                )
            country = destinations[0]
        events.extend(
            ExportEvent(
                released_at=receipt.released_at,
                job_id=receipt.job_id,
                contract_id=contract.id,
                contract_version=contract.version,
                processor=owner,
                recipient=recipient,
                recipient_country=country,
                purpose=contract.purpose,
                data_categories=categories,
                individuals=individuals,
                personal_individuals=personal_individuals,
                sensitive_individuals=sensitive_individuals,
                important_data=important,
                legal_basis=contract.export.legal_basis,
            )
            for owner in owners
        )
    return tuple(events)
