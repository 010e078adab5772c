"""The wire format of the REST API: one set of models for the server and the SDK.

The server declares these as its request and response models (so the OpenAPI
document is generated from them) and the SDK parses responses with them, so the
two cannot drift apart. Each model a person looks at in Jupyter has a short
``__repr__`` and an HTML table (``_repr_html_``).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from sealroom.client.visible_text import visible

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", max_length=63)]
Label = Annotated[str, Field(max_length=200)]
B64Key = Annotated[str, Field(min_length=40, max_length=64, pattern=r"^[A-Za-z0-9+/=_-]+$")]


def _table(title: str, rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(visible(str(v)))}</td></tr>"
        for k, v in rows
    )
    return f"<table><caption>{html.escape(title)}</caption>{cells}</table>"


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def __str__(self) -> str:
        # print() shows the same short form as the REPL (and never a token's secret).
        return repr(self)


class PublicKeysInfo(Wire):
    x25519: B64Key
    ed25519: B64Key


class PartyInfo(Wire):
    name: str
    kind: str
    organisation: str | None
    display_name: str
    is_admin: bool
    key_origin: str
    x25519_fingerprint: str
    ed25519_fingerprint: str
    public_keys: PublicKeysInfo

    def __repr__(self) -> str:
        of = f" of {self.organisation}" if self.organisation else ""
        return f"Party({self.name}, {self.kind}{of}, keys {self.ed25519_fingerprint})"

    def _repr_html_(self) -> str:
        return _table(
            f"Party {self.name}",
            [
                ("kind", self.kind),
                ("organisation", self.organisation or "-"),
                ("display name", self.display_name),
                ("keys", self.key_origin),
                ("signing key", self.ed25519_fingerprint),
                ("sealing key", self.x25519_fingerprint),
            ],
        )


class NewParty(Wire):
    """A party registered with the public keys it generated itself."""

    name: Name
    kind: Literal["organisation", "person"] = "organisation"
    organisation: Name | None = None
    display_name: Label = ""
    public_keys: PublicKeysInfo


class ColumnInfo(Wire):
    name: str
    physical_type: str
    level: str
    detector: str | None
    confidence: float
    decided_by: str


class DatasetInfo(Wire):
    name: str
    owner: str
    version: int
    source_name: str
    source_format: str
    source_encoding: str | None
    source_bytes: int
    stored_bytes: int
    row_count: int
    columns: list[ColumnInfo]
    content_sha256: str
    data_key_id: str
    algorithm: str
    registered_by: str

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name} v{self.version}, owner={self.owner}, {self.row_count:,} rows, "
            f"{len(self.columns)} columns, {self.algorithm})"
        )

    def _repr_html_(self) -> str:
        head = _table(
            f"Dataset {self.name} v{self.version}",
            [
                ("owner", self.owner),
                ("rows", f"{self.row_count:,}"),
                ("source", f"{self.source_name} ({self.source_format})"),
                ("encryption", f"{self.algorithm}, data key {self.data_key_id}"),
                ("content sha256", self.content_sha256),
            ],
        )
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (c.name, c.physical_type, c.level, c.detector or "-", c.decided_by)
            )
            + "</tr>"
            for c in self.columns
        )
        header = "".join(
            f"<th>{h}</th>" for h in ("column", "type", "classification", "detected", "by")
        )
        return f"{head}<table><tr>{header}</tr>{rows}</table>"


class ContractPartyInfo(Wire):
    name: str
    roles: list[str]
    public_key: str | None


class StepInfo(Wire):
    party: str
    role: str
    action: str
    signed_at: datetime
    signature: str


class ContractInfo(Wire):
    id: str
    version: int
    title: str
    purpose: str
    state: str
    contract_hash: str
    parties: list[ContractPartyInfo]
    datasets: list[str]
    job_kinds: list[str]
    steps: list[StepInfo]
    proposed_by: str
    proposed_at: datetime
    document: str = Field(description="The proposed YAML, with the parties' keys pinned.")

    def __repr__(self) -> str:
        return (
            f"Contract({self.id} v{self.version}, {self.state}, "
            f"{len(self.steps)} signature(s), hash {self.contract_hash[:12]}…)"
        )

    def _repr_html_(self) -> str:
        rows: list[tuple[str, Any]] = [
            ("state", self.state),
            ("purpose", self.purpose),
            ("hash", self.contract_hash),
            ("datasets", ", ".join(self.datasets)),
            ("job kinds", ", ".join(self.job_kinds)),
        ]
        rows += [(f"party {p.name}", ", ".join(p.roles)) for p in self.parties]
        rows += [
            (f"{s.action}d", f"{s.party} as {s.role} at {s.signed_at:%Y-%m-%d %H:%M}")
            for s in self.steps
        ]
        return _table(f"Contract {self.id} v{self.version}: {self.title}", rows)


class ApprovalBody(Wire):
    party: Name
    role: Literal["owner", "platform", "recipient", "scientist", "reviewer"]
    action: Literal["approve", "accept", "revoke"]
    signed_at: datetime
    signature: Annotated[str, Field(max_length=128)]


class SignedStep(Wire):
    """A lifecycle step the party signed on its own side, with its own key."""

    version: Annotated[int, Field(ge=1, le=1_000_000)]
    approval: ApprovalBody


class PlatformStep(Wire):
    """A step the platform signs with the service's key, asked for by its staff."""

    action: Literal["approve", "revoke"]
    version: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class TokenInfo(Wire):
    token_id: str
    party: str
    scopes: list[str]
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: str

    def __repr__(self) -> str:
        return f"Token({self.token_id} for {self.party}, {','.join(self.scopes)}, {self.state})"


