"""`sealroom demo`: the stories on bundled synthetic data, as the parties would act.

Each party has its own identity and keys. The API is served for real by uvicorn
on loopback, and the partner acts only through it: its keys are generated in its
own directory (standing in for its machine abroad), only the public half is
registered, and it holds its own API token, signs its acceptance, runs its side
of PSI and opens its sealed results with the SDK (``sealroom.client``). The
owner's staff and the platform act through the service layer beside the data.
Stories not built yet are named at the end.
"""

from __future__ import annotations

import importlib.resources
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from rich.console import Console
from rich.rule import Rule

from contracts import ActionKind, RunMode
from jobs import JobState
from jobs.psi import IdentifierKind, normalise_identifier
from kms import PartyKeyPair, PartyPublicKeys, load_party_key_file
from sealroom.api import create_app
from sealroom.api.convert import contract_info, dataset_info
from sealroom.api.loopback import serve_on_loopback
from sealroom.audit import tree_head_to_json
from sealroom.cli.audit_commands import audit_table
from sealroom.cli.contract_commands import contract_table
from sealroom.cli.dataset_commands import classification_table, human_bytes, summary_table
from sealroom.cli.job_tables import check_report_table
from sealroom.client import Client, Partner, create_key_file, read_public_key_file
from sealroom.client.models import JobInfo
from sealroom.client.psi_run import PartnerLearned
from sealroom.config import load_settings
from sealroom.datasets.synthetic import partner_ids
from sealroom.local import LocalClient
from sealroom.service.actors import Actor
from sealroom.service.audit_log import (
    export_audit,
    platform_public_keys,
    read_public_key,
    timeline,
    verify_export,
)
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, show_contract, take_step
from sealroom.service.datasets import register_dataset, verify_dataset
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import JobView, debug_outputs, list_jobs, submit_job
from sealroom.service.keys import rotate_master_key
from sealroom.service.ledger import ledger_rows
from sealroom.service.parties import IssueKeys, RegisterKeys, add_party
from sealroom.service.setup import initialise
from sealroom.service.tokens import issue_token

DEMO_PASSPHRASE = "demo-only-passphrase"  # noqa: S105 - synthetic demo identities

PARTNER = "globex-uk"
NOT_BUILT_YET = ("story 4 (secure aggregation across owners, CKKS under a KMS-held key)",)
PSI_OVERLAP, PSI_EXTRA = 300, 700
JOBS = importlib.resources.files("sealroom") / "data" / "jobs"
CONTRACT = importlib.resources.files("sealroom") / "data" / "customer-insights.yaml"


def bundled_customers() -> Path:
    resource = importlib.resources.files("sealroom") / "data" / "customers.parquet"
    return Path(str(resource))


def run_demo(console: Console) -> None:
    base = load_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    home = base.home / "demo" / stamp
    settings = load_settings(home=home)
    parties_dir = home / "parties"
    parties_dir.mkdir(parents=True, mode=0o700)

    console.print(Rule("Sealroom demo"))
    console.print(f"data directory: {home}")
    report = initialise(
        settings,
        lambda: DEMO_PASSPHRASE,
        admin="admin",
        admin_key_file=parties_dir / "admin.key",
        admin_key_passphrase=DEMO_PASSPHRASE,
    )
    console.print(
        f"initialised: master key {report.master_key_id} ({report.key_provider}), "
        f"store {report.database}"
    )
    room = Sealroom.open(settings, lambda: DEMO_PASSPHRASE)
    try:
        room.keyring()  # opened once, before request threads share the room
        with serve_on_loopback(create_app(room)) as url:
            console.print(f"REST API served by uvicorn on {url} (OpenAPI at {url}/openapi.json)")
            machine = _story_parties(console, room, parties_dir)
            with machine.client(url) as client:
                partner = Partner(client, PARTNER, machine.keys())
                _story_register(console, room)
                _story_contract(console, room, parties_dir, partner)
                # The reviewers sit at this machine: acme-cn signs with its own key
                # file, the platform's seat is signed by the service's platform key.
                owner_keys = load_party_key_file(parties_dir / "acme-cn.key", DEMO_PASSPHRASE)
                desks = (
                    ReviewDesk(LocalClient(lambda: room, "acme-cn"), owner_keys),
                    ReviewDesk(LocalClient(lambda: room, "admin"), None),
                )
                _story_analysis(console, room, machine, partner, desks)
                _story_overlap(console, room, machine, partner, desks)
        _story_audit(console, room, home / "audit-export")
    finally:
        room.close()

    console.print(Rule("Not built yet"))
    for story in NOT_BUILT_YET:
        console.print(f"  - {story}")
    console.print(f"\nInspect it yourself: SEALROOM_HOME={home} sealroom dataset show customers")


