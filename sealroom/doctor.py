"""What this machine gives Sealroom, and the one command that adds what is missing."""

from __future__ import annotations

import importlib.util
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from sandbox import SandboxError, check_run_isolation, default_work_root
from sealroom.config import Settings
from sealroom.errors import SealroomError
from sealroom.store.database import (
    create_store_engine,
    current_revision,
    display_url,
    head_revision,
)


@dataclass(frozen=True)
class Finding:
    part: str
    ok: bool
    detail: str
    fix: str = ""


def check_data_directory(settings: Settings) -> Finding:
    home = settings.home
    if not home.exists():
        return Finding("data directory", False, f"{home} does not exist", "sealroom init")
    return Finding("data directory", True, str(home))


def check_database(settings: Settings) -> Finding:
    shown = display_url(settings.database_url)
    if settings.database_url.startswith("sqlite:///"):
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        if not path.exists():
            return Finding("database", False, f"{shown}: not created yet", "sealroom init")
    try:
        engine = create_store_engine(settings.database_url)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except SealroomError as err:
        return Finding("database", False, f"{shown}: {err.message}", "check SEALROOM_DATABASE_URL")
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return Finding(
            "database",
            False,
            f"{shown}: unreachable ({first})",
            "check SEALROOM_DATABASE_URL and that the server runs",
        )
    head = head_revision()
    if current != head:
        return Finding(
            "database",
            False,
            f"{shown}: schema {current or 'empty'}, needs {head}",
            "sealroom init",
        )
    return Finding("database", True, f"{shown} (schema {head})")


def check_key_provider(settings: Settings) -> Finding:
    if settings.key_provider == "pkcs11":
        lib = Path(settings.pkcs11.library)
        if not lib.exists():
            return Finding(
                "key provider",
                False,
                f"PKCS#11 library {lib} missing",
                "apt-get install softhsm2  (or your HSM vendor's library)",
            )
        return Finding(
            "key provider", True, f"PKCS#11 token {settings.pkcs11.token_label!r} via {lib}"
        )
    if not settings.master_key_file.exists():
        return Finding(
            "key provider",
            False,
            f"passphrase key file {settings.master_key_file} missing",
            "sealroom init",
        )
    return Finding("key provider", True, f"passphrase-sealed key file {settings.master_key_file}")


def check_bubblewrap() -> Finding:
    path = shutil.which("bwrap")
    if path is None:
        return Finding("bubblewrap", False, "not installed", "apt-get install bubblewrap")
    return Finding("bubblewrap", True, path)


def check_job_isolation(settings: Settings) -> Finding:
    """A run needs its own tmpfs and control group; without them jobs fail closed."""
    try:
        detail = check_run_isolation(default_work_root())
    except SandboxError as err:
        return Finding(
            "job limits",
            False,
            f"jobs will be refused: {err.message}",
            "run `sealroom worker` as root on a host with cgroup memory, pids and cpuacct",
        )
    return Finding("job limits", True, detail)


def check_docker() -> Finding:
    sock = Path("/var/run/docker.sock")
    if shutil.which("dockerd") is None:
        return Finding("Docker engine", False, "not installed", "apt-get install docker.io")
    if not sock.exists():
        return Finding(
            "Docker engine",
            False,
            "installed, not running",
            "dockerd --iptables=false --bridge=none &",
        )
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            client.connect(str(sock))
            client.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            answer = client.recv(64)
    except OSError as err:
        return Finding(
            "Docker engine",
            False,
            f"socket does not answer ({err.strerror})",
            "dockerd --iptables=false --bridge=none &",
        )
    if b"200" not in answer:
        return Finding(
            "Docker engine", False, "engine answered with an error", "check the dockerd log"
        )
    return Finding("Docker engine", True, str(sock))


def check_softhsm() -> Finding:
    lib = Path("/usr/lib/softhsm/libsofthsm2.so")
    if not lib.exists():
        return Finding("SoftHSM2", False, "not installed", "apt-get install softhsm2")
    return Finding("SoftHSM2", True, str(lib))


def check_postgres_client() -> Finding:
    path = shutil.which("psql")
    if path is None:
        return Finding(
            "PostgreSQL client", False, "psql not installed", "apt-get install postgresql-client"
        )
    return Finding("PostgreSQL client", True, path)


def check_ray(settings: Settings) -> Finding:
    if importlib.util.find_spec("ray") is None:
        return Finding(
            "Ray",
            False,
            "not installed (needed only for scale-out)",
            'uv pip install "ray[default]"',
        )
    if settings.ray_address is None:
        return Finding(
            "Ray",
            True,
            f"installed; PSI work runs in {settings.psi_workers} local process(es). Set "
            "SEALROOM_RAY_ADDRESS to the owner's own cluster to spread it over its nodes",
        )
    return Finding("Ray", True, f"PSI work runs on the Ray cluster at {settings.ray_address}")


def examine(settings: Settings) -> list[Finding]:
    return [
        check_data_directory(settings),
        check_database(settings),
        check_key_provider(settings),
        check_bubblewrap(),
        check_job_isolation(settings),
        check_docker(),
        check_softhsm(),
        check_postgres_client(),
        check_ray(settings),
    ]
