"""Audit log benchmark: appends, full offline verification, inclusion proofs.

Each figure is printed next to a raw SHA-256 loop over the same bytes in the same
run, so a slow or busy machine shows up in both columns. Goals (issue 4): appends
>= 20,000 events/s on SQLite, a 1,000,000-entry log verified in <= 5 s, an
inclusion proof in <= 1 ms.

How each is measured:
- appends: ``append_events`` into a fresh SQLite file, ``--batch`` events per
  transaction (one commit per batch; the events are built beforehand), and,
  separately, one event per transaction, the cost an ordinary action pays;
- proofs: ``inclusion_proof(session, index, size)`` on that store, random indices;
- verification: ``verify_log_file`` on a ``--verify-events`` export written with
  the exporter's own line format (generated directly rather than through the
  store, to keep the run short), against a signed tree head.

    .venv/bin/python benchmarks/audit.py [--events N] [--verify-events M] [--batch B]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from sealroom.audit import (
    AUDIT_TABLES,
    AuditEvent,
    Ed25519TreeHeadSigner,
    append_event,
    append_events,
    export_log,
    inclusion_proof,
    leaf_bytes,
    sign_tree_head,
    verify_log_file,
)
from sealroom.audit.events import leaf_bytes_of_fields
from sealroom.audit.export import export_line
from sealroom.audit.merkle import CompactRange, leaf_hash
from sealroom.audit.tree_head import sign_head
from sealroom.store.base import Base
from sealroom.store.database import create_store_engine

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _event(number: int) -> AuditEvent:
    return AuditEvent(
        actor=f"scientist-{number % 17}@partner.example",
        role="scientist",
        action="job.submitted",
        timestamp=START + timedelta(milliseconds=number),
        contract_id=f"contract-{number % 50:04d}",
        job_id=f"job-{number:08d}",
        subject_ids=("dataset-customers",),
        detail={"kind": "script", "code_hash": hashlib.sha256(b"%d" % number).hexdigest()},
    )


class Clock:
    """Wall-clock and CPU seconds of a block: on a busy shared machine the CPU
    figure shows what the code costs, the wall figure what a user would wait."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def _row(label: str, measured: str, baseline: str) -> None:
    print(f"  {label:<44} {measured:<44} raw sha256, same bytes: {baseline}")


def _rates(count: int, clock: Clock, unit: str) -> str:
    return f"{count / clock.wall:,.0f} {unit}/s wall, {count / clock.cpu:,.0f} cpu"


def _sha256_loop(chunks: list[bytes]) -> Clock:
    with Clock() as clock:
        for chunk in chunks:
            hashlib.sha256(chunk).digest()
    return clock


def bench_appends(workdir: Path, count: int, batch: int) -> tuple[Session, int]:
    engine = create_store_engine(f"sqlite:///{workdir / 'audit.db'}")
    Base.metadata.create_all(engine, tables=list(AUDIT_TABLES))
    events = [_event(n) for n in range(count)]
    with Clock() as clock:
        for first in range(0, count, batch):
            with Session(engine) as session, session.begin():
                append_events(session, events[first : first + batch])
    raw = _sha256_loop([b"\x00" + leaf_bytes(event, n) for n, event in enumerate(events)])
    _row(
        f"append_events, {batch} per transaction",
        _rates(count, clock, "events"),
        _rates(count, raw, "hashes"),
    )

    singles = min(5000, count)
    extra = [_event(count + n) for n in range(singles)]
    with Clock() as clock, Session(engine) as session, session.begin():
        for event in extra:
            append_event(session, event)
    _row("append_event one at a time, one transaction", _rates(singles, clock, "events"), "-")

    commits = 200
    extra = [_event(count + singles + n) for n in range(commits)]
    with Clock() as clock:
        for event in extra:
            with Session(engine) as session, session.begin():
                append_event(session, event)
    _row("append_event, one commit each (fsync)", _rates(commits, clock, "events"), "-")

    export_path = workdir / "store-export.jsonl"
    with (
        Clock() as clock,
        Session(engine) as session,
        export_path.open("w", encoding="utf-8") as out,
    ):
        exported = export_log(session, out)
    _row("export_log from the store", _rates(exported, clock, "entries"), "-")
    with Session(engine) as session, session.begin():
        sign_tree_head(
            session, Ed25519TreeHeadSigner(Ed25519PrivateKey.generate()), START + timedelta(days=1)
        )
    return Session(engine), count + singles + commits


