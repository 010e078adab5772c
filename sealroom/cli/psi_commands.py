"""`sealroom psi run`: the partner's side of PSI and PSI-sum, on the partner's machine."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer

from contracts import PsiRevealMode
from kms import PartyKeyPair, load_party_key_file
from sealroom.cli.clients import client_for
from sealroom.cli.session import ActingParty, console, read_secret
from sealroom.client import read_public_key_file
from sealroom.client.psi_run import PartnerLearned, PsiTransport, run_psi, run_psi_sum
from sealroom.errors import ConfigError

psi_app = typer.Typer(help="Private set intersection, the partner's side.", no_args_is_help=True)


def read_ids(path: Path, column: str | None) -> list[str | None]:
    """Identifiers from a CSV (a named column, else the first) or a one-per-line file.

    UTF-8 (with or without Excel's byte-order mark), else GB18030, which reads the
    GBK files Excel saves on a Chinese Windows.
    """
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ConfigError(f"{path} is neither UTF-8 nor GBK/GB18030 text: re-save it as UTF-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ConfigError(f"{path} is empty: give one identifier per line or a CSV column")
    header = rows[0]
    index = 0
    if column is not None:
        if column not in header:
            raise ConfigError(f"{path} has no column {column!r} (it has {', '.join(header)})")
        index, rows = header.index(column), rows[1:]
    elif header and not any(ch.isdigit() for ch in header[0]) and "@" not in header[0]:
        rows = rows[1:]  # a header line such as "mobile"
    return [row[index].strip() if len(row) > index and row[index].strip() else None for row in rows]


def print_learned(learned: PartnerLearned) -> None:
    console.print(
        f"[green]ok[/] {learned.job_id}: your {learned.partner_set_size:,} identifiers "
        f"against the owner's {learned.owner_set_size:,}"
    )
    console.print(f"  overlap: {learned.intersection_size:,}")
    if learned.sums is not None:
        for column, total in learned.sums.items():
            console.print(
                f"  sum of {column} over the overlap: {total}; mean: {learned.mean(column)}"
            )


@psi_app.command("run")
def run(
    contract: Annotated[str, typer.Option(help="The contract id.")],
    ids: Annotated[Path, typer.Option(help="Your identifiers: CSV or one per line.")],
    key_file: Annotated[Path, typer.Option(help="Your private key file.")],
    mode: Annotated[str, typer.Option(help="cardinality, intersection or sum.")] = "cardinality",
    column: Annotated[str | None, typer.Option(help="The CSV column holding them.")] = None,
    out: Annotated[Path | None, typer.Option(help="Intersection mode: write matches here.")] = None,
    wait_seconds: Annotated[float, typer.Option(help="How long to wait for review.")] = 3600,
    platform_key: Annotated[
        Path | None,
        typer.Option(help="With --server: the platform's public key file, pinned."),
    ] = None,
    as_party: ActingParty = None,
) -> None:
    """Run PSI (or PSI-sum with --mode sum); your list never leaves this machine."""
    if mode not in ("cardinality", "intersection", "sum"):
        raise ConfigError(f"--mode {mode!r}: use cardinality, intersection or sum")
    raw = read_ids(ids, column)
    keys = load_party_key_file(
        key_file, read_secret("SEALROOM_KEY_PASSPHRASE", "Key file passphrase")
    )
    pinned = read_public_key_file(platform_key) if platform_key is not None else None
    with client_for(as_party) as client:
        who = client.me()
        learned = _run(
            client.psi_transport(pinned),
            contract,
            raw,
            mode,
            keys,
            who.organisation or who.party,
            wait_seconds,
        )
    print_learned(learned)
    if learned.matched_ids is not None and out is not None:
        out.write_text("\n".join(learned.matched_ids) + "\n", encoding="utf-8")
        console.print(f"  the {len(learned.matched_ids):,} matching identifiers are in {out}")


def _run(
    transport: PsiTransport,
    contract: str,
    raw: list[str | None],
    mode: str,
    keys: PartyKeyPair,
    recipient: str,
    wait_seconds: float,
) -> PartnerLearned:
    with console.status("running the protocol, then waiting for the owner's review…"):
        if mode == "sum":
            return run_psi_sum(
                transport,
                contract_id=contract,
                raw_ids=raw,
                keys=keys,
                recipient=recipient,
                wait_seconds=wait_seconds,
            )
        return run_psi(
            transport,
            contract_id=contract,
            raw_ids=raw,
            mode=PsiRevealMode(mode),
            keys=keys,
            recipient=recipient,
            wait_seconds=wait_seconds,
        )
