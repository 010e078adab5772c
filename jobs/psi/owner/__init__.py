"""The owner's side of a PSI run, one implementation per engine behind ``OwnerRun``.

``owner_engine(contract, kind)`` picks the engine from the contract's rules; the
service makes the owner's share with it and opens runs, and never looks at the
engine itself.
"""

from jobs.psi.owner.choice import owner_engine
from jobs.psi.owner.run import (
    Finished,
    OwnerData,
    OwnerEngine,
    OwnerRun,
    OwnerShare,
    RunnerSource,
)

__all__ = [
    "Finished",
    "OwnerData",
    "OwnerEngine",
    "OwnerRun",
    "OwnerShare",
    "RunnerSource",
    "owner_engine",
]
