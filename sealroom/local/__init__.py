"""The command line's client for the store on this machine (no ``--server``).

``LocalClient`` answers the same ``SealroomClient`` protocol as the HTTP
``Client``, with service calls instead of requests; ``LocalPsiTransport`` is the
partner's PSI transport in the store's own process. Neither the service nor the
SDK depends on this package: it joins the two.
"""

from sealroom.local.client import LocalClient
from sealroom.local.psi_transport import LocalPsiTransport

__all__ = ["LocalClient", "LocalPsiTransport"]