TokenScope = Annotated[
    str,
    StringConstraints(
        pattern=r"^(read|write|audit|admin|audit:all|audit:[a-z0-9][a-z0-9_-]{0,62})$"
    ),
]


class NewToken(Wire):
    party: Name
    # read, write, audit, admin; audit:all (the whole log) or audit:CONTRACT (one contract's).
    scopes: Annotated[list[TokenScope], Field(max_length=16)] = [
        "read",
        "write",
    ]
    label: Label = ""
    days: Annotated[int, Field(ge=1, le=366)] = 30


class IssuedTokenInfo(Wire):
    token: str = Field(description="Shown once; only its hash is kept.")
    info: TokenInfo

    def __repr__(self) -> str:
        return f"IssuedToken({self.info.token_id} for {self.info.party}; secret hidden)"


class WhoAmI(Wire):
    party: str
    organisation: str | None
    is_admin: bool
    token_id: str
    scopes: list[str]


class AuditEventInfo(Wire):
    index: int
    event_id: str
    timestamp: str
    actor: str
    role: str
    action: str
    contract_id: str | None
    job_id: str | None
    subject_ids: list[str]
    detail: dict[str, Any]
    leaf_hash: str


class AuditExportInfo(Wire):
    """The three files of `sealroom audit export`, verbatim."""

    log: str = Field(description="audit-log.jsonl")
    tree_head: str = Field(description="tree-head.json")
    platform_key: str = Field(description="platform.pub.json")
    tree_size: int


class OutputInfo(Wire):
    name: str
    sha256: str
    size: int
    releasable: bool


class JobInfo(Wire):
    job_id: str
    contract_id: str
    contract_version: int
    kind: str
    mode: str
    submitter: str
    code_name: str
    code_hash: str
    interpreter: str = ""
    state: str
    reason: str
    attempts: int
    backend: str
    created_at: datetime
    updated_at: datetime
    outputs: list[OutputInfo]
    check_report: dict[str, Any] | None
    details_withheld: bool = Field(
        default=False,
        description=(
            "A real run seen before its release by someone who does not review it: outputs, "
            "sizes and row counts are left out and the check report is a pass/fail summary."
        ),
    )

    @property
    def finished(self) -> bool:
        return self.state not in ("submitted", "queued", "running")

    def __repr__(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"Job({self.job_id} {self.mode} under {self.contract_id}, {self.state}{why})"

    def _repr_html_(self) -> str:
        return _table(
            f"Job {self.job_id}",
            [
                ("state", self.state + (f": {self.reason}" if self.reason else "")),
                ("contract", f"{self.contract_id} v{self.contract_version}"),
                ("kind / mode", f"{self.kind} / {self.mode}"),
                ("submitter", self.submitter),
                ("code", f"{self.code_name} ({self.code_hash[:23]}…)"),
                ("outputs", self._outputs_text()),
            ],
        )

    def _outputs_text(self) -> str:
        if self.details_withheld:
            return "withheld until the reviewers release the run"
        return ", ".join(f"{o.name} ({o.size} B)" for o in self.outputs) or "-"


class NewJob(Wire):
    code_name: Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    code: Annotated[str, Field(max_length=1 << 20, description="The script, as UTF-8 text.")]
    mode: Literal["debug", "real"] = "debug"
    kind: Literal["script"] = "script"


class StreamCapture(Wire):
    text: str
    truncated: bool


class JobLogs(Wire):
    job_id: str
    stdout: StreamCapture
    stderr: StreamCapture


class FilesInfo(Wire):
    """Files by name, each base64."""

    job_id: str
    files: dict[str, str]


class VoteInfo(Wire):
    reviewer: str
    decision: str
    at: datetime
    reason: str


class OutputTableInfo(Wire):
    """One window of a releasable output parsed as the table that would be released.

    Cells are the raw values as text (``None`` for null): a display makes them
    safe (``sealroom.client.visible_text``); the API never alters them.
    """

    name: str
    columns: list[str]
    types: list[str]
    total_rows: int
    first_row: int = Field(description="The 1-based number of the first row sent.")
    rows: list[list[str | None]]
    unreadable: str | None = Field(
        default=None, description="Why the file is no table; its rows are then lines of text."
    )


class ReviewInfo(Wire):
    job: JobInfo
    reviewers: list[str]
    required: int
    votes: list[VoteInfo]
    waiting_for: list[str]
    outputs: dict[str, str] = Field(description="Releasable output files, base64.")
    check_report: dict[str, Any] | None
    code: str
    code_diff: str
    tables: list[OutputTableInfo] = Field(
        default=[], description="Each releasable output as a table: the requested rows."
    )
    logs: JobLogs | None = None

    def __repr__(self) -> str:
        return (
            f"Review({self.job.job_id}: {len(self.votes)} of {self.required} vote(s), "
            f"waiting for {', '.join(self.waiting_for) or 'nobody'})"
        )

    def _repr_html_(self) -> str:
        rows: list[tuple[str, Any]] = [
            ("job", f"{self.job.job_id} ({self.job.state})"),
            ("quorum", f"{self.required} of {', '.join(self.reviewers)}"),
            ("waiting for", ", ".join(self.waiting_for) or "nobody"),
            ("outputs", ", ".join(self.outputs) or "-"),
        ]
        rows += [(f"vote {v.reviewer}", f"{v.decision} {v.reason}".strip()) for v in self.votes]
        return _table(f"Review of {self.job.job_id}", rows) + (
            # Bidi overrides and invisible characters in code mislead the eye in a
            # browser as in a terminal ("Trojan Source"): shown as escapes.
            f"<pre>{html.escape(visible(self.code_diff or self.code, multiline=True))}</pre>"
        )


class DecisionSignatureBody(Wire):
    """The decider's Ed25519 signature, made on their machine over the canonical
    decision message (``jobs.decision_message``); the server rebuilds the message from
    its own records and checks it against the decider's key."""

    seat: str = Field(description="The quorum seat filled: your organisation, or yourself.")
    signed_at: AwareDatetime
    signature: str = Field(description="Ed25519 over the decision message, base64.")


class NewVote(Wire):
    decision: Literal["approve", "reject", "return_for_changes"]
    reason: Label = ""
    signed: DecisionSignatureBody | None = Field(
        default=None, description="Required, except for the platform's seat (signed by it)."
    )


class CodeApproval(Wire):
    code_hash: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    interpreter: Literal["python", "sh"] = Field(description="How the approved code runs.")
    entry: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="The file name it is submitted under."
    )
    signed: DecisionSignatureBody | None = Field(
        default=None, description="Required, except for the platform's seat (signed by it)."
    )


