"""Proposing contracts and recording their signed lifecycle steps.

Each party signs its own step on its own side (``sign_step``) with its own key;
the service only verifies the signature against the key pinned in the contract
and replays the lifecycle. The platform's steps are signed with the service's
own key, by a person acting for the platform.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import (
    Action,
    ActionKind,
    Approval,
    Contract,
    ContractInvalid,
    ContractIssue,
    Role,
    State,
    Status,
    apply,
    approval_message,
    check_new_version,
    contract_hash,
    dump_contract_yaml,
    dump_signed_contract,
    effective_state,
    load_contract,
    pin_party_keys,
    signed_contract,
    verify_approval,
)
from kms import PartyKeyPair, sign
from sealroom.errors import NotFound, PermissionDenied
from sealroom.service.actors import Actor, acting_party
from sealroom.service.context import Sealroom
from sealroom.service.recording import record
from sealroom.service.service_keys import load_service_key
from sealroom.store.contract_records import ContractRecord, ContractStepRecord
from sealroom.store.database import transaction
from sealroom.store.models import DatasetRecord, PartyRecord

# Strictness of a classification: a contract may tighten what the registry says, not loosen it.
STRICTNESS = {"general": 0, "personal": 1, "identifier": 2, "sensitive_personal": 3, "important": 4}
STEP_ROLES = {
    ActionKind.APPROVE: (Role.OWNER, Role.PLATFORM),
    ActionKind.ACCEPT: (Role.RECIPIENT,),
    ActionKind.REVOKE: (Role.OWNER, Role.PLATFORM, Role.RECIPIENT),
}


@dataclass(frozen=True)
class ContractView:
    contract: Contract
    contract_hash: str
    state: State
    status: Status
    steps: tuple[Approval, ...]
    proposed_by: str
    proposed_at: datetime

    @property
    def ref(self) -> str:
        return self.contract.ref


def sign_step(
    contract: Contract,
    keys: PartyKeyPair,
    *,
    party: str,
    role: Role,
    action: ActionKind,
    now: datetime,
) -> Approval:
    """A party's signature on one lifecycle step, made on its own side with its own key."""
    message = approval_message(contract, party=party, role=role, action=action, signed_at=now)
    signature = base64.b64encode(sign(keys, message)).decode("ascii")
    return Approval(party=party, role=role, action=action, signed_at=now, signature=signature)


def _check_datasets(session: Session, contract: Contract) -> None:
    issues: list[ContractIssue] = []
    for index, dataset in enumerate(contract.datasets):
        rec = session.get(DatasetRecord, dataset.name)
        path = f"datasets[{index}]"
        if rec is None or not rec.versions:
            issues.append(ContractIssue(f"{path}.name", f"no registered dataset {dataset.name}"))
            continue
        if rec.owner != dataset.owner:
            issues.append(ContractIssue(f"{path}.owner", f"{dataset.name} belongs to {rec.owner}"))
        registered = {c["name"]: c["level"] for c in rec.versions[-1].columns}
        for col_index, column in enumerate(dataset.columns):
            col_path = f"{path}.columns[{col_index}]"
            level = registered.get(column.name)
            if level is None:
                issues.append(
                    ContractIssue(
                        f"{col_path}.name",
                        f"{dataset.name} has no column {column.name} "
                        f"(it has {', '.join(sorted(registered))})",
                    )
                )
            elif STRICTNESS[column.classification.value] < STRICTNESS.get(level, 0):
                issues.append(
                    ContractIssue(
                        f"{col_path}.classification",
                        f"{dataset.name}.{column.name} is registered as {level}; the contract "
                        f"may not weaken it to {column.classification.value}",
                    )
                )
    if issues:
        raise ContractInvalid(contract.ref, issues)


def _latest(session: Session, contract_id: str) -> ContractRecord | None:
    version = session.scalar(
        select(func.max(ContractRecord.version)).where(ContractRecord.contract_id == contract_id)
    )
    return None if version is None else session.get(ContractRecord, (contract_id, version))


def propose_contract(room: Sealroom, actor: Actor, text: str, source: str) -> ContractView:
    contract = load_contract(text, source)
    acting_party(actor, contract, (Role.OWNER, Role.PLATFORM))
    now = room.clock()
    with transaction(room.sessions) as session:
        registered = session.scalars(
            select(PartyRecord).where(PartyRecord.name.in_([p.name for p in contract.parties]))
        ).all()
        pinned = pin_party_keys(
            contract,
            {rec.name: rec.ed25519_public for rec in registered},
            {rec.name: rec.x25519_public for rec in registered},
        )
        _check_datasets(session, pinned)
        previous = _latest(session, pinned.id)
        if previous is not None:
            check_new_version(load_contract(previous.document, previous.contract_id), pinned)
        digest = contract_hash(pinned)
        status = apply(
            pinned,
            Status(),
            Action(ActionKind.PROPOSE, *acting_party(actor, pinned, (Role.OWNER, Role.PLATFORM))),
            now,
        )
        session.add(
            ContractRecord(
                contract_id=pinned.id,
                version=pinned.version,
                document=dump_contract_yaml(pinned),
                contract_hash=digest,
                proposed_by=actor.name,
                proposed_at=now,
            )
        )
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role=actor.role,
            action="contract.propose",
            subject={"contract": pinned.id, "version": str(pinned.version)},
            contract=pinned.id,
            detail={"hash": digest, "purpose": pinned.purpose},
        )
    return ContractView(pinned, digest, status.state, status, (), actor.name, now)


