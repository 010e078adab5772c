"""`sealroom serve` and `sealroom token` as an operator runs them, in real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration


def sealroom(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEALROOM_KEY_PASSPHRASE": "key-pass", "SEALROOM_PARTY": "admin"}
    return subprocess.run(
        [sys.executable, "-m", "sealroom", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_operator_serves_the_api_and_a_token_reaches_it(isolated_home: Path) -> None:
    assert sealroom("init").returncode == 0
    issued = sealroom("token", "issue", "admin", "--scope", "admin", "--scope", "read")
    assert issued.returncode == 0, issued.stderr
    token = next(line for line in issued.stdout.splitlines() if line.startswith("srt_"))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sealroom", "serve", "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        me = httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["party"] == "admin" and me.json()["scopes"] == ["admin", "read"]
        assert (
            "/v1/contracts/{contract_id}/steps" in httpx.get(f"{url}/openapi.json").json()["paths"]
        )
        token_id = token.split("_")[1]
        assert sealroom("token", "revoke", token_id).returncode == 0
        refused = httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serving_tokens_in_clear_beyond_loopback_is_refused(isolated_home: Path) -> None:
    refused = sealroom("serve", "--host", "0.0.0.0")
    assert refused.returncode == 1
    assert "refusing to serve tokens in clear on 0.0.0.0" in refused.stderr