class CodeApprovals(Wire):
    code_hash: str
    approvals: int


class SealedResultInfo(Wire):
    job_id: str
    recipient: str
    contract_id: str
    contract_version: int
    sealed: str = Field(description="The result bundle sealed to the recipient's key, base64.")
    receipt: str = Field(description="The platform-signed receipt, base64.")


class PsiOpen(Wire):
    """The partner opens a PSI or PSI-sum run; its set size is checked by the gate."""

    kind: Literal["psi", "psi_sum"] = "psi"
    partner_set_size: Annotated[int, Field(ge=0, le=10_000_000)]
    mode: Literal["cardinality", "intersection"] | None = None


class PsiRunInfo(Wire):
    job_id: str
    kind: str
    mode: str | None
    key_column: str
    identifier_kind: str
    value_columns: list[str]
    min_partner_set_size: int
    min_intersection_size: int
    engine: str = "openmined"
    protocol: str | None = None

    def __repr__(self) -> str:
        return f"PsiRun({self.job_id} {self.kind} on {self.key_column})"


class Health(Wire):
    status: Literal["ok"]
    version: str


class Problem(BaseModel):
    """An RFC 9457 problem document; ``detail`` is the sentence the CLI would print."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str


class LeakageEntryInfo(Wire):
    """One row of a contract's leakage ledger: a released group, a PSI run or a DP spend."""

    release_id: str = Field(description="The released job.")
    contract_version: int
    released_at: datetime
    entry: Literal["group", "psi", "dp_spend"]
    file: str
    key: list[tuple[str, str]] = Field(description="The group's [column, value] pairs.")
    count: int | None = None
    statistics: dict[str, float] = Field(default_factory=dict)
    noised: bool = False
    epsilon: float | None = None
    delta: float | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class LeakageLedgerInfo(Wire):
    """What a contract's releases have shown, and what they spent of its privacy budget."""

    contract_id: str
    min_group_size: int
    budget_epsilon: float | None = Field(description="None: the contract sets no DP budget.")
    budget_delta: float | None
    spent_epsilon: float
    spent_delta: float
    entries: list[LeakageEntryInfo]

    def __repr__(self) -> str:
        budget = (
            f"epsilon {self.spent_epsilon:g} of {self.budget_epsilon:g} spent"
            if self.budget_epsilon is not None
            else "no DP budget"
        )
        return f"LeakageLedger({self.contract_id}, {len(self.entries)} entries, {budget})"
