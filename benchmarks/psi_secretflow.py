"""The secretflow engine (spu PSI in its own env): raw two-party spu vs Sealroom's engine.

    .venv/bin/python benchmarks/psi_secretflow.py --rows 1000000 --protocols rr22,kkrt,ecdh

"raw" is spu alone: two ``jobs/psi/secretflow/party.py`` processes started by hand on CSV files
written beforehand (TLS on, as in every run), timed from the start of both processes to
the end of both. "engine" is ``jobs.psi.secretflow`` as Sealroom runs it on each side:
private directories, identifier encoding, ephemeral certificates, the rendezvous
messages, the two party processes and the matched rows read back. Printed per
protocol: wall time, the ratio to raw, and the peak RSS of one party process. Link
bytes are not printed: spu does not report them and loopback counters are
machine-wide, not per run.

``raw_on(owner, partner, protocol)`` is what ``benchmarks/psi.py`` compares its
through-Sealroom secretflow run with (REST API, gate, both party processes), on the
same normalised sets.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts import PsiRevealMode
from jobs.psi import PsiLimits
from jobs.psi.secretflow import (
    PARTY_PROGRAM,
    LinkSettings,
    SecretflowEngine,
    encode_ids,
    engine_python,
    free_port,
)
from kms import ephemeral_link_certificate


@dataclass(frozen=True)
class Run:
    seconds: float
    intersection: int
    peak_rss_mib: float


def sets(rows: int) -> tuple[list[str], list[str]]:
    """Owner and partner lists of ``rows`` mobile numbers each, half of them shared."""
    owner = [f"+86138{i:08d}" for i in range(rows)]
    partner = [f"+86138{i:08d}" for i in range(rows // 2, rows // 2 + rows)]
    return owner, partner


def _children_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def raw(rows: int, protocol: str) -> Run:
    """spu alone: two party processes on prepared files, TLS on."""
    owner, partner = sets(rows)
    return raw_on(owner, partner, protocol)


def raw_on(owner: list[str], partner: list[str], protocol: str) -> Run:
    """spu alone on these two lists (the partner receives the intersection)."""
    python = engine_python()
    with tempfile.TemporaryDirectory(prefix="bench-secretflow-") as tmp:
        base = Path(tmp)
        ports = [free_port("127.0.0.1", None), free_port("127.0.0.1", None)]
        identities = [ephemeral_link_certificate(name) for name in ("owner", "partner")]
        specs = []
        for rank, ids in enumerate((owner, partner)):
            side = base / str(rank)
            side.mkdir()
            with (side / "ids.csv").open("w") as out:
                out.write("id,row\n")
                out.writelines(f"{e},{i}\n" for i, e in enumerate(encode_ids(ids)))
            (side / "self.crt").write_bytes(identities[rank].certificate_pem)
            (side / "self.key").write_bytes(identities[rank].key_pem)
            (side / "peer.crt").write_bytes(identities[1 - rank].certificate_pem)
            spec = {
                "session": "bench",
                "rank": rank,
                "receiver_rank": 1,
                "protocol": protocol,
                "addresses": [f"127.0.0.1:{p}" for p in ports],
                "ids_file": str(side / "ids.csv"),
                "output_file": str(side / "out.csv"),
                "result_file": str(side / "result.json"),
                "certificate": str(side / "self.crt"),
                "private_key": str(side / "self.key"),
                "peer_certificate": str(side / "peer.crt"),
                "connect_timeout_seconds": 30,
                "receive_timeout_seconds": 600,
            }
            (side / "spec.json").write_text(json.dumps(spec))
            specs.append(side / "spec.json")
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [str(python), str(PARTY_PROGRAM), str(spec)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for spec in specs
        ]
        codes = [p.wait() for p in procs]
        seconds = time.perf_counter() - start
        if codes != [0, 0]:
            raise RuntimeError(f"raw spu parties exited with {codes}")
        result = json.loads((base / "1" / "result.json").read_text())
    return Run(seconds, int(result["intersection_size"]), _children_peak_mib())


def engine(rows: int, protocol: str) -> Run:
    """Sealroom's engine on both sides, in this process (the parties are children)."""
    owner, partner = sets(rows)
    limits = PsiLimits(1, 1, max(rows, 1), frozenset({PsiRevealMode.INTERSECTION}))
    settings = LinkSettings(run_timeout_seconds=600)
    sessions = SecretflowEngine(protocol, settings)
    start = time.perf_counter()
    partner_side = sessions.partner_session("bench", PsiRevealMode.INTERSECTION, limits)
    owner_side = sessions.owner_session("bench", limits)
    request = partner_side.create_request(partner)
    setup = owner_side.setup(owner, request.size, request.mode)
    owner_side.process_request(request)
    outcome = partner_side.finish(setup)
    owner_side.wait()
    seconds = time.perf_counter() - start
    return Run(seconds, outcome.intersection_size, _children_peak_mib())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--protocols", default="rr22")
    args = parser.parse_args()
    print(f"secretflow PSI, {args.rows:,} x {args.rows:,}, two parties on loopback, TLS on")
    for protocol in args.protocols.split(","):
        bare = raw(args.rows, protocol)
        wrapped = engine(args.rows, protocol)
        assert bare.intersection == wrapped.intersection == args.rows - args.rows // 2
        print(
            f"{protocol:5}  raw {bare.seconds:6.2f} s   engine {wrapped.seconds:6.2f} s   "
            f"ratio {wrapped.seconds / bare.seconds:4.2f}   "
            f"peak RSS of a party {wrapped.peak_rss_mib:,.0f} MiB"
        )


if __name__ == "__main__":
    main()
