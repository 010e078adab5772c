"""Story 1 through HTTP: owner, platform, scientist, partner and auditor as separate
clients, each with its own key pair and token, against a real uvicorn server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from contracts import ActionKind, Role, State, load_signed_contract_file, verify_signed_contract
from kms import load_party_key_file
from sealroom.api import create_app
from sealroom.audit import read_tree_head
from sealroom.client import Client, ContractMismatch, Forbidden, Partner, create_key_file
from sealroom.client.partner import read_public_key_file
from sealroom.data import customers_parquet
from sealroom.service.audit_log import read_public_key, verify_export
from sealroom.service.context import Sealroom
from tests.fixtures.world import PASSPHRASE, admin_token, example_contract, open_room, serving

pytestmark = pytest.mark.integration


@pytest.fixture
def served(isolated_home: Path, database_url: str) -> Iterator[tuple[Sealroom, str]]:
    room = open_room(isolated_home, database_url)
    with serving(create_app(room)) as url:
        yield room, url
    room.close()


def test_the_story_runs_end_to_end_through_the_api(
    served: tuple[Sealroom, str], tmp_path: Path
) -> None:
    room, url = served
    # Each party generates its keys on its own machine and hands over the public half only.
    machines = {name: tmp_path / name for name in ("acme-cn", "globex-uk", "alice", "pat")}
    public = {}
    for name, machine in machines.items():
        machine.mkdir()
        create_key_file(machine / f"{name}.key", PASSPHRASE)
        public[name] = read_public_key_file(machine / f"{name}.key.pub.json")

    with Client(url, admin_token(room), progress=False) as admin:
        admin.add_party("acme-cn", public["acme-cn"], display_name="ACME (Shanghai)")
        admin.add_party("globex-uk", public["globex-uk"])
        admin.add_party("alice", public["alice"], kind="person")
        admin.add_party("pat", public["pat"], kind="person", organisation="platform")
        tokens = {
            name: admin.issue_token(name, label="story").token
            for name in ("acme-cn", "globex-uk", "alice")
        }
        tokens["pat"] = admin.issue_token("pat", ["read", "write", "audit"]).token
        auditor_party = admin.add_party("audra", public["alice"], kind="person")
        tokens["audra"] = admin.issue_token(auditor_party.name, ["audit:all"]).token

    owner = Client(url, tokens["acme-cn"], progress=False)
    platform = Client(url, tokens["pat"], progress=False)
    scientist = Client(url, tokens["alice"], progress=False)
    partner_client = Client(url, tokens["globex-uk"], progress=False)
    auditor = Client(url, tokens["audra"], progress=False)

    # The owner streams its file up; it is classified and encrypted on arrival.
    dataset = owner.register_dataset(customers_parquet(), owner="acme-cn", name="customers")
    assert dataset.row_count == 2000
    levels = {c.name: c.level for c in dataset.columns}
    assert levels["mobile"] == "identifier" and levels["id_number"] == "sensitive_personal"
    assert "customers v1" in repr(dataset) and "<table>" in dataset._repr_html_()

    proposed = owner.propose_contract(example_contract())
    assert proposed.state == "proposed"
    owner_keys = load_party_key_file(machines["acme-cn"] / "acme-cn.key", PASSPHRASE)
    owner.sign_step("c-12", ActionKind.APPROVE, party="acme-cn", role=Role.OWNER, keys=owner_keys)
    assert platform.platform_step("c-12", "approve").state == "approved"

    # The scientist sees the contract and the dataset's shape, and may register nothing.
    assert [c.id for c in scientist.contracts()] == ["c-12"]
    assert scientist.dataset("customers").content_sha256 == dataset.content_sha256
    with pytest.raises(Forbidden, match="does not act for acme-cn"):
        scientist.register_dataset(customers_parquet(), owner="acme-cn", name="stolen")

    partner = Partner.from_key_file(
        partner_client, "globex-uk", machines["globex-uk"] / "globex-uk.key", PASSPHRASE
    )
    accepted = partner.accept("c-12")
    assert accepted.state == "active"
    assert owner.wait_for_contract("c-12", "active", poll=0.1).steps == accepted.steps
    assert "active" in repr(accepted) and "globex-uk" in accepted._repr_html_()

    # Every signature verifies offline from the downloaded file alone.
    signed = partner_client.signed_contract("c-12", tmp_path / "c-12.signed.json")
    result = verify_signed_contract(load_signed_contract_file(signed), datetime.now(UTC))
    assert result.state is State.ACTIVE
    assert {(a.party, a.action.value) for a in result.approvals} == {
        ("acme-cn", "approve"),
        ("platform", "approve"),
        ("globex-uk", "accept"),
    }

    # The auditor exports the log and checks it with nothing but the files.
    export = auditor.audit_export(tmp_path / "audit")
    report = verify_export(
        tmp_path / "audit" / "audit-log.jsonl",
        [read_tree_head(tmp_path / "audit" / "tree-head.json")],
        read_public_key(tmp_path / "audit" / "platform.pub.json"),
    )
    assert report.entries == export.tree_size
    assert len(export.log.splitlines()) == export.tree_size
    actions = [e.action for e in auditor.audit_events(limit=10_000)]
    for action in ("dataset.register", "contract.propose", "contract.approve", "contract.accept"):
        assert action in actions
    events = auditor.audit_events(contract="c-12", action="contract.accept")
    assert [e.actor for e in events] == ["globex-uk"]
    assert "denied" in [e.action.split(".")[-1] for e in auditor.audit_events(actor="alice")]

    for client in (owner, platform, scientist, partner_client, auditor):
        client.close()


def test_the_partner_refuses_to_sign_a_contract_that_pins_another_key(
    served: tuple[Sealroom, str], tmp_path: Path
) -> None:
    room, url = served
    create_key_file(tmp_path / "acme.key", PASSPHRASE)
    create_key_file(tmp_path / "globex.key", PASSPHRASE)
    create_key_file(tmp_path / "impostor.key", PASSPHRASE)
    with Client(url, admin_token(room), progress=False) as admin:
        admin.add_party("acme-cn", read_public_key_file(tmp_path / "acme.key.pub.json"))
        admin.add_party("globex-uk", read_public_key_file(tmp_path / "globex.key.pub.json"))
        admin.add_party(
            "alice", read_public_key_file(tmp_path / "acme.key.pub.json"), kind="person"
        )
        owner_token = admin.issue_token("acme-cn").token
        partner_token = admin.issue_token("globex-uk").token
    with Client(url, owner_token, progress=False) as owner:
        owner.register_dataset(customers_parquet(), owner="acme-cn", name="customers")
        owner.propose_contract(example_contract())
    # A key file that is not the one registered: the client notices before signing.
    with Client(url, partner_token, progress=False) as client:
        impostor = Partner.from_key_file(client, "globex-uk", tmp_path / "impostor.key", PASSPHRASE)
        with pytest.raises(ContractMismatch, match="does not pin your signing key"):
            impostor.accept("c-12")
        assert client.contract("c-12").steps == []


def test_an_upload_shows_its_progress_and_a_wait_shows_a_spinner(
    served: tuple[Sealroom, str], tmp_path: Path
) -> None:
    room, url = served
    create_key_file(tmp_path / "acme.key", PASSPHRASE)
    with Client(url, admin_token(room), progress=False) as admin:
        admin.add_party("acme-cn", read_public_key_file(tmp_path / "acme.key.pub.json"))
        token = admin.issue_token("acme-cn").token
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with Client(url, token, console=console) as owner:
        owner.register_dataset(customers_parquet(), owner="acme-cn", name="customers")
    assert "uploading customers.parquet" in screen.getvalue()
