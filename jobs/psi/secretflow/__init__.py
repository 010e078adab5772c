"""The ``secretflow`` engine: spu's PSI over a direct TLS link (``docs/protocols.md``).

- ``engine``: the sessions and their link messages, in Sealroom's own environment;
- ``party_process``: one party as a child process in the engine's environment;
- ``party``: the program that child runs (standard library and ``spu`` only; it is
  started by file path, never imported by Sealroom).
"""

from jobs.psi.secretflow.engine import (
    PROTOCOLS,
    LinkOffer,
    LinkReport,
    LinkSettings,
    SecretflowEngine,
    SecretflowOwnerSession,
    SecretflowPartnerSession,
    StagedSet,
    free_port,
)
from jobs.psi.secretflow.party_process import PARTY_PROGRAM, encode_ids, engine_python

__all__ = [
    "PARTY_PROGRAM",
    "PROTOCOLS",
    "LinkOffer",
    "LinkReport",
    "LinkSettings",
    "SecretflowEngine",
    "SecretflowOwnerSession",
    "SecretflowPartnerSession",
    "StagedSet",
    "encode_ids",
    "engine_python",
    "free_port",
]
