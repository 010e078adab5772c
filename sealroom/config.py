"""Settings: where the data lives, which database and key device are used, and the limits.

Read from the environment (``SEALROOM_*``), over an optional ``config.toml`` in the
data directory, over embedded defaults; a fresh machine needs none of them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from sealroom.errors import ConfigError

KeyProvider = Literal["passphrase", "pkcs11"]
SandboxBackend = Literal["auto", "bwrap", "docker"]
DatasetAlgorithm = Literal["aes-256-gcm", "sm4-gcm"]

GIB = 1024**3


@dataclass(frozen=True)
class Pkcs11Settings:
    library: str = "/usr/lib/softhsm/libsofthsm2.so"
    token_label: str = "sealroom"  # noqa: S105 - a token label, not a secret
    pin: str | None = None


@dataclass(frozen=True)
class Limits:
    max_dataset_bytes: int = 4 * GIB
    max_dataset_rows: int = 50_000_000


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    key_provider: KeyProvider = "passphrase"
    pkcs11: Pkcs11Settings = field(default_factory=Pkcs11Settings)
    limits: Limits = field(default_factory=Limits)
    default_algorithm: DatasetAlgorithm = "aes-256-gcm"
    sandbox_backend: SandboxBackend = "auto"
    # PSI's per-element work: local worker processes (1: in the server's own process),
    # or the tasks of a Ray cluster of the owner's own when an address is set.
    psi_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    ray_address: str | None = None
    # ``sealroom serve`` keeps the owner's share of each contract's next PSI run made
    # ahead, at the lowest CPU priority (``service.psi_ahead``).
    psi_ahead: bool = True
    psi_ahead_max_rows: int = 1_000_000  # larger datasets: the share is made at opening

    @property
    def master_key_file(self) -> Path:
        return self.home / "master.key"

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)


def default_home() -> Path:
    return Path(os.environ.get("SEALROOM_HOME") or Path.home() / ".sealroom").expanduser()


def load_settings(home: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    home = (home or Path(env.get("SEALROOM_HOME") or Path.home() / ".sealroom")).expanduser()
    file_values = _read_config_file(home / "config.toml")

    def pick(key: str, default: str) -> str:
        return env.get(f"SEALROOM_{key.upper()}") or str(file_values.get(key, default))

    provider = pick("key_provider", "passphrase")
    if provider not in ("passphrase", "pkcs11"):
        raise ConfigError(
            f"SEALROOM_KEY_PROVIDER is {provider!r}: set it to 'passphrase' or 'pkcs11'"
        )
    algorithm = pick("default_algorithm", "aes-256-gcm")
    if algorithm not in ("aes-256-gcm", "sm4-gcm"):
        raise ConfigError(f"default_algorithm is {algorithm!r}: use 'aes-256-gcm' or 'sm4-gcm'")
    backend = pick("sandbox_backend", "auto")
    if backend not in ("auto", "bwrap", "docker"):
        raise ConfigError(f"SEALROOM_SANDBOX_BACKEND is {backend!r}: use auto, bwrap or docker")
    pin = env.get("SEALROOM_PKCS11_PIN") or file_values.get("pkcs11_pin")
    return Settings(
        home=home,
        database_url=pick("database_url", f"sqlite:///{home / 'sealroom.db'}"),
        key_provider=provider,  # type: ignore[arg-type]
        pkcs11=Pkcs11Settings(
            library=pick("pkcs11_library", Pkcs11Settings.library),
            token_label=pick("pkcs11_token", Pkcs11Settings.token_label),
            pin=str(pin) if pin is not None else None,
        ),
        limits=Limits(
            max_dataset_bytes=_positive_int(pick, "max_dataset_bytes", Limits.max_dataset_bytes),
            max_dataset_rows=_positive_int(pick, "max_dataset_rows", Limits.max_dataset_rows),
        ),
        default_algorithm=algorithm,  # type: ignore[arg-type]
        sandbox_backend=backend,  # type: ignore[arg-type]
        psi_workers=_positive_int(pick, "psi_workers", os.cpu_count() or 1),
        ray_address=pick("ray_address", "") or None,
        psi_ahead=_flag(pick, "psi_ahead", default=True),
        psi_ahead_max_rows=_positive_int(pick, "psi_ahead_max_rows", 1_000_000),
    )


def _flag(pick: Callable[[str, str], str], key: str, *, default: bool) -> bool:
    raw = pick(key, "true" if default else "false").strip().lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"{key} is {raw!r}: give true or false")
    return raw in ("true", "1", "yes")


def _positive_int(pick: Callable[[str, str], str], key: str, default: int) -> int:
    raw = pick(key, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} is {raw!r}: give a whole number") from None
    if value <= 0:
        raise ConfigError(f"{key} is {value}: it must be positive")
    return value


def _read_config_file(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML ({err}): fix or delete it") from None
