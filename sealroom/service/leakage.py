"""The contract's leakage ledger: checked before a release, written with it, read by parties.

``check_release`` runs in the transaction of the deciding vote, before anything
is sealed: it reads what the release would add (``jobs.table_groups`` over the
released tables, ``jobs.psi_groups`` over a PSI run's recorded leakage), and
refuses it (``ReleaseBlocked``, which rolls the vote back) when it forms a
differencing pair with an earlier release of the contract or would spend more
of the differential-privacy budget than is left. ``record_release`` then writes
those entries in the same transaction, so a release and its ledger rows exist
together or not at all. The arithmetic is ``jobs.leakage_ledger``'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract, JobKind, Role
from jobs import (
    OutputCheckPolicy,
    OutputUnreadable,
    PrivacySpend,
    ReleasedGroup,
    budget_state,
    find_differencing,
    over_budget,
    psi_groups,
    read_output,
    release_share,
    table_groups,
)
from sealroom.errors import PermissionDenied, SealroomError
from sealroom.service.actors import Actor, acting_party
from sealroom.service.context import Sealroom
from sealroom.service.contracts import show_contract
from sealroom.store.contract_records import ContractRecord
from sealroom.store.job_records import JobRecord
from sealroom.store.leakage_records import LeakageEntryRecord

GROUP, PSI, DP_SPEND = "group", "psi", "dp_spend"

# Whoever receives, releases or reviews a contract's results may read what they showed.
LEDGER_READERS = (Role.OWNER, Role.PLATFORM, Role.RECIPIENT, Role.REVIEWER)


class ReleaseBlocked(SealroomError):
    """The leakage ledger refuses a release; nothing was sealed and the vote is not kept."""


class DifferencingBlocked(ReleaseBlocked):
    pass


class BudgetExhausted(ReleaseBlocked):
    pass


@dataclass(frozen=True)
class PendingLeakage:
    """What a release will add to the ledger, once it goes ahead."""

    release_id: str
    contract_id: str
    contract_version: int
    groups: tuple[ReleasedGroup, ...]
    spend: PrivacySpend | None
    psi_sizes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row as parties read it."""

    release_id: str
    contract_version: int
    released_at: datetime
    entry: str
    file: str
    key: tuple[tuple[str, str], ...]
    count: int | None
    statistics: Mapping[str, float]
    noised: bool
    epsilon: float | None
    delta: float | None
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class LeakageLedger:
    contract_id: str
    entries: tuple[LedgerEntry, ...]
    budget_epsilon: float | None  # None: the contract has no differential-privacy budget
    budget_delta: float | None
    spent_epsilon: float
    spent_delta: float
    min_group_size: int


def check_release(
    session: Session, rec: JobRecord, contract: Contract, files: Mapping[str, bytes]
) -> PendingLeakage:
    """What the release adds; ``ReleaseBlocked`` (with both release ids) when it may not go."""
    # One release of a contract at a time decides against the ledger: two racing
    # releases must not each pass against a ledger that lacks the other.
    session.execute(
        select(ContractRecord.contract_id)
        .where(ContractRecord.contract_id == contract.id)
        .with_for_update()
    )
    pending = _pending(rec, contract, files)
    history = session.scalars(
        select(LeakageEntryRecord)
        .where(LeakageEntryRecord.contract_id == contract.id)
        .order_by(LeakageEntryRecord.id)
    ).all()
    released = [_group(row) for row in history if row.entry in (GROUP, PSI)]
    pairs = find_differencing(
        released, pending.groups, min_group_size=contract.output.min_group_size
    )
    if pairs:
        more = f" ({len(pairs) - 1} more pair(s) like it)" if len(pairs) > 1 else ""
        raise DifferencingBlocked(pairs[0].message + more)
    budget = contract.output.differential_privacy
    if budget is not None and pending.spend is not None:
        spends = [
            PrivacySpend(row.epsilon or 0.0, row.delta or 0.0)
            for row in history
            if row.entry == DP_SPEND
        ]
        refusal = over_budget(
            budget_state(budget, spends),
            pending.spend,
            release_id=rec.job_id,
            contract_id=contract.id,
        )
        if refusal is not None:
            raise BudgetExhausted(refusal)
    return pending


