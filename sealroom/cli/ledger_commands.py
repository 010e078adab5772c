"""`sealroom ledger show|report`: the export ledger, on the store's own machine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from sealroom.cli.session import console, opened
from sealroom.service.ledger import export_report, ledger_rows

ledger_app = typer.Typer(help="The export ledger and the annual report.", no_args_is_help=True)


@ledger_app.command("show")
def ledger_show() -> None:
    """Every export: recipient, contract, purpose, categories, individuals, legal path."""
    with opened() as room:
        rows = ledger_rows(room)
    table = Table(title="Export ledger")
    for column in (
        "released",
        "job",
        "contract",
        "processor",
        "recipient",
        "country",
        "individuals",
        "legal basis",
        "required",
        "why",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            f"{r.released_at:%Y-%m-%d}",
            r.job_id,
            r.contract_id,
            r.processor,
            r.recipient,
            r.recipient_country,
            f"{r.individuals:,}",
            r.legal_basis,
            r.required_path,
            r.path_reason,
        )
    console.print(table)


@ledger_app.command("report")
def ledger_report(year: Annotated[int | None, typer.Option()] = None) -> None:
    """The annual data-export report (数据出境安全报告) figures for YEAR."""
    year = year or datetime.now(UTC).year
    with opened() as room:
        lines = export_report(room, year)
    table = Table(title=f"Data exports in {year}")
    for column in (
        "processor",
        "country",
        "releases",
        "individuals",
        "personal",
        "sensitive",
        "recipients",
        "legal bases",
    ):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.processor,
            line.recipient_country,
            str(line.releases),
            f"{line.individuals:,}",
            f"{line.personal_individuals:,}",
            f"{line.sensitive_individuals:,}",
            ", ".join(line.recipients),
            ", ".join(str(b) for b in line.legal_bases),
        )
    console.print(table)