def bench_proofs(session: Session, size: int, samples: int) -> None:
    chooser = random.Random(6962)
    indices = [chooser.randrange(size) for _ in range(samples)]
    for index in indices[:20]:  # warm the statement cache
        inclusion_proof(session, index, size)
    timings = []
    paths = []
    with Clock() as clock:
        for index in indices:
            started = time.perf_counter()
            proof = inclusion_proof(session, index, size)
            timings.append(time.perf_counter() - started)
            paths.append(proof.path)
    raw = _sha256_loop([b"\x01" + node + node for path in paths for node in path])
    median = statistics.median(timings) * 1000
    cpu = clock.cpu / samples * 1000
    _row(
        f"inclusion_proof, tree of {size:,}",
        f"median {median:.3f} ms wall, mean {cpu:.3f} ms cpu",
        f"{raw.wall / samples * 1000:.4f} ms for its {len(paths[0])} node hashes",
    )


def write_export(path: Path, count: int) -> bytes:
    """An export of ``count`` entries in the exporter's line format; returns the root."""
    tree = CompactRange()
    code_hash = hashlib.sha256(b"analysis.py").hexdigest()
    with path.open("wb", buffering=1 << 20) as out:
        for index in range(count):
            data = leaf_bytes_of_fields(
                action="job.submitted",
                actor=f"scientist-{index % 17}@partner.example",
                contract_id=f"contract-{index % 50:04d}",
                detail_json=f'{{"code_hash":"{code_hash}","kind":"script"}}',
                event_id=f"{index:032x}",
                index=index,
                job_id=f"job-{index:08d}",
                role="scientist",
                subject_ids_json='["dataset-customers"]',
                timestamp=START + timedelta(milliseconds=index),
            )
            hashed = leaf_hash(data)
            tree.push(hashed)
            out.write(export_line(index, data, hashed))
    return tree.root()


def bench_verification(workdir: Path, count: int) -> None:
    path = workdir / "export.jsonl"
    started = time.perf_counter()
    root = write_export(path, count)
    print(
        f"  (wrote a {count:,}-entry export, {path.stat().st_size / 1e6:,.0f} MB, in "
        f"{time.perf_counter() - started:.1f} s)"
    )
    signer = Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())
    head = sign_head(signer, count, root, START + timedelta(days=1))
    with Clock() as clock:
        report = verify_log_file(path, [head], signer.public_key())
    assert report.entries == count
    with Clock() as raw, path.open("rb", buffering=1 << 20) as handle:
        for line in handle:
            hashlib.sha256(line).digest()
    _row(
        f"verify_log_file, {count:,} entries",
        f"{clock.wall:.2f} s wall, {clock.cpu:.2f} s cpu",
        f"{raw.wall:.2f} s wall, {raw.cpu:.2f} s cpu (read + hash)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events appended to the store")
    parser.add_argument("--batch", type=int, default=1000, help="events per append transaction")
    parser.add_argument("--verify-events", type=int, default=1_000_000, help="entries verified")
    parser.add_argument("--proofs", type=int, default=2000, help="inclusion proofs timed")
    args = parser.parse_args()
    print("Sealroom audit log benchmark (SQLite store, one process)")
    print(f"  load average at start: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="sealroom-audit-bench-") as tmp:
        workdir = Path(tmp)
        session, size = bench_appends(workdir, args.events, args.batch)
        with session:
            bench_proofs(session, size, args.proofs)
        bench_verification(workdir, args.verify_events)


if __name__ == "__main__":
    main()
