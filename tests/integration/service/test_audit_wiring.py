"""Every state-changing service command appends an audit event, in the same transaction."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

import sealroom.service
from contracts import ActionKind
from kms import generate_party_keys, load_party_key_file
from sealroom.audit import AuditError, verify_log_file
from sealroom.audit.records import AuditEventRecord
from sealroom.data import customers_parquet
from sealroom.service import audit_log, contracts, datasets, keys, parties, setup
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.parties import IssueKeys, RegisterKeys
from sealroom.service.psi_runs import PsiRuns

from .conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.integration
OWNER = Actor("acme-cn", False, None)
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "contracts" / "customer-insights.yaml"

# Public service functions that only read (or only compute) and need no event.
QUERIES = {
    "actors.resolve_actor",
    "actors.require_admin",
    "actors.acting_party",
    "actors.party_in_role",
    "names.validate_name",
    "names.file_stem_for",
    "parties.list_parties",
    "parties.show_party",
    "datasets.list_datasets",
    "datasets.show_dataset",
    "datasets.verify_dataset",
    "datasets.open_dataset_reader",
    "contracts.show_contract",
    "contracts.list_contracts",
    "contracts.sign_step",
    "contracts.export_signed",
    "audit_log.latest_head",
    "audit_log.platform_public_keys",
    "audit_log.read_public_key",
    "audit_log.verify_export",
    "audit_log.timeline",
    "context.utc_now",
    "context.open_keyring",
    "jobs.job_status",
    "jobs.job_logs",
    "jobs.list_jobs",
    "psi.psi_message_cap",
    "leakage.show_leakage",
    "job_records.read_outputs",
    "ledger.export_report",
    "ledger.ledger_rows",
    "release.ledger_event",
    "release.output_class_for_job",
    "reviews.list_reviews",
    "job_disclosure.reviews_job",
    "job_disclosure.sees_run_details",
    "job_disclosure.as_seen_by",
    "job_disclosure.check_summary",
    "review_tables.output_table",
    "samples.list_debug_samples",
    "samples.debug_sample_file",  # makes the sample through ensure_debug_sample, which records
    "tokens.check_scopes",
    "tokens.parse_token",
    "tokens.list_tokens",
    "code_approvals.check_code_unchanged_here",
    "code_approvals.job_code",
    "decisions.code_subject",
    "decisions.vote_subject",
    "duties.check_may_read_real_logs",
    "duties.check_no_conflict",
    "duties.conflict_of_duties",
    "duties.is_scientist_of",
    "duties.may_review",
    "job_disclosure.as_released",
    "job_disclosure.receives_release",
    "job_runner.run_volume_bytes",
    "job_runner.store_tag",
    "job_runner.sweep_work_dir",  # host leftovers of killed runs: no store change
    "pinned_keys.pinned_recipient_keys",
    "store_reconcile.reconcile_store",
    "contract_state.require_in_force",
    "contract_state.require_job_contract_in_force",
    "contract_state.why_not_in_force",
    "contract_ending.why_ended",
}
# Building blocks that write only what their audited caller records (encrypted blobs;
# who holds a running job, which the caller's job event names).
# A contract's KEK, grants and output keys are made for the audited run that uses them;
# their destruction is recorded by contract_ending (contract.work_stopped).
BUILDING_BLOCKS = {"blobs", "leases", "contract_keys"}
# Stopping a revoked or expired contract's work: each job's cancellation and the
# contract.work_stopped event are checked in test_revocation.py.
CONTRACT_ENDING = {
    "contract_ending.stop_work_under",
    "contract_ending.stop_if_ended",
    "contract_ending.stop_job_if_ended",
    "contract_ending.sweep_ended_contracts",
}
# Owner-side protocol steps that only the audited psi.exchange_psi calls.
# Where the owner's PSI work runs, and its share made ahead: no store change; the
# run's events are psi.open_psi's and psi.exchange_psi's.
PSI_STEPS = {
    "psi_runners.make_psi_runner",
    "psi_ahead.share_from",
    "psi.make_shares_ahead",
}
# Bookkeeping that changes no right and no data: a token's last-used time.
BOOKKEEPING = {"tokens.authenticate"}
# Signing a tree head records the log itself; an event about it would make it stale.
LOG_INTERNAL = {
    "audit_log.sign_head",
    "audit_log.export_audit",
    "audit_log.prove_event",
    "audit_log.prove_consistency",
}


def scenario_commands(room: Sealroom, home: Path, tmp: Path) -> dict[str, Callable[[], object]]:
    partner = generate_party_keys()
    owner_keys = lambda: load_party_key_file(home / "acme-cn.key", PASSPHRASE)  # noqa: E731
    return {
        "setup.initialise": lambda: None,  # run by the fixture; its event is checked below
        "parties.add_party": lambda: (
            parties.add_party(
                room,
                ADMIN,
                name="globex-uk",
                kind="organisation",
                keys=RegisterKeys(partner.public),
            ),
            parties.add_party(
                room,
                ADMIN,
                name="alice",
                kind="person",
                organisation="acme-cn",
                keys=IssueKeys(tmp / "alice.key", PASSPHRASE),
            ),
        ),
        "datasets.register_dataset": lambda: datasets.register_dataset(
            room, OWNER, customers_parquet(), owner="acme-cn", name="customers"
        ),
        "contracts.propose_contract": lambda: contracts.propose_contract(
            room, OWNER, EXAMPLE.read_text("utf-8"), EXAMPLE.name
        ),
        "contracts.take_step": lambda: contracts.take_step(
            room, OWNER, "c-12", ActionKind.APPROVE, keys=owner_keys()
        ),
        "contracts.record_step": lambda: contracts.record_step(
            room,
            ADMIN,
            "c-12",
            1,
            contracts.sign_step(
                contracts.show_contract(room, "c-12").contract,
                _platform_keys(room),
                party="platform",
                role=contracts.Role.PLATFORM,
                action=ActionKind.APPROVE,
                now=room.clock(),
            ),
        ),
        "keys.backup_keys": lambda: keys.backup_keys(room, ADMIN, tmp / "keys.backup"),
        "keys.restore_keys": lambda: keys.restore_keys(room, ADMIN, tmp / "keys.backup"),
        "keys.rotate_master_key": lambda: keys.rotate_master_key(room, ADMIN),
        "datasets.sweep_abandoned_uploads": lambda: datasets.sweep_abandoned_uploads(room),
    }


def _platform_keys(room: Sealroom) -> object:
    from sealroom.service.service_keys import load_service_key

    with room.sessions() as session:
        return load_service_key(session, room, "platform")


def abandon_an_upload(room: Sealroom) -> None:
    # A partial blob left by a process that no longer exists (pid 2**22 + 1 cannot be live).
    (room.settings.blob_dir / f"gone-v1-000.sealed.partial-{2**22 + 1}").write_bytes(b"x")


def public_service_functions() -> dict[str, Callable[..., object]]:
    found = {}
    for info in pkgutil.iter_modules(sealroom.service.__path__):
        module = importlib.import_module(f"sealroom.service.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            if info.name in BUILDING_BLOCKS:
                continue
            params = list(inspect.signature(fn).parameters.values())
            # Building blocks that run inside a caller's transaction (the caller records).
            if params and params[0].annotation in (Session, "Session"):
                continue
            found[f"{info.name}.{name}"] = fn
    return found


def state_fingerprint(room: Sealroom) -> str:
    digest = hashlib.sha256()
    audit = {"audit_events", "audit_nodes", "audit_log_head", "audit_tree_heads", "alembic_version"}
    with room.engine.connect() as connection:
        for table in sorted(set(sa_inspect(connection).get_table_names()) - audit):
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                digest.update(repr(tuple(row)).encode())
    for path in sorted(room.settings.blob_dir.glob("*")) if room.settings.blob_dir.exists() else []:
        digest.update(path.name.encode())
    return digest.hexdigest()


def event_count(room: Sealroom) -> int:
    with room.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEventRecord)) or 0


def test_every_public_service_function_is_classified() -> None:
    unknown = (
        set(public_service_functions())
        - QUERIES
        - LOG_INTERNAL
        - BOOKKEEPING
        - _command_names()
        - set(JOB_COMMANDS)
        - set(PSI_COMMANDS)
        - PSI_STEPS
        - CONTRACT_ENDING
    )
    assert not unknown, (
        f"classify these service functions as queries or give them an audited scenario: "
        f"{sorted(unknown)}"
    )


def test_every_classified_name_is_a_public_service_function() -> None:
    # A name left behind by a move would classify nothing and hide the function's new home.
    classified = (
        QUERIES | LOG_INTERNAL | BOOKKEEPING | PSI_STEPS | CONTRACT_ENDING | _command_names()
    )
    named = classified | set(JOB_COMMANDS) | set(PSI_COMMANDS)
    defined = {
        f"{info.name}.{name}"
        for info in pkgutil.iter_modules(sealroom.service.__path__)
        for name, _ in inspect.getmembers(
            importlib.import_module(f"sealroom.service.{info.name}"), inspect.isfunction
        )
    }
    assert not named - defined


def _command_names() -> set[str]:
    return {
        "setup.initialise",
        "parties.add_party",
        "datasets.register_dataset",
        "contracts.propose_contract",
        "contracts.take_step",
        "contracts.record_step",
        "keys.backup_keys",
        "keys.restore_keys",
        "keys.rotate_master_key",
        "datasets.sweep_abandoned_uploads",
    }


def test_every_state_changing_command_appends_an_event(
    room: Sealroom, isolated_home: Path, tmp_path: Path
) -> None:
    commands = scenario_commands(room, isolated_home, tmp_path)
    assert set(commands) == _command_names()
    with room.sessions() as session:
        first = session.scalars(
            select(AuditEventRecord.action).order_by(AuditEventRecord.leaf_index)
        ).all()
    assert first[:1] == ["store.init"]  # setup.initialise, run by the fixture
    for name, run in commands.items():
        if name == "setup.initialise":
            continue
        if name == "datasets.sweep_abandoned_uploads":
            abandon_an_upload(room)
        before_state, before_events = state_fingerprint(room), event_count(room)
        run()
        changed = state_fingerprint(room) != before_state
        appended = event_count(room) - before_events
        assert appended >= 1, f"{name} appended no audit event"
        assert changed or name in {"keys.backup_keys", "keys.restore_keys"}, (
            f"{name} changed nothing: its scenario does not exercise it"
        )
    # Every query leaves both state and log alone.
    before_state, before_events = state_fingerprint(room), event_count(room)
    parties.list_parties(room)
    datasets.list_datasets(room)
    datasets.show_dataset(room, "customers")
    contracts.list_contracts(room)
    assert (state_fingerprint(room), event_count(room)) == (before_state, before_events)


def test_an_action_whose_event_cannot_be_written_did_not_happen(
    room: Sealroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> int:
        raise AuditError("the audit log is unavailable")

    monkeypatch.setattr("sealroom.service.recording.append_event", refuse)
    with pytest.raises(AuditError):
        parties.add_party(
            room,
            ADMIN,
            name="globex-uk",
            kind="organisation",
            keys=RegisterKeys(generate_party_keys().public),
        )
    assert "globex-uk" not in {p.name for p in parties.list_parties(room)}
    with pytest.raises(AuditError):
        datasets.register_dataset(
            room, OWNER, customers_parquet(), owner="acme-cn", name="customers"
        )
    assert datasets.list_datasets(room) == []
    assert not list(room.settings.blob_dir.glob("*"))


def test_the_exported_log_of_everything_verifies_offline(
    room: Sealroom, isolated_home: Path, tmp_path: Path
) -> None:
    for name, run in scenario_commands(room, isolated_home, tmp_path).items():
        if name == "datasets.sweep_abandoned_uploads":
            abandon_an_upload(room)
        run()
    export = audit_log.export_audit(room, tmp_path / "export")
    report = verify_log_file(
        export.log, [export.head_value], audit_log.read_public_key(export.public_key)
    )
    assert report.verified_size == report.entries == event_count(room)
    assert setup.PLATFORM == "platform"


JOB_COMMANDS = (
    "samples.ensure_debug_sample",
    "jobs.submit_job",
    "job_runner.run_next_job",
    "jobs.debug_outputs",
    "reviews.approve_code",
    "reviews.show_review",
    "reviews.vote",
    "results.download_result",
    "jobs.cancel_job",
    "job_runner.recover_jobs",
    "tokens.issue_token",
    "tokens.revoke_token",
)


@pytest.mark.bwrap
def test_every_job_review_and_release_command_appends_an_event(
    active: tuple[Sealroom, object], tmp_path: Path
) -> None:
    from contracts import RunMode
    from jobs import Decision, JobState
    from sealroom.service import job_runner, jobs, results, reviews, samples, tokens
    from sealroom.service.contracts import show_contract
    from sealroom.store.job_records import JobRecord
    from tests.fixtures.deciding import desk

    room, _ = active
    owner_keys = load_party_key_file(room.settings.home / "acme-cn.key", PASSPHRASE)
    scientist, partner = Actor("alice", False, "acme-cn"), Actor("globex-uk", False, None)
    code = (EXAMPLE.parents[1] / "jobs" / "spend_by_segment.py").read_bytes()
    ids: dict[str, str] = {}

    def submit(mode: RunMode) -> str:
        ids[mode.value] = jobs.submit_job(room, scientist, "c-12", code, "a.py", mode).job_id
        return ids[mode.value]

    def stall_a_job() -> None:
        stuck = jobs.submit_job(room, scientist, "c-12", code, "a.py", RunMode.DEBUG).job_id
        with room.sessions() as session, session.begin():
            row = session.get(JobRecord, stuck)
            assert row is not None
            row.state, row.attempts = JobState.RUNNING.value, 1  # as a killed worker leaves it

    token: dict[str, str] = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        (
            "samples.ensure_debug_sample",
            lambda: samples.ensure_debug_sample(
                room, show_contract(room, "c-12").contract, "customers"
            ),
        ),
        ("jobs.submit_job", lambda: submit(RunMode.DEBUG)),
        ("job_runner.run_next_job", lambda: job_runner.run_next_job(room, ids["debug"])),
        ("jobs.debug_outputs", lambda: jobs.debug_outputs(room, scientist, ids["debug"])),
        (
            "reviews.approve_code",
            lambda: (
                desk(room, "acme-cn").approve_code("c-12", code, "a.py", keys=owner_keys),
                desk(room, "admin").approve_code("c-12", code, "a.py"),
            ),
        ),
        ("jobs.submit_job", lambda: submit(RunMode.REAL)),
        ("job_runner.run_next_job", lambda: job_runner.run_next_job(room, ids["real"])),
        ("reviews.show_review", lambda: reviews.show_review(room, OWNER, ids["real"])),
        ("reviews.vote", lambda: desk(room, "acme-cn").vote(ids["real"], keys=owner_keys)),
        ("reviews.vote", lambda: reviews.vote(room, ADMIN, ids["real"], Decision.APPROVE)),
        ("results.download_result", lambda: results.download_result(room, partner, ids["real"])),
        (
            "jobs.cancel_job",
            lambda: jobs.cancel_job(
                room,
                scientist,
                jobs.submit_job(room, scientist, "c-12", code, "a.py", RunMode.DEBUG).job_id,
            ),
        ),
        ("job_runner.recover_jobs", lambda: (stall_a_job(), job_runner.recover_jobs(room))),
        (
            "tokens.issue_token",
            lambda: token.update(
                id=tokens.issue_token(room, ADMIN, party="globex-uk").view.token_id
            ),
        ),
        ("tokens.revoke_token", lambda: tokens.revoke_token(room, ADMIN, token["id"])),
    ]
    assert {name for name, _ in steps} == set(JOB_COMMANDS)
    for name, run in steps:
        before = event_count(room)
        run()
        assert event_count(room) > before, f"{name} appended no audit event"


PSI_COMMANDS = (
    "psi.open_psi",
    "psi.exchange_psi",
    "psi.fail_abandoned_runs",
    "psi.fail_stalled_runs",
)


@pytest.mark.bwrap
def test_every_psi_command_appends_an_event(active: tuple[Sealroom, object]) -> None:
    import pyarrow.parquet as pq

    from contracts import JobKind, PsiRevealMode
    from jobs.psi import OpenMinedEngine, PsiLimits, normalise_ids
    from sealroom.datasets.synthetic import partner_ids
    from sealroom.service import psi

    room, _ = active
    partner = Actor("globex-uk", False, None)
    ids = partner_ids(pq.read_table(customers_parquet()), 50, 150, seed=3)
    runs: dict[str, str] = {}

    def open_run() -> None:
        runs["psi"] = psi.open_psi(
            room,
            partner,
            "c-12",
            JobKind.PSI,
            partner_set_size=len(ids),
            mode=PsiRevealMode.CARDINALITY,
        ).job_id

    def exchange() -> None:
        normalised = normalise_ids(ids, psi.IdentifierKind.MOBILE, cap=1000).ids
        session = OpenMinedEngine().partner_session(
            runs["psi"], PsiRevealMode.CARDINALITY, PsiLimits(100, 10)
        )
        psi.exchange_psi(
            room, partner, runs["psi"], session.create_request(list(normalised)).to_bytes()
        )

    def abandon() -> None:
        psi.open_psi(room, partner, "c-12", JobKind.PSI_SUM, partner_set_size=len(ids))
        # As after a server restart: no owner-side state here, and the lease has lapsed.
        restarted = replace(
            room, clock=lambda: datetime.now(UTC) + timedelta(minutes=2), psi_runs=PsiRuns()
        )
        psi.fail_abandoned_runs(restarted)

    def stall() -> None:
        psi.open_psi(room, partner, "c-12", JobKind.PSI_SUM, partner_set_size=len(ids))
        later = replace(room, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
        psi.fail_stalled_runs(later)

    for name, run in (
        ("psi.open_psi", open_run),
        ("psi.exchange_psi", exchange),
        ("psi.fail_abandoned_runs", abandon),
        ("psi.fail_stalled_runs", stall),
    ):
        before = event_count(room)
        run()
        assert event_count(room) > before, f"{name} appended no audit event"