@dataclass(frozen=True)
class PartnerMachine:
    """What lives on the partner's own machine abroad: its key file and its token.

    The platform's public key is pinned here too, as the partner received it out
    of band, so that a sealed result proves it came from this platform.
    """

    directory: Path

    @property
    def key_file(self) -> Path:
        return self.directory / f"{PARTNER}.key"

    @property
    def token_file(self) -> Path:
        return self.directory / "api-token"

    @property
    def platform_key_file(self) -> Path:
        return self.directory / "platform.pub.json"

    def keys(self) -> PartyKeyPair:
        return load_party_key_file(self.key_file, DEMO_PASSPHRASE)

    def platform_key(self) -> PartyPublicKeys:
        return read_public_key_file(self.platform_key_file)

    def client(self, url: str) -> Client:
        token = self.token_file.read_text(encoding="utf-8").strip()
        return Client(url, token, progress=False)


def _story_parties(console: Console, room: Sealroom, parties_dir: Path) -> PartnerMachine:
    console.print(Rule("Parties, each with its own keys"))
    admin = Actor("admin", True, "platform")
    add_party(
        room,
        admin,
        name="acme-cn",
        kind="organisation",
        display_name="Acme (Shanghai), owner",
        keys=IssueKeys(parties_dir / "acme-cn.key", DEMO_PASSPHRASE),
    )
    add_party(
        room,
        admin,
        name="alice",
        kind="person",
        organisation="acme-cn",
        display_name="Alice, data scientist",
        keys=IssueKeys(parties_dir / "alice.key", DEMO_PASSPHRASE),
    )
    # The partner generates its pair on its own machine; only the public half travels.
    machine = PartnerMachine(parties_dir / f"{PARTNER}-machine")
    machine.directory.mkdir(mode=0o700)
    public = create_key_file(machine.key_file, DEMO_PASSPHRASE)
    add_party(
        room,
        admin,
        name=PARTNER,
        kind="organisation",
        display_name="Globex (London), partner",
        keys=RegisterKeys(public),
    )
    # What travels back: an API token (shown once) and the platform's public key.
    issued = issue_token(room, admin, party=PARTNER, label="demo: the partner's client")
    machine.token_file.touch(mode=0o600)
    machine.token_file.write_text(issued.token + "\n", encoding="utf-8")
    machine.platform_key_file.write_text(
        json.dumps(platform_public_keys(room).to_json()), encoding="utf-8"
    )
    for name, how in (
        ("platform", "issued at init; private half held wrapped by the service"),
        ("admin", "issued at init"),
        ("acme-cn", "issued by the platform, private half handed out once"),
        ("alice", "issued by the platform, acting for acme-cn"),
        ("globex-uk", "generated on the partner's machine; only the public half registered"),
    ):
        console.print(f"  {name:<10} {how}")
    console.print(
        f"  globex-uk also received API token {issued.view.token_id} "
        f"(scopes {', '.join(issued.view.scopes)}): from here on it acts only over HTTP"
    )
    return machine


def _story_register(console: Console, room: Sealroom) -> None:
    console.print(Rule("Register and encrypt customers.parquet (owner: acme-cn)"))
    owner = Actor("acme-cn", False, None)
    view = register_dataset(room, owner, bundled_customers(), owner="acme-cn", name="customers")
    console.print(summary_table(dataset_info(view), view.master_key_id))
    console.print(classification_table(dataset_info(view)))

    console.print(Rule("Decrypt and verify"))
    checked = verify_dataset(room, "customers")
    console.print(
        f"[green]ok[/] {checked.label} decrypts to the registered "
        f"{human_bytes(checked.stored_bytes)} (sha256 {checked.content_sha256[:16]}…)"
    )

    console.print(Rule("Rotate the master key"))
    rotation = rotate_master_key(room, Actor("admin", True, "platform"))
    console.print(
        f"master key {', '.join(rotation.old_master_key_ids)} -> {rotation.new_master_key_id}: "
        f"{rotation.rewrapped} data key(s) re-wrapped, data files untouched"
    )
    verify_dataset(room, "customers")
    console.print("[green]ok[/] the dataset still decrypts under the new master key")