def _steps(session: Session, rec: ContractRecord) -> tuple[Approval, ...]:
    rows = session.scalars(
        select(ContractStepRecord)
        .where(
            ContractStepRecord.contract_id == rec.contract_id,
            ContractStepRecord.version == rec.version,
        )
        .order_by(ContractStepRecord.id)
    )
    return tuple(
        Approval(
            party=row.party,
            role=Role(row.role),
            action=ActionKind(row.action),
            signed_at=row.signed_at,
            signature=row.signature,
        )
        for row in rows
    )


@functools.lru_cache(maxsize=256)
def _parsed(document: str, label: str) -> Contract:
    """A stored document parsed once per process: parsing and validation cost ~20 ms.

    Keyed on the text itself, so a row edited in the database is parsed (and fails
    its signatures) afresh; the model is frozen, so sharing it is safe.
    """
    return load_contract(document, label)


def _view(session: Session, rec: ContractRecord, now: datetime) -> ContractView:
    contract = _parsed(rec.document, f"{rec.contract_id} v{rec.version}")
    steps = _steps(session, rec)
    status = Status(state=State.PROPOSED)
    for step in steps:
        verify_approval(contract, step)  # a row edited in the database does not verify
        status = apply(contract, status, Action(step.action, step.party, step.role), step.signed_at)
    return ContractView(
        contract,
        rec.contract_hash,
        effective_state(contract, status, now),
        status,
        steps,
        rec.proposed_by,
        rec.proposed_at,
    )


def _load(session: Session, contract_id: str, version: int | None) -> ContractRecord:
    rec = (
        _latest(session, contract_id)
        if version is None
        else session.get(ContractRecord, (contract_id, version))
    )
    if rec is None:
        shown = contract_id if version is None else f"{contract_id} v{version}"
        raise NotFound("contract", shown, "list the contracts with `sealroom contract list`")
    return rec


def show_contract(room: Sealroom, contract_id: str, version: int | None = None) -> ContractView:
    with room.sessions() as session:
        return _view(session, _load(session, contract_id, version), room.clock())


def list_contracts(room: Sealroom) -> list[ContractView]:
    with room.sessions() as session:
        ids = session.scalars(select(ContractRecord.contract_id).distinct()).all()
        return [_view(session, _load(session, cid, None), room.clock()) for cid in sorted(ids)]


def record_step(
    room: Sealroom, actor: Actor, contract_id: str, version: int, step: Approval
) -> ContractView:
    """Records a step a party signed on its own side, after checking it."""
    with transaction(room.sessions) as session:
        rec = _load(session, contract_id, version)
        view = _view(session, rec, room.clock())
        party, _ = acting_party(actor, view.contract, (step.role,))
        if party != step.party:
            raise PermissionDenied(
                f"{actor.name} acts for {party}, not {step.party}: each party signs its own step"
            )
        verify_approval(view.contract, step)
        status = apply(
            view.contract, view.status, Action(step.action, step.party, step.role), room.clock()
        )
        session.add(
            ContractStepRecord(
                contract_id=rec.contract_id,
                version=rec.version,
                party=step.party,
                role=step.role.value,
                action=step.action.value,
                signed_at=step.signed_at,
                signature=step.signature,
                recorded_at=room.clock(),
            )
        )
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role=step.role.value,
            action=f"contract.{step.action.value}",
            subject={"contract": rec.contract_id, "version": str(rec.version)},
            contract=rec.contract_id,
            detail={"party": step.party, "state": status.state.value, "hash": rec.contract_hash},
        )
    if status.state is State.REVOKED:
        # The kill switch takes effect now, not at the next check: queued and waiting
        # jobs are cancelled, running ones dropped, the contract's KEK destroyed.
        from sealroom.service.contract_ending import stop_if_ended

        stop_if_ended(room, rec.contract_id, rec.version)
    return ContractView(
        view.contract,
        view.contract_hash,
        effective_state(view.contract, status, room.clock()),
        status,
        (*view.steps, step),
        view.proposed_by,
        view.proposed_at,
    )


def take_step(
    room: Sealroom,
    actor: Actor,
    contract_id: str,
    action: ActionKind,
    *,
    keys: PartyKeyPair | None,
    version: int | None = None,
) -> ContractView:
    """Signs and records ``action`` as the actor's party.

    A person acting for the platform signs with the service's key; everyone else
    brings their own key pair (``keys``), which never reaches the store.
    """
    view = show_contract(room, contract_id, version)
    party, role = acting_party(actor, view.contract, STEP_ROLES[action])
    if role is Role.PLATFORM:
        with room.sessions() as session:
            keys = load_service_key(session, room, party)
    if keys is None:
        raise PermissionDenied(
            f"{party} signs its {action.value} of {view.ref} with its own key: pass --key-file"
        )
    step = sign_step(view.contract, keys, party=party, role=role, action=action, now=room.clock())
    return record_step(room, actor, contract_id, view.contract.version, step)


def export_signed(room: Sealroom, contract_id: str, out: Path, version: int | None = None) -> Path:
    """Writes the contract with every signature, for `sealroom contract verify` offline."""
    view = show_contract(room, contract_id, version)
    out.write_text(
        dump_signed_contract(signed_contract(view.contract, view.steps)), encoding="utf-8"
    )
    return out
