"""The SDK: one typed method per API call, for scientists, owners, auditors and the CLI.

    client = Client("http://127.0.0.1:8737", token=os.environ["SEALROOM_TOKEN"])
    client.datasets()                       # [Dataset(customers v1, owner=acme-cn, ...)]
    client.register_dataset("customers.parquet", owner="acme-cn")   # with a progress bar

Signing happens here, on the caller's machine: ``sign_step`` downloads the
contract, checks that its hash is what the server says and that the key pinned
for the party is the caller's own, and only then signs with the caller's key.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from contracts import (
    ActionKind,
    Contract,
    Role,
    approval_message,
    contract_hash,
    load_contract,
)
from jobs import code_hash
from kms import PartyKeyPair, PartyPublicKeys, sign
from sealroom.client.errors import ApiError, ServerUnreachable, error_for
from sealroom.client.models import (
    ApprovalBody,
    AuditEventInfo,
    AuditExportInfo,
    CodeApproval,
    CodeApprovals,
    ContractInfo,
    DatasetInfo,
    FilesInfo,
    Health,
    IssuedTokenInfo,
    JobInfo,
    JobLogs,
    NewJob,
    NewParty,
    NewToken,
    NewVote,
    PartyInfo,
    PlatformStep,
    PsiOpen,
    PsiRunInfo,
    PublicKeysInfo,
    ReviewInfo,
    SealedResultInfo,
    SignedStep,
    TokenInfo,
    WhoAmI,
)
from sealroom.client.protocol import DebugSampleInfo

if TYPE_CHECKING:
    from sealroom.client.psi_run import PsiTransport

M = TypeVar("M")
UPLOAD_TYPES = {".parquet": "application/vnd.apache.parquet", ".csv": "text/csv"}
CHUNK = 1 << 20
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def _seg(value: str) -> str:
    """One path segment: a name with a slash in it cannot reach another endpoint."""
    return urllib.parse.quote(str(value), safe="")


class ContractMismatch(ApiError):
    """The contract the server sent is not one the caller should sign."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0)