def _story_contract(console: Console, room: Sealroom, parties_dir: Path, partner: Partner) -> None:
    console.print(Rule("A data contract: proposed, dual-approved, accepted"))
    owner = Actor("acme-cn", False, None)
    view = propose_contract(room, owner, CONTRACT.read_text("utf-8"), "customer-insights.yaml")
    console.print(f"acme-cn proposed {view.ref} (hash {view.contract_hash[:16]}…): {view.state}")
    owner_keys = load_party_key_file(parties_dir / "acme-cn.key", DEMO_PASSPHRASE)
    view = take_step(room, owner, view.contract.id, ActionKind.APPROVE, keys=owner_keys)
    console.print(f"acme-cn approved with its own key: {view.state} (the platform must too)")
    view = take_step(
        room, Actor("admin", True, "platform"), view.contract.id, ActionKind.APPROVE, keys=None
    )
    console.print(f"the platform approved with the service key: {view.state}")
    accepted = partner.accept(view.contract.id)
    console.print(
        f"globex-uk checked the contract's hash and its pinned key on its machine, signed "
        f"its acceptance there and sent it over HTTP: {accepted.state}"
    )
    shown = show_contract(room, view.contract.id)
    console.print(contract_table(contract_info(shown)))


def _story_audit(console: Console, room: Sealroom, out: Path) -> None:
    console.print(Rule("Story 5 (audit half): verify everything the demo did"))
    events = timeline(room)
    console.print(audit_table(events[-8:]))
    console.print(f"(the last 8 of {len(events)} events; `sealroom audit show` lists them all)")
    export = export_audit(room, out)
    report = verify_export(export.log, [export.head_value], read_public_key(export.public_key))
    console.print(
        f"[green]ok[/] {report.entries} audit events verified offline from {export.log.name} "
        f"against the platform-signed tree head"
    )
    console.print(tree_head_to_json(export.head_value))


def _run(console: Console, room: Sealroom, code: str, mode: RunMode) -> JobView:
    scientist = Actor("alice", False, "acme-cn")
    source = JOBS / code
    job = submit_job(room, scientist, "c-12", source.read_bytes(), code, mode)
    with console.status(f"{job.job_id}: {mode.value} run of {code} in the sandbox…"):
        done = run_next_job(room, job.job_id)
    assert done is not None
    console.print(
        f"{done.job_id} ({mode.value}, {code}): [bold]{done.state.value}[/] "
        f"on {done.backend} {done.reason}"
    )
    return done


@dataclass(frozen=True)
class ReviewDesk:
    """A reviewer at their own machine: their client and the key that signs their decisions."""

    client: LocalClient
    keys: PartyKeyPair | None  # None: the platform's seat, signed by the service

    def approve_code(self, code: str) -> None:
        self.client.approve_code("c-12", (JOBS / code).read_bytes(), code, keys=self.keys)

    def approve(self, job_id: str) -> JobInfo:
        return self.client.vote(job_id, "approve", keys=self.keys)


def _story_analysis(
    console: Console,
    room: Sealroom,
    machine: PartnerMachine,
    partner: Partner,
    desks: tuple[ReviewDesk, ReviewDesk],
) -> None:
    console.print(Rule("Story 1: debug on a masked sample, real run, dual review, sealed release"))
    owner, platform = desks
    debug = _run(console, room, "spend_by_segment.py", RunMode.DEBUG)
    sample_out = debug_outputs(room, Actor("alice", False, "acme-cn"), debug.job_id)
    console.print("debug output (from the masked sample, straight back to alice):")
    console.print(sample_out["spend_by_segment.csv"].decode(), markup=False)
    for code in ("spend_by_segment.py", "spend_by_segment_and_city.py"):
        owner.approve_code(code)
        platform.approve_code(code)
    console.print("acme-cn and the platform approved both scripts by hash (code review)")

    blocked = _run(console, room, "spend_by_segment_and_city.py", RunMode.REAL)
    console.print(check_report_table(blocked.check_report))
    real = _run(console, room, "spend_by_segment.py", RunMode.REAL)
    console.print(check_report_table(real.check_report))
    owner.approve(real.job_id)
    released = platform.approve(real.job_id)
    console.print(
        f"acme-cn and the platform signed their approvals of {real.job_id}: {released.state}"
    )

    out = machine.directory / "results" / real.job_id
    opened = partner.download_result(real.job_id, out, platform_key=machine.platform_key())
    console.print(
        f"globex-uk downloaded over HTTP and opened the copy sealed to its key in {out}; "
        f"receipt verified against the pinned platform key "
        f"(code {opened.receipt.code_hash[:19]}…, approvals "
        f"{', '.join(a.reviewer for a in opened.receipt.approvals)}):"
    )
    console.print(opened.files["spend_by_segment.csv"].decode(), markup=False)
    for row in ledger_rows(room):
        console.print(
            f"export ledger: {row.processor} -> {row.recipient} ({row.recipient_country}),"
            f" {row.individuals:,} individuals, {row.required_path}: {row.path_reason}"
        )


