"""One owner-side PSI run as the service drives it: messages in, a reply or the result out.

The service holds one ``OwnerRun`` per open run and knows nothing of its engine::

    run = owner_engine(contract, kind).open_run(job_id, share, runner)
    outcome = run.step(partner_message)   # bytes: send them back; Finished: hold them
    run.close()                           # always, whatever happened; idempotent

The owner's data reaches a run only through its ``OwnerShare`` (made ahead, or in
the background while the partner works), which the service builds from an
``OwnerData`` it reads from the store: the cores never open a dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from contracts import PsiRules, PsiSumRules
from jobs.psi.psi_sum import OwnerValues
from jobs.psi.runners import ShardRunner


@dataclass(frozen=True)
class Finished:
    """The run's end: the files held as the job's output, and what the run revealed."""

    files: dict[str, bytes]
    leakage: dict[str, Any]


class OwnerRun(Protocol):
    def step(self, message: bytes) -> bytes | Finished:
        """Takes the partner's next message; a refused one raises and ends the run."""
        ...

    def close(self) -> None:
        """Drops every piece of owner state: keys, ciphertexts, staged files, processes."""
        ...


class OwnerData(Protocol):
    """The owner's dataset as a run needs it, decrypted and normalised by its holder."""

    def ids(self) -> Sequence[str]:
        """The distinct normalised identifiers of the run's key column."""
        ...

    def values(self, value_columns: Sequence[str]) -> OwnerValues:
        """The normalised identifiers with the values of ``value_columns`` aligned."""
        ...


class OwnerShare(Protocol):
    """The owner's first step of one run (its set blinded, records encrypted, or staged)."""

    def take(self) -> Any:
        """The share, waiting for it to be made; a failed making raises here."""
        ...

    def drop(self) -> None:
        """Forgets a share not taken; what it made is closed (a staged set removed)."""
        ...


class OwnerEngine(Protocol):
    """What the owner does for runs under one contract's rules for one PSI kind."""

    @property
    def name(self) -> str: ...

    @property
    def rules(self) -> PsiRules | PsiSumRules: ...

    @property
    def protocol(self) -> str | None:
        """The engine's own protocol (secretflow's), if it has a choice of them."""
        ...

    @property
    def key_column(self) -> str:
        """The owner column (``dataset.column``) matched against the partner's set."""
        ...

    @property
    def value_columns(self) -> tuple[str, ...]: ...

    def make_share(self, data: OwnerData, runner: ShardRunner) -> Any:
        """The owner's share, from its data alone: it can be made before a run opens."""
        ...

    def for_run(self, share: Any) -> Any:
        """What an opened run takes from a share (secretflow writes its set for spu)."""
        ...

    def open_run(self, job_id: str, share: OwnerShare, runner: RunnerSource) -> OwnerRun: ...


class RunnerSource(Protocol):
    """The room's runner for per-element work, made on first use."""

    def __call__(self) -> ShardRunner: ...
