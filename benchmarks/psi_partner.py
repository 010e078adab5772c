"""The partner's side of ``benchmarks/psi.py``, as a program of its own on "its own machine".

    python benchmarks/psi_partner.py ENGINE URL TOKEN KEY_FILE PLATFORM_X25519 PLATFORM_ED25519 ROWS

It loads only what the partner's light client loads (the SDK, the PSI parties,
its key file), runs one PSI or PSI-sum against the owner's server over HTTP with
its own worker pool, and prints one JSON line: wall time from its first request
to its answer, the answer, the protocol bytes each way, and the time of each phase.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts import JobKind, PsiRevealMode
from kms import PartyPublicKeys, load_party_key_file
from sealroom.client import Client
from sealroom.client.psi_http import HttpPsiTransport
from sealroom.client.psi_run import OpenedRun, run_psi, run_psi_sum

PASS = "benchmark"
SECRETFLOW_CONTRACT = "c-13"


def partner_list(rows: int) -> list[str]:
    """As many numbers as the owner has, half of them the owner's, in its own format."""
    return [
        f"+86 138-{i // 10_000:04d}-{i % 10_000:04d}" for i in range(rows // 2, rows + rows // 2)
    ]


class CountingTransport:
    """The partner's HTTP transport, counting the protocol bytes each way."""

    def __init__(self, inner: HttpPsiTransport) -> None:
        self._inner = inner
        self.sent = 0
        self.received = 0
        self.marks: list[tuple[str, float]] = [("start", time.perf_counter())]

    def mark(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def phases(self) -> str:
        steps = zip(self.marks, self.marks[1:], strict=False)
        return "  ".join(f"{b[0]} {b[1] - a[1]:.2f}" for a, b in steps)

    def open(
        self, contract_id: str, kind: JobKind, size: int, mode: PsiRevealMode | None
    ) -> OpenedRun:
        opened = self._inner.open(contract_id, kind, size, mode)
        self.mark("open")
        return opened

    def exchange(self, job_id: str, message: bytes) -> bytes | None:
        self.mark("partner work")
        self.sent += len(message)
        reply = self._inner.exchange(job_id, message)
        self.received += len(reply or b"")
        self.mark("owner exchange")
        return reply

    def sealed_result(self, job_id: str) -> bytes:
        sealed = self._inner.sealed_result(job_id)
        self.received += len(sealed)
        self.mark("review+download")
        return sealed

    def platform_key(self) -> bytes:
        return self._inner.platform_key()


def partner_run(
    engine: str, url: str, token: str, key_file: Path, platform: PartyPublicKeys, rows: int
) -> dict[str, object]:
    """The partner's whole side, on 'its own machine': a process with its own pool."""
    keys = load_party_key_file(key_file, PASS)
    ids: list[str | None] = list(partner_list(rows))
    with Client(url, token, progress=False) as client:
        transport = CountingTransport(HttpPsiTransport(client, platform))
        start = time.perf_counter()
        if engine in ("openmined", "secretflow"):
            learned = run_psi(
                transport,
                contract_id=SECRETFLOW_CONTRACT if engine == "secretflow" else "c-12",
                raw_ids=ids,
                mode=PsiRevealMode.INTERSECTION
                if engine == "secretflow"
                else PsiRevealMode.CARDINALITY,
                keys=keys,
                recipient="globex-uk",
                poll_seconds=0.05,
            )
        else:
            learned = run_psi_sum(
                transport,
                contract_id="c-12",
                raw_ids=ids,
                keys=keys,
                recipient="globex-uk",
                poll_seconds=0.05,
            )
        seconds = time.perf_counter() - start
        transport.mark("finish")
    return {
        "seconds": seconds,
        "intersection": learned.intersection_size,
        "sent": transport.sent,
        "received": transport.received,
        "phases": transport.phases(),
    }


def main(argv: list[str]) -> None:
    engine, url, token, key_file, x25519, ed25519, rows = argv[1:]
    platform = PartyPublicKeys(x25519=bytes.fromhex(x25519), ed25519=bytes.fromhex(ed25519))
    print(json.dumps(partner_run(engine, url, token, Path(key_file), platform, int(rows))))


if __name__ == "__main__":
    main(sys.argv)
