"""Where a protocol step's per-element work runs: inline, local processes, or Ray.

``RayRunner`` lives in ``jobs.psi.runners.ray_runner`` and is imported only by an
owner with a cluster configured: Ray is heavy.
"""

from jobs.psi.runners.sharding import InlineRunner, ProcessRunner, ShardRunner, chunked, map_keyed

__all__ = ["InlineRunner", "ProcessRunner", "ShardRunner", "chunked", "map_keyed"]
