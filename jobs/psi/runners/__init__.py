"""Where a protocol step's per-element work runs: inline, local processes, or Ray.

``RayRunner`` loads on first use only (``jobs.psi.runners.RayRunner``): Ray is
heavy, and only an owner with a cluster configured needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jobs.psi.runners.sharding import InlineRunner, ProcessRunner, ShardRunner, chunked, map_keyed

if TYPE_CHECKING:
    from jobs.psi.runners.ray_runner import RayRunner

__all__ = ["InlineRunner", "ProcessRunner", "RayRunner", "ShardRunner", "chunked", "map_keyed"]


def __getattr__(name: str) -> Any:
    if name == "RayRunner":
        return importlib.import_module("jobs.psi.runners.ray_runner").RayRunner
    raise AttributeError(f"module 'jobs.psi.runners' has no attribute {name!r}")
