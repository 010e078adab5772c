"""PSI through Sealroom end to end, against the raw engine on the same sets, in one run.

    .venv/bin/python benchmarks/psi_end_to_end.py [--rows 10000] [--mode cardinality|sum]

"Sealroom" is the whole operation: the partner's run passes the gate, the owner's
side decrypts the registered dataset and normalises its key column, the protocol
messages go through their byte form, the result waits for review (approved at
once by a reviewer thread), is sealed to the partner, downloaded, opened and
verified. "raw" is openmined-psi (or the PSI-sum parties) called directly on the
same normalised sets in one process. The ratio is Sealroom / raw.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import private_set_intersection.python as psi  # type: ignore[import-untyped]
import pyarrow.parquet as pq

from contracts import ActionKind, PsiRevealMode
from jobs import Decision, JobState
from jobs.psi import (
    IdentifierKind,
    OwnerValues,
    PsiLimits,
    PsiSumOwner,
    PsiSumPartner,
    normalise_identifier,
    normalise_ids,
)
from kms import generate_party_keys, load_party_key_file
from sealroom.client.psi_run import run_psi, run_psi_sum
from sealroom.config import load_settings
from sealroom.datasets.synthetic import partner_ids, write_customers
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.jobs import list_jobs
from sealroom.service.parties import IssueKeys, RegisterKeys, add_party
from sealroom.service.psi_local import LocalPsiTransport
from sealroom.service.reviews import vote
from sealroom.service.setup import initialise

PASS = "benchmark"
ROOT = Path(__file__).resolve().parents[1]
ADMIN, OWNER, PARTNER = (
    Actor("admin", True, "platform"),
    Actor("acme-cn", False, None),
    Actor("globex-uk", False, None),
)


def world(home: Path, rows: int) -> tuple[Sealroom, object, list[str], list[str], list[float]]:
    settings = load_settings(home=home)
    initialise(
        settings,
        lambda: PASS,
        admin="admin",
        admin_key_file=home / "admin.key",
        admin_key_passphrase=PASS,
    )
    room = Sealroom.open(settings, lambda: PASS)
    partner = generate_party_keys()
    add_party(
        room, ADMIN, name="acme-cn", kind="organisation", keys=IssueKeys(home / "acme.key", PASS)
    )
    add_party(
        room,
        ADMIN,
        name="alice",
        kind="person",
        organisation="acme-cn",
        keys=IssueKeys(home / "alice.key", PASS),
    )
    add_party(room, ADMIN, name="globex-uk", kind="organisation", keys=RegisterKeys(partner.public))
    data = home / "customers.parquet"
    write_customers(data, rows=rows, seed=5)
    register_dataset(room, OWNER, data, owner="acme-cn", name="customers")
    contract = ROOT / "examples" / "contracts" / "customer-insights.yaml"
    propose_contract(room, OWNER, contract.read_text("utf-8"), contract.name)
    take_step(
        room, OWNER, "c-12", ActionKind.APPROVE, keys=load_party_key_file(home / "acme.key", PASS)
    )
    take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
    take_step(room, PARTNER, "c-12", ActionKind.ACCEPT, keys=partner)
    table = pq.read_table(data)
    ids = partner_ids(table, rows // 2, rows - rows // 2, seed=9)
    owner_ids = [str(v) for v in table.column("mobile").to_pylist()]
    return room, partner, ids, owner_ids, table.column("spend_cny").to_pylist()


def reviewer(room: Sealroom, stop: threading.Event) -> None:
    while not stop.is_set():
        for job in list_jobs(room):
            if job.state is JobState.AWAITING_REVIEW:
                vote(room, OWNER, job.job_id, Decision.APPROVE)
                if job.kind != "psi":
                    vote(room, ADMIN, job.job_id, Decision.APPROVE)
        time.sleep(0.05)


def raw_cardinality(owner: list[str], partner: list[str]) -> float:
    start = time.perf_counter()
    server = psi.server.CreateWithNewKey(False)
    client = psi.client.CreateWithNewKey(False)
    setup = server.CreateSetupMessage(1e-9, len(partner), owner, psi.DataStructure.GCS)
    request = client.CreateRequest(partner)
    response = server.ProcessRequest(request)
    client.GetIntersectionSize(setup, response)
    return time.perf_counter() - start


def raw_psi_sum(owner: list[str], spend: list[float], partner: list[str]) -> float:
    """The PSI-sum parties called directly, in one process, no store, no review."""
    start = time.perf_counter()
    limits = PsiLimits(1, 1)
    values = OwnerValues.from_columns(owner, {"spend_cny": spend})
    owner_side, partner_side = PsiSumOwner("raw", limits, values), PsiSumPartner("raw", limits)
    reply = owner_side.reply(partner_side.hello(partner))
    totals = owner_side.reveal(partner_side.aggregate(reply))
    partner_side.finish(totals)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--mode", choices=("cardinality", "sum"), default="cardinality")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"setting up a store with {args.rows:,} customers…", flush=True)
        room, partner_keys, ids, owner_ids, spend = world(Path(tmp), args.rows)
        owner_norm = list(normalise_ids(owner_ids, IdentifierKind.MOBILE, cap=10**7).ids)
        partner_norm = list(normalise_ids(ids, IdentifierKind.MOBILE, cap=10**7).ids)
        stop = threading.Event()
        threading.Thread(target=reviewer, args=(room, stop), daemon=True).start()
        transport = LocalPsiTransport(room, PARTNER)
        start = time.perf_counter()
        if args.mode == "cardinality":
            learned = run_psi(
                transport,
                contract_id="c-12",
                raw_ids=ids,
                mode=PsiRevealMode.CARDINALITY,
                keys=partner_keys,  # type: ignore[arg-type]
                recipient="globex-uk",
                poll_seconds=0.05,
            )
        else:
            learned = run_psi_sum(
                transport,
                contract_id="c-12",
                raw_ids=ids,
                keys=partner_keys,
                recipient="globex-uk",  # type: ignore[arg-type]
                poll_seconds=0.05,
            )
        through = time.perf_counter() - start
        stop.set()
        if args.mode == "cardinality":
            raw, label = raw_cardinality(owner_norm, partner_norm), "openmined-psi cardinality"
        else:
            owner_rows = [normalise_identifier(m, IdentifierKind.MOBILE) for m in owner_ids]
            raw, label = raw_psi_sum(owner_rows, spend, partner_norm), "PSI-sum parties"
        print(f"{args.mode} {args.rows:,} x {len(ids):,}: overlap {learned.intersection_size:,}")
        print(f"  raw {label}, one process: {raw:7.2f} s")
        print(
            f"  through Sealroom (gate, decrypt, review, seal, verify): {through:7.2f} s "
            f"({through / raw:.2f}x raw)"
        )
        room.close()


if __name__ == "__main__":
    main()
