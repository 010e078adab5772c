"""The Python SDK and the partner's client for a Sealroom server.

Importable with only the ``client`` extra installed: it needs httpx, pydantic,
rich, cryptography and the ``contracts`` and ``kms`` rooms, never the server's
database, web framework or data libraries.

    from sealroom.client import Client, Partner
    client = Client(url, token=token)
    partner = Partner.from_key_file(client, "globex-uk", Path("globex.key"), passphrase)
    partner.accept("c-12")

``SealroomClient`` is what the command line asks of either side: this ``Client``
or the local store's ``sealroom.local.LocalClient``.
"""

from sealroom.client.client import Client
from sealroom.client.decision_signing import DecisionMismatch
from sealroom.client.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFoundError,
    RateLimited,
    ServerFault,
    ServerUnreachable,
    TooLarge,
    Unauthenticated,
)
from sealroom.client.models import (
    AuditEventInfo,
    AuditExportInfo,
    ContractInfo,
    DatasetInfo,
    PartyInfo,
    TokenInfo,
    WhoAmI,
)
from sealroom.client.partner import Partner, create_key_file, read_public_key_file
from sealroom.client.protocol import SealroomClient
from sealroom.client.signing import ContractMismatch

__all__ = [
    "ApiError",
    "AuditEventInfo",
    "AuditExportInfo",
    "Client",
    "Conflict",
    "ContractInfo",
    "ContractMismatch",
    "DatasetInfo",
    "DecisionMismatch",
    "Forbidden",
    "InvalidRequest",
    "NotFoundError",
    "Partner",
    "PartyInfo",
    "RateLimited",
    "SealroomClient",
    "ServerFault",
    "ServerUnreachable",
    "TokenInfo",
    "TooLarge",
    "Unauthenticated",
    "WhoAmI",
    "create_key_file",
    "read_public_key_file",
]
