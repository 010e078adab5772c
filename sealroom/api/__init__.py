"""The REST API: ``create_app(room)`` is the FastAPI application `sealroom serve` runs.

The web stack loads on first use of ``create_app``: besides the server, only
the local client (``sealroom.local``, which the command line holds when it has
no ``--server``) and the demo import ``sealroom.api.convert`` (service views to
wire models), and a command run that way must not pay for FastAPI. The command
modules themselves never import this package: they ask the client protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sealroom.api.app import create_app
    from sealroom.api.limits import ApiLimits, Rate

__all__ = ["ApiLimits", "Rate", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from sealroom.api.app import create_app  # noqa: PLC0415

        return create_app
    if name in ("ApiLimits", "Rate"):
        from sealroom.api import limits  # noqa: PLC0415

        return getattr(limits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