class Client:
    """A connection to one Sealroom server, acting with one API token.

    It answers ``SealroomClient`` (``sealroom.client.protocol``), as the local store does.
    """

    # The API lists jobs per contract, for those who follow it.
    lists_every_job = False
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
        headers = {"User-Agent": "sealroom-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )
        self._progress = progress
        self._console = console or Console(stderr=True)

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
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise ServerUnreachable(self.base_url, type(err).__name__) from None
        if response.is_error:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:500]}
            if not isinstance(problem, dict):
                problem = {"detail": str(problem)[:500]}
            raise error_for(response.status_code, problem)
        return response

    def _get_json(self, path: str, params: dict[str, Any]) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self._send("GET", path, params=clean).json()

    def _get(self, path: str, model: type[M], **params: Any) -> M:
        return TypeAdapter(model).validate_python(self._get_json(path, params))

    def _list(self, path: str, item: type[M], **params: Any) -> list[M]:
        return TypeAdapter(list[item]).validate_python(self._get_json(path, params))  # type: ignore[valid-type]

    def _post(self, path: str, model: type[M], body: BaseModel) -> M:
        response = self._send(
            "POST",
            path,
            content=body.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        result: M = TypeAdapter(model).validate_python(response.json())
        return result

    # -- system and parties ---------------------------------------------------

    def health(self) -> Health:
        return self._get("/v1/health", Health)

    def me(self) -> WhoAmI:
        return self._get("/v1/me", WhoAmI)

    def parties(self) -> list[PartyInfo]:
        return self._list("/v1/parties", PartyInfo)

    def party(self, name: str) -> PartyInfo:
        return self._get(f"/v1/parties/{_seg(name)}", PartyInfo)

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
        return self._post("/v1/parties", PartyInfo, body)

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
        return self._post("/v1/tokens", IssuedTokenInfo, body)

    def tokens(self, party: str | None = None) -> list[TokenInfo]:
        return self._list("/v1/tokens", TokenInfo, party=party)

    def revoke_token(self, token_id: str) -> TokenInfo:
        return TokenInfo.model_validate(self._send("DELETE", f"/v1/tokens/{_seg(token_id)}").json())

    # -- datasets -------------------------------------------------------------

    def datasets(self) -> list[DatasetInfo]:
        return self._list("/v1/datasets", DatasetInfo)

    def dataset(self, name: str, version: int | None = None) -> DatasetInfo:
        return self._get(f"/v1/datasets/{_seg(name)}", DatasetInfo, version=version)

    def register_dataset(
        self,
        file: str | Path,
        *,
        owner: str,
        name: str | None = None,
        classify: dict[str, str] | None = None,
        algorithm: str | None = None,
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
        size = path.stat().st_size
        response = self._send(
            "POST",
            f"/v1/datasets/{_seg(dataset)}",
            params=params,
            content=self._chunks(path, size, f"uploading {path.name}"),
            headers={"Content-Type": media, "Content-Length": str(size)},
            timeout=httpx.Timeout(300.0, connect=5.0),
        )
        return DatasetInfo.model_validate(response.json())

    def wrapping_key(self, name: str, version: int) -> str | None:
        """None: the master key's id stays on the server (the API does not publish it)."""
        return None

    def debug_samples(self, dataset: str) -> list[DebugSampleInfo]:
        """None listed: the debug samples have no endpoint; they stay on the server."""
        return []

    def _chunks(self, path: Path, size: int, label: str) -> Iterator[bytes]:
        with path.open("rb") as source, self._bar() as bar:
            task = bar.add_task(label, total=size)
            while chunk := source.read(CHUNK):
                bar.advance(task, len(chunk))
                yield chunk

    def _bar(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            disable=not self._progress,
            transient=True,
        )

    # -- contracts ------------------------------------------------------------

    def contracts(self) -> list[ContractInfo]:
        return self._list("/v1/contracts", ContractInfo)

    def contract(self, contract_id: str, version: int | None = None) -> ContractInfo:
        return self._get(f"/v1/contracts/{_seg(contract_id)}", ContractInfo, version=version)

    def propose_contract(self, document: str | Path) -> ContractInfo:
        text = document.read_text("utf-8") if isinstance(document, Path) else document
        response = self._send(
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
            self._send("GET", f"/v1/contracts/{_seg(contract_id)}/signed", params=params).content
        )
        return out

    def verified_contract(self, info: ContractInfo, party: str, keys: PartyKeyPair) -> Contract:
        """The contract as the caller will sign it, after checking it locally.

        The hash is recomputed here rather than trusted, and the key the contract
        pinned for ``party`` must be the caller's own: a server that swapped either
        would otherwise collect a signature on something the party never saw.
        """
        contract = load_contract(info.document, f"{info.id} v{info.version}")
        if contract_hash(contract) != info.contract_hash:
            raise ContractMismatch(
                f"the document of {info.id} v{info.version} does not hash to the hash the "
                "server reports: do not sign it; tell the platform operator"
            )
        pinned = contract.party(party)
        own = base64.b64encode(keys.public.ed25519).decode("ascii")
        if pinned is None or pinned.public_key != own:
            raise ContractMismatch(
                f"{info.id} v{info.version} does not pin your signing key for {party}: do not "
                "sign it; compare your key fingerprint with `sealroom party show`"
            )
        return contract

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
        step_action, step_role = ActionKind(action), Role(role)
        signed_at = now or datetime.now(UTC)
        message = approval_message(
            contract, party=party, role=step_role, action=step_action, signed_at=signed_at
        )
        body = SignedStep(
            version=contract.version,
            approval=ApprovalBody(
                party=party,
                role=step_role.value,
                action=step_action.value,
                signed_at=signed_at,
                signature=base64.b64encode(sign(keys, message)).decode("ascii"),
            ),
        )
        return self._post(f"/v1/contracts/{_seg(contract_id)}/steps", ContractInfo, body)

    def platform_step(
        self, contract_id: str, action: str = "approve", version: int | None = None
    ) -> ContractInfo:
        """Asks the service to sign as the platform (platform staff only)."""
        body = PlatformStep(action=action, version=version)
        return self._post(f"/v1/contracts/{_seg(contract_id)}/platform-steps", ContractInfo, body)

    def wait_for_contract(
        self, contract_id: str, state: str = "active", *, timeout: float = 600, poll: float = 2
    ) -> ContractInfo:
        """Waits (with a spinner) until the contract reaches ``state``."""
        deadline = time.monotonic() + timeout
        with (
            self._console.status(f"waiting for {contract_id} to become {state}", spinner="dots")
            if self._progress
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

    # -- jobs, reviews, results ----------------------------------------------

    def submit_job(
        self,
        contract_id: str,
        code: str | Path,
        *,
        mode: str = "debug",
        code_name: str | None = None,
    ) -> JobInfo:
        """Submits a script (a path, or its text with ``code_name``) under the contract."""
        if isinstance(code, Path):
            text, name = code.read_text("utf-8"), code_name or code.name
        else:
            text, name = code, code_name or "analysis.py"
        body = NewJob(code_name=name, code=text, mode=mode)
        return self._post(f"/v1/contracts/{_seg(contract_id)}/jobs", JobInfo, body)

    def jobs(self, contract_id: str) -> list[JobInfo]:
        return self._list(f"/v1/contracts/{_seg(contract_id)}/jobs", JobInfo)

    def every_job(self) -> list[JobInfo]:
        """Refused: the API lists jobs per contract (``jobs``), for those who follow it."""
        raise ApiError(
            "the API lists jobs per contract, for those who follow it: call jobs(contract_id)", 0
        )

    def job(self, job_id: str) -> JobInfo:
        return self._get(f"/v1/jobs/{_seg(job_id)}", JobInfo)

    def job_logs(self, job_id: str) -> JobLogs:
        return self._get(f"/v1/jobs/{_seg(job_id)}/logs", JobLogs)

    def cancel_job(self, job_id: str) -> JobInfo:
        return JobInfo.model_validate(self._send("POST", f"/v1/jobs/{_seg(job_id)}/cancel").json())

    def debug_outputs(self, job_id: str, out_dir: Path | None = None) -> dict[str, bytes]:
        """A debug run's outputs; written into ``out_dir`` too when given."""
        info = self._get(f"/v1/jobs/{_seg(job_id)}/outputs", FilesInfo)
        files = {name: base64.b64decode(data) for name, data in info.files.items()}
        if out_dir is not None:
            write_files(out_dir, files)
        return files

    def wait_for_job(self, job_id: str, *, timeout: float = 900, poll: float = 2) -> JobInfo:
        """Waits (with a spinner) until the job leaves submitted/queued/running."""
        deadline = time.monotonic() + timeout
        status = self._console.status(f"waiting for {job_id}", spinner="dots")
        with status if self._progress else nullcontext():
            while True:
                info = self.job(job_id)
                if info.finished:
                    return info
                if time.monotonic() > deadline:
                    raise ApiError(
                        f"{job_id} is still {info.state} after {timeout:g} s: check that a "
                        "worker runs (`sealroom worker`) and look again later",
                        0,
                    )
                if self._progress:
                    status.update(f"{job_id} is {info.state}")
                time.sleep(poll)

    def wait_for_submitted(self, job_id: str) -> JobInfo:
        """A job just submitted, once the server's worker has run it."""
        return self.wait_for_job(job_id)

    def sample_drift(self, job_id: str) -> dict[str, list[str]]:
        """None: the sample-drift findings are in the run record, kept on the server."""
        return {}

    def reviews(self) -> list[JobInfo]:
        return self._list("/v1/reviews", JobInfo)

    def review(self, job_id: str) -> ReviewInfo:
        return self._get(f"/v1/jobs/{_seg(job_id)}/review", ReviewInfo)

    def vote(self, job_id: str, decision: str = "approve", reason: str = "") -> JobInfo:
        body = NewVote(decision=decision, reason=reason)
        return self._post(f"/v1/jobs/{_seg(job_id)}/votes", JobInfo, body)

    def approve_code(self, contract_id: str, code: bytes | Path) -> CodeApprovals:
        """Approves code by its hash, computed here from the code the reviewer read."""
        data = code.read_bytes() if isinstance(code, Path) else code
        body = CodeApproval(code_hash=code_hash(data))
        return self._post(f"/v1/contracts/{_seg(contract_id)}/code-approvals", CodeApprovals, body)

    def sealed_result(self, job_id: str) -> SealedResultInfo:
        """The released result sealed to the caller's key (open it with ``Partner``)."""
        return self._get(f"/v1/jobs/{_seg(job_id)}/result", SealedResultInfo)

    # -- PSI (the partner's side runs in sealroom.client.psi_run) ---------------

    def open_psi(
        self,
        contract_id: str,
        *,
        kind: str = "psi",
        partner_set_size: int,
        mode: str | None = None,
    ) -> PsiRunInfo:
        body = PsiOpen(kind=kind, partner_set_size=partner_set_size, mode=mode)
        return self._post(f"/v1/contracts/{_seg(contract_id)}/psi", PsiRunInfo, body)

    def psi_message(self, job_id: str, message: bytes) -> bytes | None:
        """Sends one protocol message; the owner's reply, or None when there is none."""
        response = self._send(
            "POST",
            f"/v1/psi/{_seg(job_id)}/messages",
            content=message,
            headers={"Content-Type": "application/octet-stream"},
            timeout=httpx.Timeout(600.0, connect=5.0),
        )
        return None if response.status_code == 204 else response.content

    def psi_transport(self, platform_key: PartyPublicKeys | None = None) -> PsiTransport:
        """PSI over this connection; ``platform_key`` pinned, else the one the server publishes."""
        from sealroom.client.psi_http import HttpPsiTransport  # noqa: PLC0415 (the psi extra)

        return HttpPsiTransport(self, platform_key)

    # -- audit ----------------------------------------------------------------

    def audit_export(self, out_dir: Path) -> AuditExportInfo:
        """Writes the three files of `sealroom audit export` into ``out_dir``."""
        export = self._get("/v1/audit/export", AuditExportInfo)
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
        found = self._list(
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


def write_files(out_dir: Path, files: dict[str, bytes]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = out_dir / Path(name).name  # a name from the server never picks the directory
        target.write_bytes(data)


def public_keys_json(keys: PartyPublicKeys) -> str:
    return json.dumps(keys.to_json(), indent=2) + "\n"
