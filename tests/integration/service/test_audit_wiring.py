"""Every state-changing service command appends an audit event, in the same transaction."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable
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

from .conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.integration
OWNER = Actor("acme-cn", False, None)
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "contracts" / "customer-insights.yaml"

# Public service functions that only read (or only compute) and need no event.
QUERIES = {
    "actors.resolve_actor",
    "actors.require_admin",
    "names.validate_name",
    "parties.list_parties",
    "parties.show_party",
    "datasets.list_datasets",
    "datasets.show_dataset",
    "datasets.verify_dataset",
    "datasets.open_dataset_reader",
    "contracts.show_contract",
    "contracts.list_contracts",
    "contracts.acting_party",
    "contracts.sign_step",
    "contracts.export_signed",
    "audit_log.latest_head",
    "audit_log.platform_public_keys",
    "audit_log.read_public_key",
    "audit_log.verify_export",
    "audit_log.timeline",
    "context.utc_now",
    "context.open_keyring",
}
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
    unknown = set(public_service_functions()) - QUERIES - LOG_INTERNAL - _command_names()
    assert not unknown, (
        f"classify these service functions as queries or give them an audited scenario: "
        f"{sorted(unknown)}"
    )


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
