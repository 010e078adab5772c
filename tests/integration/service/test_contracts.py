from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from contracts import (
    ActionKind,
    ContractExpired,
    ContractInvalid,
    ContractRevoked,
    Role,
    SignatureInvalid,
    State,
    load_signed_contract_file,
    verify_signed_contract,
)
from kms import PartyKeyPair, generate_party_keys, load_party_key_file
from sealroom.data import customers_parquet
from sealroom.errors import PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import (
    export_signed,
    propose_contract,
    record_step,
    show_contract,
    sign_step,
    take_step,
)
from sealroom.service.datasets import register_dataset
from sealroom.service.parties import IssueKeys, RegisterKeys, add_party
from sealroom.store.contract_records import ContractStepRecord

from .conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "contracts" / "customer-insights.yaml"
OWNER = Actor("acme-cn", False, None)
PLATFORM_STAFF = ADMIN  # the administrator acts for the platform organisation
PARTNER = Actor("globex-uk", False, None)


@pytest.fixture
def parties(room: Sealroom, isolated_home: Path) -> dict[str, PartyKeyPair]:
    partner = generate_party_keys()
    add_party(room, ADMIN, name="globex-uk", kind="organisation", keys=RegisterKeys(partner.public))
    add_party(
        room,
        ADMIN,
        name="alice",
        kind="person",
        organisation="acme-cn",
        keys=IssueKeys(isolated_home / "alice.key", PASSPHRASE),
    )
    register_dataset(room, OWNER, customers_parquet(), owner="acme-cn", name="customers")
    return {
        "acme-cn": load_party_key_file(isolated_home / "acme-cn.key", PASSPHRASE),
        "globex-uk": partner,
    }


def propose(room: Sealroom) -> None:
    propose_contract(room, OWNER, EXAMPLE.read_text("utf-8"), EXAMPLE.name)


def test_a_contract_becomes_active_only_after_dual_approval_and_acceptance(
    room: Sealroom, parties: dict[str, PartyKeyPair], tmp_path: Path
) -> None:
    propose(room)
    assert show_contract(room, "c-12").state is State.PROPOSED
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=parties["acme-cn"])
    assert show_contract(room, "c-12").state is State.PROPOSED  # the platform has not approved
    take_step(room, PLATFORM_STAFF, "c-12", ActionKind.APPROVE, keys=None)
    assert show_contract(room, "c-12").state is State.APPROVED
    view = take_step(room, PARTNER, "c-12", ActionKind.ACCEPT, keys=parties["globex-uk"])
    assert view.state is State.ACTIVE
    # Every signature verifies offline from the exported file alone.
    signed = export_signed(room, "c-12", tmp_path / "c-12.signed.json")
    result = verify_signed_contract(load_signed_contract_file(signed), datetime.now(UTC))
    assert result.state is State.ACTIVE and len(result.approvals) == 3


def test_the_partner_pulls_the_kill_switch(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    propose(room)
    take_step(room, PARTNER, "c-12", ActionKind.REVOKE, keys=parties["globex-uk"])
    assert show_contract(room, "c-12").state is State.REVOKED
    with pytest.raises(ContractRevoked, match="ask the owner to propose a new version"):
        take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=parties["acme-cn"])


def test_a_step_signed_with_another_key_is_refused(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    propose(room)
    contract = show_contract(room, "c-12").contract
    forged = sign_step(
        contract,
        generate_party_keys(),
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        now=room.clock(),
    )
    with pytest.raises(SignatureInvalid):
        record_step(room, OWNER, "c-12", 1, forged)
    assert show_contract(room, "c-12").steps == ()


def test_one_party_cannot_sign_for_another(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    propose(room)
    contract = show_contract(room, "c-12").contract
    step = sign_step(
        contract,
        parties["acme-cn"],
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        now=room.clock(),
    )
    with pytest.raises(PermissionDenied):
        record_step(room, PARTNER, "c-12", 1, step)


def test_a_step_edited_in_the_database_no_longer_verifies(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    propose(room)
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=parties["acme-cn"])
    with room.sessions() as session, session.begin():
        row = session.scalars(select(ContractStepRecord)).one()
        row.party = "platform"
        row.role = "platform"
    with pytest.raises(SignatureInvalid):
        show_contract(room, "c-12")


def test_a_contract_naming_an_unregistered_column_is_refused(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    extra = (
        "      - name: loyalty_tier\n        logicalType: string\n        classification: general\n"
    )
    text = EXAMPLE.read_text("utf-8").replace(
        "      - name: segment\n", extra + "      - name: segment\n", 1
    )
    with pytest.raises(ContractInvalid, match="no column loyalty_tier"):
        propose_contract(room, OWNER, text, "edited.yaml")


def test_a_contract_cannot_weaken_a_registered_classification(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    text = EXAMPLE.read_text("utf-8").replace(
        "        classification: sensitive_personal\n        policy: never_output",
        "        classification: general",
        1,
    )
    with pytest.raises(ContractInvalid, match="may not weaken"):
        propose_contract(room, OWNER, text, "weakened.yaml")


def test_the_scientist_cannot_propose(room: Sealroom, parties: dict[str, PartyKeyPair]) -> None:
    with pytest.raises(PermissionDenied, match="acts for no owner or platform"):
        propose_contract(room, Actor("alice", False, None), EXAMPLE.read_text("utf-8"), "x")


def test_after_the_validity_window_the_contract_is_expired(
    room: Sealroom, parties: dict[str, PartyKeyPair]
) -> None:
    propose(room)
    later = Sealroom(
        room.settings,
        room.engine,
        room.sessions,
        room.passphrase,
        lambda: datetime(2028, 1, 2, tzinfo=UTC),
        room.keyring(),
    )
    assert show_contract(later, "c-12").state is State.EXPIRED
    with pytest.raises(ContractExpired, match="2027-12-31"):
        take_step(later, OWNER, "c-12", ActionKind.APPROVE, keys=parties["acme-cn"])