def _partner_in_background(
    work: Callable[[], PartnerLearned],
) -> tuple[threading.Thread, list[PartnerLearned]]:
    """The partner's client runs abroad; here, beside the reviewers, in a thread.

    It talks to the owner's server only over HTTP, exactly as from another country.
    """
    learned: list[PartnerLearned] = []
    thread = threading.Thread(target=lambda: learned.append(work()), daemon=True)
    thread.start()
    return thread, learned


def _review_when_waiting(room: Sealroom, voters: list[ReviewDesk], thread: threading.Thread) -> str:
    while thread.is_alive():
        waiting = [j for j in list_jobs(room) if j.state is JobState.AWAITING_REVIEW]
        if waiting:
            for voter in voters:
                voter.approve(waiting[0].job_id)
            return waiting[0].job_id
        time.sleep(0.2)
    raise RuntimeError("the partner's run ended before its result reached review")


def _story_overlap(
    console: Console,
    room: Sealroom,
    machine: PartnerMachine,
    partner: Partner,
    desks: tuple[ReviewDesk, ReviewDesk],
) -> None:
    console.print(Rule("Stories 2 and 3: overlap and spend with a partner whose list stays abroad"))
    customers = pq.read_table(bundled_customers())
    ids = partner_ids(customers, PSI_OVERLAP, PSI_EXTRA, seed=7)
    console.print(
        f"globex-uk holds {len(ids):,} mobile numbers on its own machine; by "
        f"construction {PSI_OVERLAP} are acme-cn customers (the ground truth)"
    )
    owner, platform = desks
    pinned = machine.platform_key()

    thread, learned = _partner_in_background(
        lambda: partner.run_psi(
            "c-12", ids, mode="cardinality", platform_key=pinned, poll_seconds=0.2
        )
    )
    job = _review_when_waiting(room, [owner], thread)
    thread.join()
    overlap = learned[0]
    console.print(
        f"PSI {job} (cardinality, reviewed by acme-cn): globex-uk learned the overlap is "
        f"{overlap.intersection_size} and acme-cn has {overlap.owner_set_size:,} "
        f"customers; acme-cn learned only that globex-uk sent "
        f"{overlap.partner_set_size:,} identifiers"
    )
    assert overlap.intersection_size == PSI_OVERLAP, "PSI disagrees with the ground truth"

    thread, learned = _partner_in_background(
        lambda: partner.run_psi_sum("c-12", ids, platform_key=pinned, poll_seconds=0.2)
    )
    job = _review_when_waiting(room, [owner, platform], thread)
    thread.join()
    spend = learned[0]
    wanted = {normalise_identifier(m, IdentifierKind.MOBILE) for m in ids}
    truth = sum(
        (
            Decimal(str(r["spend_cny"]))
            for r in customers.to_pylist()
            if normalise_identifier(r["mobile"], IdentifierKind.MOBILE) in wanted
        ),
        Decimal(0),
    )
    total = (spend.sums or {})["spend_cny"]
    console.print(
        f"PSI-sum {job} (reviewed by acme-cn and the platform): globex-uk learned "
        f"count {spend.intersection_size}, sum {total} CNY, mean "
        f"{spend.mean('spend_cny'):.2f} CNY, and nothing per customer; acme-cn learned "
        f"only the overlap size the partner claimed"
    )
    assert total == truth.quantize(Decimal("0.01")), "PSI-sum disagrees with the ground truth"
    console.print(
        f"[green]ok[/] both agree with the ground truth ({PSI_OVERLAP} shared customers, "
        f"{truth:.2f} CNY)"
    )
