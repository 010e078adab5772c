"""`sealroom serve`: the REST API under uvicorn, on loopback unless told otherwise."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from sealroom.cli.session import console, opened
from sealroom.cli.stopping import exit_on_sigterm
from sealroom.errors import ConfigError

DEFAULT_PORT = 8737


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    plain_http: Annotated[
        bool, typer.Option(help="Serve plain HTTP beyond loopback (behind a TLS proxy only).")
    ] = False,
) -> None:
    """Serve the REST API (OpenAPI document at /openapi.json, docs at /docs)."""
    if (tls_cert is None) != (tls_key is None):
        raise ConfigError("give both --tls-cert and --tls-key, or neither")
    if not _is_loopback(host) and tls_cert is None and not plain_http:
        raise ConfigError(
            f"refusing to serve tokens in clear on {host}: pass --tls-cert and --tls-key, or "
            "--plain-http if a TLS proxy sits in front"
        )
    # The web stack loads only for this command: the rest of the CLI does without it.
    import uvicorn

    from sealroom.api import ApiLimits, create_app
    from sealroom.api.routes.datasets import sweep_uploads
    from sealroom.service.psi import fail_abandoned_runs, make_shares_ahead
    from sealroom.service.psi_ahead import PsiAhead

    exit_on_sigterm()
    with opened() as room:
        room.keyring()  # opened once here, not by the first request
        if swept := sweep_uploads(room):
            console.print(f"removed {swept} upload(s) a stopped server left unfinished")
        if failed := fail_abandoned_runs(room):
            console.print(f"failed {len(failed)} PSI run(s) a stopped server left mid-protocol")
        if room.settings.psi_ahead:
            room.open_psi_runner()  # its workers start now, not when a partner is waiting
            room.psi_ahead = PsiAhead(room.settings.psi_workers)
            if started := make_shares_ahead(room):
                console.print(f"making the owner's share of {started} PSI run(s) ahead")
        limits = ApiLimits(max_upload_bytes=room.settings.limits.max_dataset_bytes)
        app = create_app(room, limits)
        scheme = "https" if tls_cert else "http"
        console.print(f"serving Sealroom on {scheme}://{host}:{port} (OpenAPI at /openapi.json)")
        uvicorn.run(
            app,
            host=host,
            port=port,
            timeout_keep_alive=limits.keep_alive_seconds,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            log_level="info",
            server_header=False,
        )