def record_release(session: Session, pending: PendingLeakage, released_at: datetime) -> None:
    """Writes the release's ledger rows, in the caller's (the release's) transaction."""
    common = {
        "contract_id": pending.contract_id,
        "contract_version": pending.contract_version,
        "release_id": pending.release_id,
        "released_at": released_at,
    }
    for group in pending.groups:
        session.add(
            LeakageEntryRecord(
                **common,
                entry=PSI if group.kind == "psi" else GROUP,
                file=group.file,
                key=[list(pair) for pair in group.key],
                count=group.count,
                statistics=dict(group.statistics),
                noised=group.noised,
                detail=dict(pending.psi_sizes) if group.kind == "psi" else {},
            )
        )
    if pending.spend is not None:
        session.add(
            LeakageEntryRecord(
                **common,
                entry=DP_SPEND,
                key=[],
                statistics={},
                epsilon=pending.spend.epsilon,
                delta=pending.spend.delta,
                detail={},
            )
        )


def _pending(rec: JobRecord, contract: Contract, files: Mapping[str, bytes]) -> PendingLeakage:
    report = rec.check_report or {}
    noise = report.get("differential_privacy")
    share = release_share(contract)
    spend = None
    if share is not None and noise is not None:
        spend = PrivacySpend(float(noise["epsilon_spent"]), float(noise["delta_spent"]))
    groups: list[ReleasedGroup] = []
    psi_sizes: dict[str, Any] = {}
    if JobKind(rec.kind) in (JobKind.PSI, JobKind.PSI_SUM):
        leakage = report.get("leakage") or {}
        protocol = rec.code.decode("utf-8", "replace")
        groups = psi_groups(rec.job_id, protocol, leakage)
        psi_sizes = {k: v for k, v in leakage.items() if isinstance(v, int | str | list)}
    else:
        policy = OutputCheckPolicy.from_contract(contract)
        for name, data in sorted(files.items()):
            try:
                table = read_output(name, data)
            except OutputUnreadable:
                continue  # only checked tables reach a release; the checks refused the rest
            groups += table_groups(rec.job_id, name, table, policy, noised=noise is not None)
    return PendingLeakage(
        rec.job_id, contract.id, contract.version, tuple(groups), spend, psi_sizes
    )


def _group(row: LeakageEntryRecord) -> ReleasedGroup:
    return ReleasedGroup(
        release_id=row.release_id,
        file=row.file,
        key=tuple((str(c), str(v)) for c, v in row.key),
        count=row.count,
        statistics=dict(row.statistics),
        noised=row.noised,
        kind="psi" if row.entry == PSI else "table",
    )


def show_leakage(room: Sealroom, actor: Actor, contract_id: str) -> LeakageLedger:
    """The contract's ledger, for its owners, platform, recipients and reviewers."""
    contract = show_contract(room, contract_id).contract
    if not actor.is_admin:
        own = contract.party(actor.name)
        if own is not None and own.has_role(Role.SCIENTIST) and not own.has_role(Role.RECIPIENT):
            # Roles belong to persons: a scientist who receives no real results does not
            # read them here either, whatever organisation it works for.
            raise PermissionDenied(
                f"{actor.name} is a scientist of {contract.ref} and no recipient of it: the "
                "leakage ledger shows released results; ask a recipient or the owner"
            )
        acting_party(actor, contract, LEDGER_READERS)
    with room.sessions() as session:
        rows = session.scalars(
            select(LeakageEntryRecord)
            .where(LeakageEntryRecord.contract_id == contract_id)
            .order_by(LeakageEntryRecord.id)
        ).all()
        entries = tuple(_entry(row) for row in rows)
    budget = contract.output.differential_privacy
    spends = [e for e in entries if e.entry == DP_SPEND]
    return LeakageLedger(
        contract_id=contract_id,
        entries=entries,
        budget_epsilon=budget.epsilon if budget else None,
        budget_delta=budget.delta if budget else None,
        spent_epsilon=math.fsum(e.epsilon or 0.0 for e in spends),
        spent_delta=math.fsum(e.delta or 0.0 for e in spends),
        min_group_size=contract.output.min_group_size,
    )


def _entry(row: LeakageEntryRecord) -> LedgerEntry:
    return LedgerEntry(
        release_id=row.release_id,
        contract_version=row.contract_version,
        released_at=row.released_at,
        entry=row.entry,
        file=row.file,
        key=tuple((str(c), str(v)) for c, v in row.key),
        count=row.count,
        statistics=dict(row.statistics),
        noised=row.noised,
        epsilon=row.epsilon,
        delta=row.delta,
        detail=dict(row.detail),
    )
