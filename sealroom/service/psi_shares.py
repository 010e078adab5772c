"""The owner's share of a contract's PSI runs: how it is made, and under which key it is kept.

A share is the owner's first step of a run (``jobs.psi.owner.OwnerEngine.make_share``),
made from its own data alone: at a run's opening, or ahead of it (``psi_ahead``).
"""

from __future__ import annotations

from typing import Any

from contracts import Contract, JobKind
from jobs.psi.owner import OwnerEngine, OwnerRun, owner_engine
from jobs.psi.runners import ShardRunner
from sealroom.service.context import Sealroom
from sealroom.service.datasets import show_dataset
from sealroom.service.psi_ahead import ShareKey, share_from
from sealroom.service.psi_owner_data import OwnerDataset
from sealroom.service.psi_prepare import PreparedShare
from sealroom.service.psi_runs import NextShare


class RunShares:
    """The owner's shares for ``kind`` runs under one contract version."""

    def __init__(self, room: Sealroom, contract: Contract, kind: JobKind) -> None:
        self.room = room
        self.contract = contract
        self.kind = kind
        self.engine: OwnerEngine = owner_engine(contract, kind)
        self.data = OwnerDataset(room, self.engine.key_column)

    def make(self, runner: ShardRunner) -> Any:
        """A fresh share (a ``psi_ahead.ShareMaker``): fresh keys, never used twice."""
        return self.engine.make_share(self.data, runner)

    def key(self) -> ShareKey | None:
        """The key of a share made ahead; None for a dataset too large to keep one of.

        A PSI-sum share of a million records is a million Paillier ciphertexts, about
        a gigabyte held until its run comes: ``psi_ahead_max_rows`` bounds that.
        """
        view = show_dataset(self.room, self.data.dataset)
        if view.row_count > self.room.settings.psi_ahead_max_rows:
            return None
        return ShareKey(
            self.contract.id,
            self.contract.version,
            self.kind.value,
            self.data.dataset,
            view.version,
        )

    def open_run(self, job_id: str, *, ahead: bool) -> OwnerRun:
        """Opens the run and holds it in the room; its share is made in the background.

        With ``ahead``, the run takes the share made ahead for it (if any) and starts
        the next run's once its own owner work is over.
        """
        room, made, next_share = self.room, None, None
        key = self.key() if ahead and room.psi_ahead is not None else None
        if room.psi_ahead is not None and key is not None:
            made = room.psi_ahead.take(key)
            next_share = NextShare(room.psi_ahead, key, self.make)

        def prepare() -> Any:
            # The runner is made now, even for a share made ahead, so its workers are
            # up when the partner's set arrives; a cluster that cannot be reached
            # fails the run at its next message, like any failed preparation.
            runner = room.open_psi_runner()
            return self.engine.for_run(share_from(made) or self.make(runner))

        share = PreparedShare(prepare, name=f"psi-prepare-{job_id}")
        run = self.engine.open_run(job_id, share, room.open_psi_runner)
        return room.psi_runs.add(job_id, run, next_share)
