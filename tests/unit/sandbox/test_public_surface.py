"""The sandbox room's public surface is what its __init__ says, and imports nothing of ours."""

from __future__ import annotations

import sandbox


def test_every_exported_name_exists() -> None:
    missing = [name for name in sandbox.__all__ if not hasattr(sandbox, name)]
    assert missing == []


def test_the_backends_share_the_protocol_methods() -> None:
    methods = {"check_available", "describe", "prepare", "execute", "wait", "terminate",
               "collect_outputs", "logs", "cleanup", "status", "cpu_seconds_used"}  # fmt: skip
    for backend in (sandbox.BubblewrapBackend, sandbox.DockerBackend):
        assert methods <= set(dir(backend)), backend
