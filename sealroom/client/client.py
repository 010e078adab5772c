"""The SDK: one typed method per API call, for scientists, owners, auditors and the CLI.

    client = Client("http://127.0.0.1:8737", token=os.environ["SEALROOM_TOKEN"])
    client.datasets()                       # [Dataset(customers v1, owner=acme-cn, ...)]
    client.register_dataset("customers.parquet", owner="acme-cn")   # with a progress bar

Signing happens here, on the caller's machine: ``sign_step`` downloads the
contract, checks that its hash is what the server says and that the key pinned
for the party is the caller's own, and only then signs with the caller's key
(``sealroom.client.signing``). The calls of jobs, reviews and results are in
``sealroom.client.jobs``; how a request travels, in ``sealroom.client.http``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from rich.console import Console

from contracts import ActionKind, Contract, Role
from kms import PartyKeyPair, PartyPublicKeys
from sealroom.client import signing
from sealroom.client.errors import ApiError
from sealroom.client.http import DEFAULT_TIMEOUT, Connection, segment
from sealroom.client.jobs import RemoteJobs
from sealroom.client.models import (
    AuditEventInfo,
    AuditExportInfo,
    ContractInfo,
    DatasetInfo,
    Health,
    IssuedTokenInfo,
    LeakageLedgerInfo,
    NewParty,
    NewToken,
    PartyInfo,
    PlatformStep,
    PublicKeysInfo,
    TokenInfo,
    WhoAmI,
)
from sealroom.client.protocol import DebugSampleInfo
from sealroom.client.results import write_files
from sealroom.client.signing import ContractMismatch

if TYPE_CHECKING:
    from sealroom.client.psi_run import PsiTransport

# ContractMismatch and write_files live with signing and results; importable from here too.
__all__ = ["UPLOAD_TYPES", "Client", "ContractMismatch", "public_keys_json", "write_files"]

UPLOAD_TYPES = {".parquet": "application/vnd.apache.parquet", ".csv": "text/csv"}


class Client(RemoteJobs):
    """A connection to one Sealroom server, acting with one API token.

    It answers ``SealroomClient`` (``sealroom.client.protocol``), as the local store does.
    """

    # A server never sends a private key over the network.
    issues_key_pairs = False

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        progress: bool = True,
        console: Console | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._server = Connection(
            base_url,
            token,
            timeout=timeout,
            progress=progress,
            console=console or Console(stderr=True),
            transport=transport,
        )
        self.base_url = self._server.base_url

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Client:
        """The server and token from ``SEALROOM_SERVER`` and ``SEALROOM_TOKEN``."""
        env = os.environ if environ is None else environ
        url, token = env.get("SEALROOM_SERVER"), env.get("SEALROOM_TOKEN")
        if not url or not token:
            raise ApiError(
                "no server to talk to: set SEALROOM_SERVER to its URL and SEALROOM_TOKEN to "
                "the API token the administrator issued you",
                0,
            )
        return cls(url, token, **options)

    def __repr__(self) -> str:
        return f"Client({self.base_url})"  # never the token

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- system and parties ---------------------------------------------------

    def health(self) -> Health:
        return self._server.get("/v1/health", Health)

    def me(self) -> WhoAmI:
        return self._server.get("/v1/me", WhoAmI)

    def parties(self) -> list[PartyInfo]:
        return self._server.get_list("/v1/parties", PartyInfo)

    def party(self, name: str) -> PartyInfo:
        return self._server.get(f"/v1/parties/{segment(name)}", PartyInfo)

    def add_party(
        self,
        name: str,
        public_keys: PartyPublicKeys,
        *,
        kind: str = "organisation",
        organisation: str | None = None,
        display_name: str = "",
    ) -> PartyInfo:
        """Registers a party's own public keys (administrator only)."""
        body = NewParty(
            name=name,
            kind=kind,
            organisation=organisation,
            display_name=display_name,
            public_keys=PublicKeysInfo(**public_keys.to_json()),
        )
        return self._server.post("/v1/parties", PartyInfo, body)

    def add_party_issuing_keys(
        self,
        name: str,
        key_file: Path,
        passphrase: str,
        *,
        kind: str = "organisation",
        organisation: str | None = None,
        display_name: str = "",
    ) -> PartyInfo:
        """Refused: a server never sends a private key over the network."""
        raise ApiError(
            f"{self.base_url} issues no key pairs: the server never sends a private key over "
            f"the network; {name} generates its own (`sealroom keys generate`) and you "
            "register the public half with add_party",
            0,
        )

    # -- tokens ---------------------------------------------------------------

    def issue_token(
        self, party: str, scopes: list[str] | None = None, *, label: str = "", days: int = 30
    ) -> IssuedTokenInfo:
        body = NewToken(
            party=party,
            scopes=scopes or ["read", "write"],
            label=label,
            days=days,
        )
        return self._server.post("/v1/tokens", IssuedTokenInfo, body)

    def tokens(self, party: str | None = None) -> list[TokenInfo]:
        return self._server.get_list("/v1/tokens", TokenInfo, party=party)

    def revoke_token(self, token_id: str) -> TokenInfo:
        return TokenInfo.model_validate(
            self._server.send("DELETE", f"/v1/tokens/{segment(token_id)}").json()
        )

    # -- datasets -------------------------------------------------------------

    def datasets(self) -> list[DatasetInfo]:
        return self._server.get_list("/v1/datasets", DatasetInfo)

    def dataset(self, name: str, version: int | None = None) -> DatasetInfo:
        return self._server.get(f"/v1/datasets/{segment(name)}", DatasetInfo, version=version)

    def register_dataset(
        self,
        file: str | Path,
        *,
        owner: str,
        name: str | None = None,
        classify: dict[str, str] | None = None,
        algorithm: str | None = None,
        encoding: str | None = None,
    ) -> DatasetInfo:
        """Streams FILE (Parquet or CSV) to the server, never holding it in memory."""
        path = Path(file)
        media = UPLOAD_TYPES.get(path.suffix.lower())
        if media is None:
            raise ApiError(
                f"{path.name} is neither .parquet nor .csv: the server registers only those", 0
            )
        dataset = name or path.stem.lower().replace("_", "-")
        params: list[tuple[str, str]] = [("owner", owner), ("filename", path.name)]
        params += [("classify", f"{c}={lvl}") for c, lvl in (classify or {}).items()]
        if algorithm:
            params.append(("algorithm", algorithm))
        if encoding:
            params.append(("encoding", encoding))
        response = self._server.upload(f"/v1/datasets/{segment(dataset)}", path, media, params)
        return DatasetInfo.model_validate(response.json())

    def wrapping_key(self, name: str, version: int) -> str | None:
        """None: the master key's id stays on the server (the API does not publish it)."""
        return None

    def debug_samples(self, dataset: str) -> list[DebugSampleInfo]:
        """None listed: the debug samples have no endpoint; they stay on the server."""
        return []

    # -- contracts ------------------------------------------------------------

    def contracts(self) -> list[ContractInfo]:
        return self._server.get_list("/v1/contracts", ContractInfo)

    def contract(self, contract_id: str, version: int | None = None) -> ContractInfo:
        return self._server.get(
            f"/v1/contracts/{segment(contract_id)}", ContractInfo, version=version
        )

    def contract_leakage(self, contract_id: str) -> LeakageLedgerInfo:
        return self._server.get(f"/v1/contracts/{segment(contract_id)}/leakage", LeakageLedgerInfo)

    def propose_contract(self, document: str | Path) -> ContractInfo:
        text = document.read_text("utf-8") if isinstance(document, Path) else document
        response = self._server.send(
            "POST",
            "/v1/contracts",
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/yaml"},
        )
        return ContractInfo.model_validate(response.json())

    def signed_contract(self, contract_id: str, out: Path, version: int | None = None) -> Path:
        """Writes the signed contract file `sealroom contract verify` checks offline."""
        params = {"version": version} if version else None
        out.write_bytes(
            self._server.send(
                "GET", f"/v1/contracts/{segment(contract_id)}/signed", params=params
            ).content
        )
        return out

    def verified_contract(self, info: ContractInfo, party: str, keys: PartyKeyPair) -> Contract:
        """The contract as the caller will sign it, once its hash and pinned key check out."""
        return signing.verified_contract(info, party, keys)

    def sign_step(
        self,
        contract_id: str,
        action: ActionKind | str,
        *,
        party: str,
        role: Role | str,
        keys: PartyKeyPair,
        version: int | None = None,
        now: datetime | None = None,
    ) -> ContractInfo:
        """Signs ``action`` on the caller's side with ``keys`` and sends the signature."""
        info = self.contract(contract_id, version)
        contract = self.verified_contract(info, party, keys)
        body = signing.signed_step(
            contract,
            action,
            party=party,
            role=role,
            keys=keys,
            signed_at=now or datetime.now(UTC),
        )
        return self._server.post(f"/v1/contracts/{segment(contract_id)}/steps", ContractInfo, body)

    def platform_step(
        self, contract_id: str, action: str = "approve", version: int | None = None
    ) -> ContractInfo:
        """Asks the service to sign as the platform (platform staff only)."""
        body = PlatformStep(action=action, version=version)
        return self._server.post(
            f"/v1/contracts/{segment(contract_id)}/platform-steps", ContractInfo, body
        )

    def wait_for_contract(
        self, contract_id: str, state: str = "active", *, timeout: float = 600, poll: float = 2
    ) -> ContractInfo:
        """Waits (with a spinner) until the contract reaches ``state``."""
        deadline = time.monotonic() + timeout
        with (
            self._server.console.status(
                f"waiting for {contract_id} to become {state}", spinner="dots"
            )
            if self._server.progress
            else nullcontext()
        ):
            while True:
                info = self.contract(contract_id)
                if info.state == state:
                    return info
                if info.state in ("revoked", "expired") or time.monotonic() > deadline:
                    raise ApiError(
                        f"{contract_id} is {info.state}, not {state}, after waiting: ask its "
                        "parties what is missing",
                        0,
                    )
                time.sleep(poll)

    # -- PSI (the partner's side runs in sealroom.client.psi_run) ---------------

    def psi_transport(self, platform_key: PartyPublicKeys | None = None) -> PsiTransport:
        """PSI over this connection; ``platform_key`` pinned, else the one the server publishes."""
        from sealroom.client.psi_http import HttpPsiTransport  # noqa: PLC0415 (the psi extra)

        return HttpPsiTransport(self, platform_key)

    # -- audit ----------------------------------------------------------------

    def audit_export(self, out_dir: Path) -> AuditExportInfo:
        """Writes the three files of `sealroom audit export` into ``out_dir``."""
        export = self._server.get("/v1/audit/export", AuditExportInfo)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "audit-log.jsonl").write_text(export.log, encoding="utf-8")
        (out_dir / "tree-head.json").write_text(export.tree_head, encoding="utf-8")
        (out_dir / "platform.pub.json").write_text(export.platform_key, encoding="utf-8")
        return export

    def audit_events(
        self,
        *,
        contract: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEventInfo]:
        """The newest ``limit`` events (the server's default: 1000) matching the filters.

        The API filters by time on this side: ``since`` inclusive, ``until`` not.
        """
        found = self._server.get_list(
            "/v1/audit/events",
            AuditEventInfo,
            contract=contract,
            actor=actor,
            action=action,
            job=job,
            limit=limit,
        )
        return [
            e
            for e in found
            if (since is None or _moment(e.timestamp) >= since)
            and (until is None or _moment(e.timestamp) < until)
        ]


def _moment(timestamp: str) -> datetime:
    """An event's time as the log writes it (``2026-11-23T08:00:00.000000Z``)."""
    return datetime.fromisoformat(timestamp).astimezone(UTC)


def public_keys_json(keys: PartyPublicKeys) -> str:
    return json.dumps(keys.to_json(), indent=2) + "\n"
