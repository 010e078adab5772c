"""PSI and PSI-sum protocol cores (issue 9; protocols in ``docs/protocols.md``).

Message-passing parties, no network: the job lifecycle runs the owner's side
next to the data and the partner's client runs the other side abroad; only the
messages' bytes cross between them.

PSI (cardinality or intersection), engine chosen by the contract::

    engine = OpenMinedEngine(ProcessRunner())        # or OpenMinedEngine() in-process
    partner = engine.partner_session(session_id, PsiRevealMode.CARDINALITY, limits)
    owner = engine.owner_session(session_id, limits)
    request = partner.create_request(partner_ids)
    setup = owner.setup(owner_ids, request.size, request.mode)
    outcome = partner.finish(setup, owner.process_request(request))

PSI-sum: ``PsiSumPartner`` and ``PsiSumOwner``, four messages (see ``psi_sum``).

The owner's side of a whole run, whatever the engine, as the service drives it:
``owner_engine(contract, kind).open_run(...)`` gives an ``OwnerRun`` (``owner``).
Where the per-element work runs: ``runners``; the secretflow engine: ``secretflow``.
The primitives under the cores (``_hazmat``) are for the cores alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jobs.psi.abort import PsiAbort
from jobs.psi.engine import (
    OwnerPsiSession,
    PartnerPsiSession,
    PsiEngine,
    PsiOutcome,
    PsiRequest,
    PsiResponse,
    PsiSetup,
)
from jobs.psi.errors import (
    EngineEnvironmentMissing,
    EngineUnavailable,
    IdentifierListRejected,
    IntersectionTooSmall,
    LinkFailed,
    LinkPortsExhausted,
    LinkTimedOut,
    MalformedMessage,
    MessageReplayed,
    ModeNotAllowed,
    PartnerSetTooSmall,
    ProtocolAborted,
    PsiError,
    SessionMismatch,
    SetTooLarge,
    UnexpectedMessage,
    ValueNotRepresentable,
)
from jobs.psi.limits import DEFAULT_SET_CAP, PsiLimits, max_message_bytes
from jobs.psi.normalise import (
    IdentifierKind,
    NormalisationReport,
    NormalisedIds,
    NormalisedRows,
    distinct_ids,
    normalise_identifier,
    normalise_ids,
    normalise_rows,
)
from jobs.psi.openmined import BlindedOwnerSet, OpenMinedEngine, blind_owner_set
from jobs.psi.owner import Finished, OwnerEngine, OwnerRun, owner_engine
from jobs.psi.psi_sum import (
    MaskedSums,
    MaskedTotals,
    OwnerRecords,
    OwnerReply,
    OwnerValues,
    PartnerHello,
    PsiSumOwner,
    PsiSumPartner,
    PsiSumResult,
    prepare_records,
)
from jobs.psi.runners.sharding import InlineRunner, ProcessRunner, ShardRunner
from jobs.psi.secretflow.engine import LinkReport, LinkSettings, SecretflowEngine, StagedSet

if TYPE_CHECKING:
    from jobs.psi.arrow_normalise import normalise_column

__all__ = [
    "DEFAULT_SET_CAP",
    "BlindedOwnerSet",
    "EngineEnvironmentMissing",
    "EngineUnavailable",
    "Finished",
    "IdentifierKind",
    "IdentifierListRejected",
    "InlineRunner",
    "IntersectionTooSmall",
    "LinkFailed",
    "LinkPortsExhausted",
    "LinkReport",
    "LinkSettings",
    "LinkTimedOut",
    "MalformedMessage",
    "MaskedSums",
    "MaskedTotals",
    "MessageReplayed",
    "ModeNotAllowed",
    "NormalisationReport",
    "NormalisedIds",
    "NormalisedRows",
    "OpenMinedEngine",
    "OwnerEngine",
    "OwnerPsiSession",
    "OwnerRecords",
    "OwnerReply",
    "OwnerRun",
    "OwnerValues",
    "PartnerHello",
    "PartnerPsiSession",
    "PartnerSetTooSmall",
    "ProcessRunner",
    "ProtocolAborted",
    "PsiAbort",
    "PsiEngine",
    "PsiError",
    "PsiLimits",
    "PsiOutcome",
    "PsiRequest",
    "PsiResponse",
    "PsiSetup",
    "PsiSumOwner",
    "PsiSumPartner",
    "PsiSumResult",
    "SecretflowEngine",
    "SessionMismatch",
    "SetTooLarge",
    "ShardRunner",
    "StagedSet",
    "UnexpectedMessage",
    "ValueNotRepresentable",
    "blind_owner_set",
    "distinct_ids",
    "max_message_bytes",
    "normalise_column",
    "normalise_identifier",
    "normalise_ids",
    "normalise_rows",
    "owner_engine",
    "prepare_records",
]


def __getattr__(name: str) -> Any:
    # The owner's column normaliser needs pyarrow, which the partner's client lacks.
    # Its module is named apart from the function: a submodule called
    # ``normalise_column`` would bind that name on this package to itself once loaded.
    if name == "normalise_column":
        return importlib.import_module("jobs.psi.arrow_normalise").normalise_column
    raise AttributeError(f"module 'jobs.psi' has no attribute {name!r}")
