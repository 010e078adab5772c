"""Both sides answer the one client protocol the commands talk to.

mypy checks the same statically where the chooser (``sealroom.cli.clients``)
hands out a ``Client`` or a ``LocalClient`` as a ``SealroomClient``; this test
says it again at run time, member by member, and pins the capabilities.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from sealroom.client import Client
from sealroom.client.errors import ApiError
from sealroom.client.protocol import SealroomClient
from sealroom.local import LocalClient
from sealroom.service.context import Sealroom


def never_opened() -> Sealroom:
    raise AssertionError("the store was opened, but nothing needed it")


def protocol_members() -> list[str]:
    return sorted(n for n in vars(SealroomClient) if not n.startswith("_"))


def test_the_sides_are_typed_as_the_protocol() -> None:
    remote: SealroomClient = Client("http://127.0.0.1:1", "srt_x", progress=False)
    local: SealroomClient = LocalClient(never_opened, None)
    assert remote.lists_every_job is False and local.lists_every_job is True
    assert remote.issues_key_pairs is False and local.issues_key_pairs is True


@pytest.mark.parametrize("side", [Client, LocalClient], ids=lambda c: c.__name__)
@pytest.mark.parametrize("member", protocol_members())
def test_each_side_has_every_member_with_the_same_parameters(side: type, member: str) -> None:
    wanted = getattr(SealroomClient, member)
    assert hasattr(side, member), f"{side.__name__} lacks {member}"
    if isinstance(wanted, property):
        return
    expected = inspect.signature(wanted).parameters
    got = inspect.signature(getattr(side, member)).parameters
    assert [(p.name, p.kind) for p in got.values()] == [(p.name, p.kind) for p in expected.values()]


def test_the_local_client_opens_the_store_only_when_asked() -> None:
    with LocalClient(never_opened, "alice") as client:
        assert repr(client) == "LocalClient(as alice)"


def test_the_http_client_refuses_what_only_the_store_can_do(tmp_path: Path) -> None:
    with Client("http://127.0.0.1:1", "srt_x", progress=False) as client:
        with pytest.raises(ApiError, match="never sends a private key"):
            client.add_party_issuing_keys("acme-cn", tmp_path / "acme-cn.key", "pass")
        with pytest.raises(ApiError, match="per contract"):
            client.every_job()
        # What stays on the server is simply not there, and no request is made for it.
        assert client.sample_drift("j-1") == {}
        assert client.debug_samples("customers") == []
        assert client.wrapping_key("customers", 1) is None
