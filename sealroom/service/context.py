"""The application context: settings, the opened store, the keyring and the clock.

Everything a command needs is reached through one ``Sealroom`` object, so the CLI,
the API and tests wire the same things in the same way, and tests inject a clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kms import Keyring, PassphraseKeyring, Pkcs11Keyring
from sealroom.config import Settings
from sealroom.errors import ConfigError
from sealroom.service.leases import Heartbeat
from sealroom.service.psi_runners import make_psi_runner
from sealroom.service.psi_runs import PsiRuns
from sealroom.store.database import create_store_engine, ensure_current, session_factory

if TYPE_CHECKING:
    from jobs.psi.runners import ShardRunner
    from sealroom.service.psi_ahead import PsiAhead

Clock = Callable[[], datetime]
PassphraseSource = Callable[[], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Sealroom:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    passphrase: PassphraseSource
    clock: Clock = utc_now
    _keyring: Keyring | None = field(default=None, repr=False)
    # The PSI worker pool or Ray connection (``service.psi_runners``), made on first use
    # by ``open_psi_runner``.
    psi_runner: ShardRunner | None = field(default=None, repr=False)
    # The owner's shares of next PSI runs, made ahead (``service.psi_ahead``); None: off.
    psi_ahead: PsiAhead | None = field(default=None, repr=False)
    # The owner's open PSI runs; a copy of the room (``dataclasses.replace``) shares them.
    psi_runs: PsiRuns = field(default_factory=PsiRuns, repr=False)
    # This process's leases on running jobs and PSI runs (``service.leases``), made on
    # first use by ``leases``.
    _leases: Heartbeat | None = field(default=None, repr=False)
    _runner_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @classmethod
    def open(
        cls, settings: Settings, passphrase: PassphraseSource, clock: Clock = utc_now
    ) -> Sealroom:
        """Opens an initialised data directory; refuses a store whose schema is behind."""
        if not settings.home.exists():
            raise ConfigError(
                f"no Sealroom data directory at {settings.home}: run `sealroom init` first"
            )
        engine = create_store_engine(settings.database_url)
        ensure_current(engine)
        return cls(settings, engine, session_factory(engine), passphrase, clock)

    def keyring(self) -> Keyring:
        """The master keys, opened on first use (only commands that touch keys prompt)."""
        if self._keyring is None:
            self._keyring = open_keyring(self.settings, self.passphrase, create=False)
        return self._keyring

    def open_psi_runner(self) -> ShardRunner:
        """The room's PSI runner, made on first use; request threads share it."""
        with self._runner_lock:
            if self.psi_runner is None:
                self.psi_runner = make_psi_runner(self.settings)
            return self.psi_runner

    def leases(self) -> Heartbeat:
        """This room's leases on the jobs and PSI runs it holds, renewed while it is open."""
        with self._runner_lock:
            if self._leases is None:
                self._leases = Heartbeat(self.sessions, self.clock, also=self.psi_runs.job_ids)
                self._leases.start()
            return self._leases

    def close(self) -> None:
        leases, self._leases = self._leases, None
        if leases is not None:
            leases.close()
        self.psi_runs.close()
        ahead, self.psi_ahead = self.psi_ahead, None
        if ahead is not None:
            ahead.close()
        runner, self.psi_runner = self.psi_runner, None
        close_runner = getattr(runner, "close", None)
        if close_runner is not None:
            close_runner()
        self.engine.dispose()


def open_keyring(settings: Settings, passphrase: PassphraseSource, *, create: bool) -> Keyring:
    if settings.key_provider == "pkcs11":
        pin = settings.pkcs11.pin
        if pin is None:
            raise ConfigError(
                "the PKCS#11 key provider needs the token PIN: set SEALROOM_PKCS11_PIN"
            )
        return Pkcs11Keyring.open(settings.pkcs11.library, settings.pkcs11.token_label, pin)
    if create and not settings.master_key_file.exists():
        return PassphraseKeyring.create(settings.master_key_file, passphrase())
    return PassphraseKeyring.open(settings.master_key_file, passphrase())
