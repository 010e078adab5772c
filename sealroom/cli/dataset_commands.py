"""`sealroom dataset register|list|show|verify`: shape and handling, never values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sealroom.cli.clients import client_for
from sealroom.cli.listing_format import Column, FormatOption, Listing, ListingFormat, print_listing
from sealroom.cli.session import ActingParty, console, opened
from sealroom.client.models import DatasetInfo
from sealroom.client.protocol import DebugSampleInfo
from sealroom.errors import ConfigError
from sealroom.service.datasets import verify_dataset

dataset_app = typer.Typer(help="Register and inspect encrypted datasets.", no_args_is_help=True)


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        column, sep, level = pair.partition("=")
        if not sep or not column or not level:
            raise ConfigError(f"--classify {pair!r}: write it as COLUMN=LEVEL, e.g. spend=general")
        overrides[column] = level
    return overrides


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def label(view: DatasetInfo) -> str:
    return f"{view.name} v{view.version}"


def classification_table(view: DatasetInfo) -> Table:
    table = Table(title=f"Dataset {label(view)}: columns and classification")
    for column in ("column", "type", "classification", "detected as", "confidence", "decided by"):
        table.add_column(column)
    styles = {
        "identifier": "red",
        "sensitive_personal": "bold red",
        "personal": "yellow",
        "important": "magenta",
    }
    for c in view.columns:
        table.add_row(
            c.name,
            c.physical_type,
            f"[{styles.get(c.level, 'green')}]{c.level}[/]",
            c.detector or "-",
            f"{c.confidence:.0%}",
            c.decided_by,
        )
    return table


def summary_table(view: DatasetInfo, wrapping_key: str | None = None) -> Table:
    """``wrapping_key``: the master key's id, where known (the API does not publish it)."""
    table = Table(show_header=False, title=f"Dataset {label(view)}")
    table.add_column("field", style="bold")
    table.add_column("value")
    for field, value in (
        ("owner", view.owner),
        (
            "source",
            f"{view.source_name} ({view.source_format}"
            + (f", {view.source_encoding})" if view.source_encoding else ")"),
        ),
        ("rows", f"{view.row_count:,}"),
        ("columns", str(len(view.columns))),
        ("source size", human_bytes(view.source_bytes)),
        ("stored (canonical Parquet)", human_bytes(view.stored_bytes)),
        ("encryption", view.algorithm),
        (
            "data key",
            view.data_key_id
            + (f" (wrapped under {wrapping_key})" if wrapping_key is not None else ""),
        ),
        ("content sha256", view.content_sha256),
        ("registered by", view.registered_by),
    ):
        table.add_row(field, value)
    return table


@dataset_app.command("register")
def register(
    file: Annotated[Path, typer.Argument(help="A Parquet or CSV file.")],
    owner: Annotated[str, typer.Option(help="The owning organisation.")],
    name: Annotated[str | None, typer.Option(help="Dataset name (default: file stem).")] = None,
    classify: Annotated[
        list[str] | None,
        typer.Option(help="Confirm or override a column: COLUMN=LEVEL (repeatable)."),
    ] = None,
    algorithm: Annotated[str | None, typer.Option(help="aes-256-gcm or sm4-gcm.")] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="A CSV's encoding: utf-8, gbk or gb18030 (default: detected)."),
    ] = None,
    as_party: ActingParty = None,
) -> None:
    """Classify, encrypt under a fresh data key, and store FILE."""
    if algorithm not in (None, "aes-256-gcm", "sm4-gcm"):
        raise ConfigError(f"--algorithm {algorithm!r}: use aes-256-gcm or sm4-gcm")
    overrides = parse_overrides(classify or [])
    with client_for(as_party) as client:
        view = client.register_dataset(
            file,
            owner=owner,
            name=name,
            classify=overrides,
            algorithm=algorithm,
            encoding=encoding,
        )
        wrapping_key = client.wrapping_key(view.name, view.version)
    console.print(summary_table(view, wrapping_key))
    console.print(classification_table(view))


@dataset_app.command("list")
def list_(listing_format: FormatOption = ListingFormat.TABLE) -> None:
    """List datasets (latest version of each)."""
    with client_for() as client:
        views = client.datasets()
    columns = (
        Column("name"),
        Column("version"),
        Column("owner"),
        Column("rows"),
        Column("columns"),
        Column("size", shown=lambda size: human_bytes(size) if isinstance(size, int) else ""),
        Column("encryption"),
        Column("key"),
    )
    rows = [
        (
            v.name,
            v.version,
            v.owner,
            v.row_count,
            len(v.columns),
            v.stored_bytes,
            v.algorithm,
            v.data_key_id,
        )
        for v in views
    ]
    print_listing(Listing("Datasets", columns, rows), listing_format)


@dataset_app.command("show")
def show(
    name: str,
    version: Annotated[int | None, typer.Option(help="A version (default: latest).")] = None,
) -> None:
    """Schema, classification, row count, size and key id of a dataset; never its values."""
    with client_for() as client:
        view = client.dataset(name, version)
        wrapping_key = client.wrapping_key(view.name, view.version)
        samples = client.debug_samples(name)
    console.print(summary_table(view, wrapping_key))
    console.print(classification_table(view))
    if samples:
        console.print(samples_table(name, samples))


def samples_table(name: str, samples: list[DebugSampleInfo]) -> Table:
    table = Table(title=f"Debug samples of {name} (masked, encrypted)")
    for column in ("dataset version", "contract", "rows", "masking", "made"):
        table.add_column(column)
    for s in samples:
        table.add_row(
            str(s.dataset_version),
            f"{s.contract_id} v{s.contract_version}",
            str(s.rows),
            ", ".join(f"{c}: {m}" for c, m in sorted(s.methods.items())),
            f"{s.created_at:%Y-%m-%d %H:%M}",
        )
    return table


@dataset_app.command("verify")
def verify(
    name: str,
    version: Annotated[int | None, typer.Option(help="A version (default: latest).")] = None,
) -> None:
    """Decrypt the stored dataset end to end and check it is what was registered."""
    with opened() as room:
        view = verify_dataset(room, name, version)
    console.print(
        f"[green]ok[/] {view.label}: decrypts to the registered {human_bytes(view.stored_bytes)} "
        f"(sha256 {view.content_sha256[:16]}…)"
    )
