"""A PSI message weighs what its run's announced set can weigh, and no more.

The partner announces its set size when it opens a run; the gate judges that
size, and every later message is capped by it (and by the server's limit) and
read as it streams. Junk far above the cap is refused before it is held, so one
token cannot make the server hold hundreds of megabytes per message.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jobs.psi import max_message_bytes
from sealroom.api import create_app
from tests.fixtures.world import World, build_matrix_world, serving

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
JUNK_MIB = 256
ANNOUNCED = 500


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, str]]:
    built = build_matrix_world(tmp_path / "home", f"sqlite:///{tmp_path / 'store.db'}")
    with serving(create_app(built.room)) as url:
        yield built, url
    built.room.close()


def _open_run(http: httpx.Client, token: str) -> str:
    opened = http.post(
        "/v1/contracts/c-12/psi",
        json={"kind": "psi", "partner_set_size": ANNOUNCED, "mode": "cardinality"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert opened.status_code == 201, opened.text
    return str(opened.json()["job_id"])


def _junk(mib: int) -> Iterator[bytes]:
    chunk = b"\xa5" * MIB  # one buffer, sent again and again: the client holds 1 MiB
    for _ in range(mib):
        yield chunk


def _peak_growth_mib(send: object) -> float:
    """How far this process's peak resident memory (server included) rose during ``send``."""
    status = Path("/proc/self/status")

    def kib(field: str) -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith(field))
        return int(line.split()[1])

    # Resets the peak to the current size: the process's own counter, nothing on the host.
    Path("/proc/self/clear_refs").write_text("5")
    before = kib("VmRSS:")
    assert callable(send)
    send()
    return (kib("VmHWM:") - before) / 1024


def _refused(response: httpx.Response | None) -> None:
    # The server answers 413 before reading the rest; a client still sending may see
    # the connection closed instead of the answer, which refuses the body as well.
    if response is not None:
        assert response.status_code == 413, response.text
        assert "protocol message is larger" in response.json()["detail"]


def _post(
    http: httpx.Client,
    url: str,
    token: str,
    content: bytes | Iterator[bytes],
    headers: dict[str, str] | None = None,
) -> httpx.Response | None:
    try:
        return http.post(
            url,
            content=content,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/octet-stream",
                **(headers or {}),
            },
        )
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None


@pytest.mark.parametrize(
    "declared",
    [True, False],
    # Without a length a generator body goes chunked: cut off as it streams.
    ids=["refused-by-its-declared-length", "cut-off-as-it-streams"],
)
def test_a_junk_message_is_refused_before_the_server_holds_it(
    world: tuple[World, str], declared: bool
) -> None:
    built, url = world
    token = built.tokens["recipient"]
    headers = {"Content-Length": str(JUNK_MIB * MIB)} if declared else None
    with httpx.Client(base_url=url, timeout=60) as http:
        job = _open_run(http, token)
        path = f"/v1/psi/{job}/messages"
        responses: list[httpx.Response | None] = []

        def send() -> None:
            responses.append(_post(http, path, token, content=_junk(JUNK_MIB), headers=headers))

        growth = _peak_growth_mib(send)
    _refused(responses[0])
    assert growth < 50, f"the server's memory grew by {growth:.0f} MiB for a refused message"


def test_the_cap_follows_the_announced_set_not_only_the_server_limit(
    world: tuple[World, str],
) -> None:
    built, url = world
    token = built.tokens["recipient"]
    cap = max_message_bytes(ANNOUNCED)
    assert cap < 4 * MIB  # far below the server-wide limit of 512 MiB
    with httpx.Client(base_url=url, timeout=60) as http:
        job = _open_run(http, token)
        response = _post(http, f"/v1/psi/{job}/messages", token, content=b"\0" * (cap + 1))
        _refused(response)
        assert response is not None  # a body this small is sent whole: the answer arrives
        # The run was not touched by a body it never read: its next message is still
        # judged by the protocol (and this one, being junk, fails the run).
        small = _post(http, f"/v1/psi/{job}/messages", token, content=b"\0" * 64)
        assert small is not None
        assert small.status_code == 400, small.text


def test_a_stranger_learns_nothing_from_the_cap(world: tuple[World, str]) -> None:
    built, url = world
    with httpx.Client(base_url=url, timeout=60) as http:
        job = _open_run(http, built.tokens["recipient"])
        response = _post(http, f"/v1/psi/{job}/messages", built.tokens["owner"], content=b"\0" * 64)
    assert response is not None
    assert response.status_code in (403, 404), response.text
