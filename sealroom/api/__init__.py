"""The REST API: ``create_app(room)`` is the FastAPI application `sealroom serve` runs."""

from sealroom.api.app import create_app
from sealroom.api.limits import ApiLimits, Rate

__all__ = ["ApiLimits", "Rate", "create_app"]
