"""`sealroom ledger show|report`: the export ledger, on the store's own machine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import opened
from sealroom.service.ledger import export_report, ledger_rows

ledger_app = typer.Typer(help="The export ledger and the annual report.", no_args_is_help=True)


def _day(value: object) -> str:
    return f"{value:%Y-%m-%d}" if isinstance(value, date) else ""


@ledger_app.command("show")
def ledger_show(listing_format: FormatOption = ListingFormat.TABLE) -> None:
    """Every export: recipient, contract, purpose, categories, individuals, legal path."""
    with opened() as room:
        rows = ledger_rows(room)
    columns = (
        Column("released", shown=_day),
        *(
            Column(name)
            for name in (
                "job",
                "contract",
                "processor",
                "recipient",
                "country",
                "purpose",
                "categories",
                "individuals",
                "legal basis",
                "required",
                "why",
            )
        ),
    )
    values = [
        (
            r.released_at,
            r.job_id,
            r.contract_id,
            r.processor,
            r.recipient,
            r.recipient_country,
            r.purpose,
            ", ".join(r.data_categories),
            r.individuals,
            r.legal_basis,
            r.required_path,
            r.path_reason,
        )
        for r in rows
    ]
    print_listing(Listing("Export ledger", columns, values), listing_format)


@ledger_app.command("report")
def ledger_report(
    year: Annotated[int | None, typer.Option()] = None,
    listing_format: FormatOption = ListingFormat.TABLE,
) -> None:
    """The annual data-export report (数据出境安全报告) figures for YEAR."""
    year = year or datetime.now(UTC).year
    with opened() as room:
        lines = export_report(room, year)
    columns = [
        Column(name)
        for name in (
            "processor",
            "country",
            "releases",
            "individuals",
            "personal",
            "sensitive",
            "recipients",
            "legal bases",
        )
    ]
    rows = [
        (
            line.processor,
            line.recipient_country,
            line.releases,
            line.individuals,
            line.personal_individuals,
            line.sensitive_individuals,
            ", ".join(line.recipients),
            ", ".join(str(b) for b in line.legal_bases),
        )
        for line in lines
    ]
    print_listing(Listing(f"Data exports in {year}", columns, rows), listing_format)
