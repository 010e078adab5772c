"""`sealroom audit export|verify|head|prove|consistency|show`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from sealroom.audit import (
    AuditEvent,
    LoggedEvent,
    check_consistency,
    check_inclusion,
    consistency_proof,
    consistency_proof_to_json,
    inclusion_proof_to_json,
    read_tree_head,
    timeline_json_lines,
    timeline_rows,
    tree_head_to_json,
    write_tree_head,
)
from sealroom.audit.events import parse_timestamp
from sealroom.audit.timeline import TIMELINE_COLUMNS
from sealroom.cli.clients import client_for, note_runs_locally
from sealroom.cli.listing_format import (
    Column,
    FormatOption,
    Listing,
    ListingFormat,
    print_listing,
    print_table,
)
from sealroom.cli.session import console, err_console, opened
from sealroom.client.models import AuditEventInfo
from sealroom.service.audit_log import (
    platform_public_keys,
    prove_consistency,
    prove_event,
    read_public_key,
    sign_head,
    verify_export,
)
from sealroom.service.store_reconcile import reconcile_store

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

PublicKeyFile = Annotated[
    Path | None,
    typer.Option("--key", help="The platform's public key file (default: beside the log)."),
]


@audit_app.command("export")
def export(out: Annotated[Path, typer.Option(help="Directory for the three files.")]) -> None:
    """Sign a fresh tree head and write the log, the head and the platform's public key."""
    with client_for() as client:
        size = client.audit_export(out).tree_size
    log, head, key = (out / n for n in ("audit-log.jsonl", "tree-head.json", "platform.pub.json"))
    console.print(f"exported {size} events to {log}")
    console.print(f"signed tree head: {head}; platform key: {key}")
    console.print(f"check it anywhere with `sealroom audit verify {log}`")


@audit_app.command("verify")
def verify(
    log: Annotated[Path | None, typer.Argument()] = None,
    head: Annotated[
        list[Path] | None,
        typer.Option(help="Signed tree head file(s) to check against (default: beside the log)."),
    ] = None,
    key: PublicKeyFile = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help=(
                "Also reconcile this machine's store with its audit log and the signatures: "
                "name every vote, approval, code or key the store holds that they do not back."
            ),
        ),
    ] = False,
) -> None:
    """Check an exported log offline: every entry, the tree, every head and its signature;
    with --store, reconcile the local store with the log and the signatures."""
    if log is None and not store:
        raise typer.BadParameter("give an exported LOG to verify, or --store, or both")
    if log is not None:
        _verify_log(log, head, key)
    if store:
        _verify_store()


def _verify_log(log: Path, head: list[Path] | None, key: Path | None) -> None:
    note_runs_locally()
    heads = [read_tree_head(p) for p in (head or [log.parent / "tree-head.json"])]
    public_key = read_public_key(key or log.parent / "platform.pub.json")
    report = verify_export(log, heads, public_key)
    console.print(
        f"[green]ok[/] {report.entries} entries; the first {report.verified_size} match the "
        f"signed root {report.root_hash.hex()[:16]}…"
    )
    if report.unsigned_tail:
        console.print(
            f"{report.unsigned_tail} later entries are well-formed but no head signs them"
        )


def _verify_store() -> None:
    with opened() as room:
        divergences = reconcile_store(room)
    if not divergences:
        console.print(
            "[green]ok[/] the store agrees with the audit log and every signature it holds"
        )
        return
    for divergence in divergences:
        console.print(f"[red]diverges[/] {escape(str(divergence))}", soft_wrap=True)
    console.print(f"{len(divergences)} divergence(s) between the store, the log and the signatures")
    raise typer.Exit(1)


@audit_app.command("head")
def head(
    out: Annotated[Path | None, typer.Option(help="Keep the head in this file.")] = None,
) -> None:
    """Sign the log as it stands and print the head (keep it: it pins today's history)."""
    with opened() as room:
        signed = sign_head(room)
    if out is not None:
        write_tree_head(signed, out)
    console.print(tree_head_to_json(signed))


