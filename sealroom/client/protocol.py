"""`SealroomClient`: what a command asks of Sealroom, wherever the store is.

Two implementations answer it: ``Client`` talks to a server's REST API with the
caller's own token; ``sealroom.local.LocalClient`` calls the service on the
store of this machine, acting as the party named with ``--as``. The command
line holds one of them and takes one path whichever it is.

Both return the wire models of ``sealroom.client.models``. Where the two sides
truly differ (the local store runs a submitted job in this process, knows the
debug samples and which master key wraps a dataset's data key, and lists every
job), the difference is a method or a capability here, never a branch in a
command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from contracts import ActionKind, Role
from kms import PartyKeyPair, PartyPublicKeys
from sealroom.client.models import (
    AuditEventInfo,
    AuditExportInfo,
    CodeApprovals,
    ContractInfo,
    DatasetInfo,
    IssuedTokenInfo,
    JobInfo,
    JobLogs,
    LeakageLedgerInfo,
    PartyInfo,
    ReviewInfo,
    SealedResultInfo,
    TokenInfo,
    WhoAmI,
)

if TYPE_CHECKING:
    # PSI needs the `psi` extra; the rest of the client does not.
    from sealroom.client.psi_run import PsiTransport


@dataclass(frozen=True)
class DebugSampleInfo:
    """A masked debug sample of a dataset, as the store that made it describes it."""

    dataset_version: int
    contract_id: str
    contract_version: int
    rows: int
    methods: dict[str, str]  # column -> masking method
    created_at: datetime


class SealroomClient(Protocol):
    """Everything the command line calls; see the module docstring for the two sides."""

    # -- capabilities ---------------------------------------------------------

    @property
    def lists_every_job(self) -> bool:
        """Whether ``jobs()`` without a contract answers (the API lists per contract)."""
        ...

    @property
    def issues_key_pairs(self) -> bool:
        """Whether ``add_party_issuing_keys`` works: a server never sends a private key."""
        ...

    # -- who, parties, tokens -------------------------------------------------

    def me(self) -> WhoAmI: ...

    def parties(self) -> list[PartyInfo]: ...

    def party(self, name: str) -> PartyInfo: ...

    def add_party(
        self,
        name: str,
        public_keys: PartyPublicKeys,
        *,
        kind: str = ...,
        organisation: str | None = ...,
        display_name: str = ...,
    ) -> PartyInfo:
        """Registers a party with the public keys it generated itself."""
        ...

    def add_party_issuing_keys(
        self,
        name: str,
        key_file: Path,
        passphrase: str,
        *,
        kind: str = ...,
        organisation: str | None = ...,
        display_name: str = ...,
    ) -> PartyInfo:
        """Registers a party with a key pair made here; its private half goes to ``key_file``."""
        ...

    def issue_token(
        self, party: str, scopes: list[str] | None = ..., *, label: str = ..., days: int = ...
    ) -> IssuedTokenInfo: ...

    def tokens(self, party: str | None = ...) -> list[TokenInfo]: ...

    def revoke_token(self, token_id: str) -> TokenInfo: ...

    # -- datasets -------------------------------------------------------------

    def datasets(self) -> list[DatasetInfo]: ...

    def dataset(self, name: str, version: int | None = ...) -> DatasetInfo: ...

    def register_dataset(
        self,
        file: str | Path,
        *,
        owner: str,
        name: str | None = ...,
        classify: dict[str, str] | None = ...,
        algorithm: str | None = ...,
        encoding: str | None = ...,
    ) -> DatasetInfo: ...

    def wrapping_key(self, name: str, version: int) -> str | None:
        """The master key wrapping the dataset's data key, or None where it is not told."""
        ...

    def debug_samples(self, dataset: str) -> list[DebugSampleInfo]:
        """The dataset's masked debug samples, where they are visible."""
        ...

    # -- contracts ------------------------------------------------------------

    def contracts(self) -> list[ContractInfo]: ...

    def contract(self, contract_id: str, version: int | None = ...) -> ContractInfo: ...

    def propose_contract(self, document: str | Path) -> ContractInfo: ...

    def contract_leakage(self, contract_id: str) -> LeakageLedgerInfo:
        """The contract's leakage ledger: released groups, PSI sizes, privacy spends."""
        ...

    def signed_contract(self, contract_id: str, out: Path, version: int | None = ...) -> Path: ...

    def sign_step(
        self,
        contract_id: str,
        action: ActionKind | str,
        *,
        party: str,
        role: Role | str,
        keys: PartyKeyPair,
        version: int | None = ...,
        now: datetime | None = ...,
    ) -> ContractInfo:
        """Signs ``action`` as ``party`` with the caller's own keys, and records it."""
        ...

    def platform_step(
        self, contract_id: str, action: str = ..., version: int | None = ...
    ) -> ContractInfo:
        """Has the service sign as the platform (for the platform's staff)."""
        ...

    # -- jobs -----------------------------------------------------------------

    def submit_job(
        self,
        contract_id: str,
        code: str | Path,
        *,
        mode: str = ...,
        code_name: str | None = ...,
    ) -> JobInfo: ...

    def jobs(self, contract_id: str) -> list[JobInfo]: ...

    def every_job(self) -> list[JobInfo]:
        """All jobs, oldest first; only where ``lists_every_job``."""
        ...

    def job(self, job_id: str) -> JobInfo: ...

    def job_logs(self, job_id: str) -> JobLogs: ...

    def cancel_job(self, job_id: str) -> JobInfo: ...

    def debug_outputs(self, job_id: str, out_dir: Path | None = ...) -> dict[str, bytes]: ...

    def wait_for_job(self, job_id: str, *, timeout: float = ..., poll: float = ...) -> JobInfo:
        """Waits until a worker has run the job."""
        ...

    def wait_for_submitted(self, job_id: str) -> JobInfo:
        """A job just submitted, once it has run (`job submit --wait`).

        A server's worker runs it while this waits; the local store runs it now,
        in this process.
        """
        ...

    def sample_drift(self, job_id: str) -> dict[str, list[str]]:
        """Per dataset of a run, how its debug sample differs in shape from the real data.

        An empty list says "same shape". The run record holding these stays with
        the store, so only the store's own machine sees them.
        """
        ...

    # -- reviews and results --------------------------------------------------

    def reviews(self) -> list[JobInfo]: ...

    def review(self, job_id: str, *, first_row: int = ..., last_row: int = ...) -> ReviewInfo: ...

    def vote(
        self,
        job_id: str,
        decision: str = ...,
        reason: str = ...,
        keys: PartyKeyPair | None = ...,
    ) -> JobInfo:
        """A signed vote: ``keys`` sign it on this machine (the platform's seat without)."""
        ...

    def approve_code(
        self,
        contract_id: str,
        code: bytes | Path,
        entry: str | None = ...,
        keys: PartyKeyPair | None = ...,
    ) -> CodeApprovals:
        """A signed approval of the code, its interpreter and entry name (the file's name)."""
        ...

    def sealed_result(self, job_id: str) -> SealedResultInfo: ...

    # -- PSI and audit --------------------------------------------------------

    def psi_transport(self, platform_key: PartyPublicKeys | None = ...) -> PsiTransport:
        """The partner's side of PSI talks to the owner's service through this."""
        ...

    def audit_export(self, out_dir: Path) -> AuditExportInfo:
        """Writes audit-log.jsonl, tree-head.json and platform.pub.json into ``out_dir``."""
        ...

    def audit_events(
        self,
        *,
        contract: str | None = ...,
        actor: str | None = ...,
        action: str | None = ...,
        job: str | None = ...,
        since: datetime | None = ...,
        until: datetime | None = ...,
        limit: int | None = ...,
    ) -> list[AuditEventInfo]:
        """Events in log order; ``since`` inclusive, ``until`` not; the newest ``limit``.

        Without ``limit``, as many as the side gives: a server its default page,
        the local store all of them.
        """
        ...
