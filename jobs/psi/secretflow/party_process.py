"""One secretflow party as a child process in the engine's own environment.

The core never imports ``spu`` (it pins numpy<2); it writes the party's inputs into
a private 0700 directory, starts ``party.py`` under the engine's python,
and reads the result files back. The directory (identifiers, TLS key, result) is
removed when the party is closed, whatever happened; a party that overruns its
timeout, or whose run is aborted, is killed with its whole process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jobs.psi.errors import EngineEnvironmentMissing, LinkFailed, LinkTimedOut
from kms import LinkCertificate

ENGINE = "secretflow"
PYTHON_SETTING = "SEALROOM_SECRETFLOW_PYTHON"
DEFAULT_PYTHON = Path("/var/lib/sealroom/engines/secretflow/bin/python")
ENV_SCRIPT = "scripts/secretflow-env.sh"
PARTY_PROGRAM = Path(__file__).with_name("party.py")
ID_COLUMN = "id"
ROW_COLUMN = "row"


def engine_python() -> Path:
    """The engine env's python: the setting if given, else where the build script puts it."""
    configured = os.environ.get(PYTHON_SETTING)
    python = Path(configured) if configured else DEFAULT_PYTHON
    if not python.exists():
        raise EngineEnvironmentMissing(ENGINE, str(python), PYTHON_SETTING, ENV_SCRIPT)
    return python


def encode_ids(ids: Iterable[str]) -> Iterator[str]:
    # Hex keeps every identifier one CSV field whatever it contains (commas, quotes,
    # "NULL", which spu's CSV reader would otherwise treat as a missing value).
    for identifier in ids:
        yield identifier.encode().hex()


@dataclass(frozen=True)
class PartySpec:
    """What one party needs to join the link; becomes the program's JSON spec."""

    session_id: str
    rank: int
    receiver_rank: int
    protocol: str
    addresses: tuple[str, str]
    connect_timeout_seconds: int
    run_timeout_seconds: int


class PartyProcess:
    """One party's private directory and child process; ``close()`` always."""

    def __init__(self, role: str, python: Path | None = None) -> None:
        self.role = role
        self._python = python or engine_python()
        self.directory = Path(tempfile.mkdtemp(prefix=f"sealroom-{ENGINE}-{role}-"))
        self.directory.chmod(0o700)
        self._process: subprocess.Popen[bytes] | None = None
        self._timeout = 0.0

    @property
    def ids_file(self) -> Path:
        return self.directory / "ids.csv"

    @property
    def output_file(self) -> Path:
        return self.directory / "matched.csv"

    def write_ids(self, ids: Iterable[str]) -> None:
        # The row number rides along as a second column: spu copies it into the
        # receiver's output, which then names matched rows without a lookup table.
        with self.ids_file.open("w") as out:
            out.write(f"{ID_COLUMN},{ROW_COLUMN}\n")
            out.writelines(f"{encoded},{row}\n" for row, encoded in enumerate(encode_ids(ids)))

    def matched_rows(self) -> list[int]:
        """The receiver's matched row numbers, in the order spu wrote them."""
        with self.output_file.open() as matched:
            header = next(matched, "").strip().replace('"', "").split(",")
            if ROW_COLUMN not in header:
                raise LinkFailed(self.role, "its output has no row column")
            column = header.index(ROW_COLUMN)
            return [int(line.split(",")[column].strip('"\n')) for line in matched]

    def write_identity(self, own: LinkCertificate, peer_certificate_pem: bytes) -> None:
        key = self.directory / "self.key"
        key.touch(mode=0o600)
        key.write_bytes(own.key_pem)
        (self.directory / "self.crt").write_bytes(own.certificate_pem)
        (self.directory / "peer.crt").write_bytes(peer_certificate_pem)

    def start(self, spec: PartySpec) -> None:
        """Starts the party; it listens on its own address and dials the peer's."""
        spec_file = self.directory / "spec.json"
        spec_file.write_text(
            json.dumps(
                {
                    "session": spec.session_id,
                    "rank": spec.rank,
                    "receiver_rank": spec.receiver_rank,
                    "protocol": spec.protocol,
                    "addresses": list(spec.addresses),
                    "ids_file": str(self.ids_file),
                    "output_file": str(self.output_file),
                    "result_file": str(self.directory / "result.json"),
                    "certificate": str(self.directory / "self.crt"),
                    "private_key": str(self.directory / "self.key"),
                    "peer_certificate": str(self.directory / "peer.crt"),
                    "connect_timeout_seconds": spec.connect_timeout_seconds,
                    "receive_timeout_seconds": spec.run_timeout_seconds,
                }
            )
        )
        # TMPDIR is left at /tmp on purpose: spu 0.9.5 pointed at the private directory
        # aborted (SIGABRT) in 2 of 12 runs here at start-up, never with /tmp. spu
        # removes its own bucket directory there when psi_execute ends.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        with (self.directory / "party.log").open("wb") as log:
            self._process = subprocess.Popen(
                [str(self._python), str(PARTY_PROGRAM), str(spec_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.directory,
                env=env,
                start_new_session=True,  # its own process group, so a kill reaches all of it
            )
        self._timeout = float(spec.connect_timeout_seconds + spec.run_timeout_seconds)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait(self, timeout: float | None = None) -> dict[str, int]:
        """The party's result; ``LinkFailed`` or ``LinkTimedOut`` (after a kill) otherwise."""
        if self._process is None:
            raise LinkFailed(self.role, "it was never started")
        limit = self._timeout if timeout is None else timeout
        try:
            code = self._process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.kill()
            raise LinkTimedOut(self.role, limit) from None
        if code != 0:
            raise LinkFailed(self.role, self._failure_line(code))
        result = json.loads((self.directory / "result.json").read_text())
        if not isinstance(result, dict):
            raise LinkFailed(self.role, "its result file is not a JSON object")
        return {str(k): int(v) for k, v in result.items()}

    def _failure_line(self, code: int) -> str:
        try:
            lines = (self.directory / "party.log").read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        said = [line for line in lines if line.startswith("secretflow party:")]
        if said:
            return said[-1].removeprefix("secretflow party:").strip()
        return f"it exited with status {code}"

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # It may have ended between the poll and the kill.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def close(self) -> None:
        """Kills the party if it still runs and removes its directory with every file in it."""
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __del__(self) -> None:
        # A session dropped without close() must not leave identifiers on disk; at
        # interpreter exit the modules this needs may be gone already, hence the guard.
        try:
            if self.directory.exists():
                self.close()
        except Exception:  # noqa: S110 - nothing can be reported from a finaliser
            pass