@audit_app.command("prove")
def prove(event_id: str, out: Annotated[Path | None, typer.Option()] = None) -> None:
    """An inclusion proof that EVENT_ID is in the log, checked against a fresh signed head."""
    with opened() as room:
        event, proof, signed = prove_event(room, event_id)
        public_key = platform_public_keys(room).ed25519
    check_inclusion(proof, signed, public_key)
    text = inclusion_proof_to_json(proof)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    console.print(
        f"[green]ok[/] event {event_id} is entry {event.index} of {signed.tree_size} under the "
        f"signed root {signed.root_hash.hex()[:16]}… ({len(proof.path)} hashes)"
    )


@audit_app.command("consistency")
def consistency(
    old_head: Path,
    new_head: Annotated[Path | None, typer.Argument()] = None,
    key: PublicKeyFile = None,
) -> None:
    """Prove the log you saw (OLD_HEAD) is a prefix of today's (NEW_HEAD, or a fresh head)."""
    old = read_tree_head(old_head)
    with opened() as room:
        proof, fresh = prove_consistency(room, old)
        public_key = read_public_key(key) if key else platform_public_keys(room).ed25519
    new = read_tree_head(new_head) if new_head is not None else fresh
    if new.tree_size != fresh.tree_size:
        with opened() as room, room.sessions() as session:
            proof = consistency_proof(session, old.tree_size, new.tree_size)
    check_consistency(proof, old, new, public_key)
    console.print(
        f"[green]ok[/] the log of {old.tree_size} entries is a prefix of the log of "
        f"{new.tree_size} entries; both heads are signed by the platform"
    )
    console.print(consistency_proof_to_json(proof))


def logged_event(info: AuditEventInfo) -> LoggedEvent:
    """An event as the API sent it, in the form the timeline and its export read."""
    event = AuditEvent(
        actor=info.actor,
        role=info.role,
        action=info.action,
        timestamp=parse_timestamp(info.timestamp),
        contract_id=info.contract_id,
        job_id=info.job_id,
        subject_ids=tuple(info.subject_ids),
        detail=info.detail,
        event_id=info.event_id,
    )
    return LoggedEvent(info.index, event, bytes.fromhex(info.leaf_hash))


def audit_table(events: list[LoggedEvent]) -> Table:
    table = Table(title=f"Audit timeline ({len(events)} events)")
    for column in TIMELINE_COLUMNS:
        table.add_column(column)
    for row in timeline_rows(events):
        table.add_row(*row.cells())
    return table


def audit_listing(events: list[LoggedEvent]) -> Listing:
    """Every field whole, for ``--format json|csv`` (the table summarises the detail)."""
    rows = [
        (
            logged.index,
            logged.event.timestamp,
            logged.event.actor,
            logged.event.role,
            logged.event.action,
            logged.event.contract_id,
            logged.event.job_id,
            ", ".join(logged.event.subject_ids),
            dict(logged.event.detail),
        )
        for logged in events
    ]
    return Listing("Audit timeline", [Column(name) for name in TIMELINE_COLUMNS], rows)


@audit_app.command("show")
def show(
    contract: Annotated[str | None, typer.Option(help="Only this contract.")] = None,
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Before this time (UTC).")] = None,
    jsonl: Annotated[Path | None, typer.Option(help="Also write the events as JSON Lines.")] = None,
    listing_format: FormatOption = ListingFormat.TABLE,
) -> None:
    """The history as a timeline, filtered; optionally exported as JSON Lines."""

    def aware(moment: datetime | None) -> datetime | None:
        return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment

    with client_for() as client:
        found = client.audit_events(
            contract=contract,
            job=job,
            actor=actor,
            action=action,
            since=aware(since),
            until=aware(until),
        )
    events = [logged_event(info) for info in found]
    if listing_format is ListingFormat.TABLE:
        print_table(audit_table(events))
    else:
        print_listing(audit_listing(events), listing_format)
    if jsonl is not None:
        with jsonl.open("w", encoding="utf-8") as out:
            for line in timeline_json_lines(events):
                out.write(line + "\n")
        # Beside a JSON or CSV listing, the note goes where it cannot break the parse.
        note = console if listing_format is ListingFormat.TABLE else err_console
        note.print(f"wrote {len(events)} events to {jsonl}")
