"""The tamper-evident audit log (issue 4).

Events are appended inside the caller's transaction (``append_event``), hashed
into an RFC 6962 Merkle tree whose heads the platform signs (``sign_tree_head``);
parties keep signed heads, ask for inclusion and consistency proofs, and verify a
whole exported log offline (``verify_log_file``). The tree code (``merkle``) is
pure; the store modules (``records`` and the modules that write and read it)
touch the database.
"""

from sealroom.audit.append import append_event, append_events
from sealroom.audit.errors import (
    AuditError,
    EventInvalid,
    EventNotFound,
    LogStoreDamaged,
    ProofInvalid,
    TreeHeadMalformed,
    TreeHeadSignatureInvalid,
    TreeSizeInvalid,
    VerificationFailed,
)
from sealroom.audit.events import AuditEvent, LoggedEvent, decode_leaf, leaf_bytes
from sealroom.audit.export import export_log
from sealroom.audit.proofs import (
    ConsistencyProof,
    InclusionProof,
    check_consistency,
    check_inclusion,
    consistency_proof_from_json,
    consistency_proof_to_json,
    inclusion_proof_from_json,
    inclusion_proof_to_json,
)
from sealroom.audit.queries import event_at, find_event, query_events
from sealroom.audit.records import AUDIT_TABLES
from sealroom.audit.signed_heads import latest_tree_head, sign_tree_head
from sealroom.audit.stored_tree import LogState, consistency_proof, current_root, inclusion_proof
from sealroom.audit.timeline import TimelineRow, timeline_json_lines, timeline_rows
from sealroom.audit.tree_head import (
    Ed25519TreeHeadSigner,
    SignedTreeHead,
    TreeHeadSigner,
    read_tree_head,
    tree_head_from_json,
    tree_head_to_json,
    verify_tree_head,
    write_tree_head,
)
from sealroom.audit.verify import Step, VerificationReport, verify_log, verify_log_file

__all__ = [
    "AUDIT_TABLES",
    "AuditError",
    "AuditEvent",
    "ConsistencyProof",
    "Ed25519TreeHeadSigner",
    "EventInvalid",
    "EventNotFound",
    "InclusionProof",
    "LogState",
    "LogStoreDamaged",
    "LoggedEvent",
    "ProofInvalid",
    "SignedTreeHead",
    "Step",
    "TimelineRow",
    "TreeHeadMalformed",
    "TreeHeadSignatureInvalid",
    "TreeHeadSigner",
    "TreeSizeInvalid",
    "VerificationFailed",
    "VerificationReport",
    "append_event",
    "append_events",
    "check_consistency",
    "check_inclusion",
    "consistency_proof",
    "consistency_proof_from_json",
    "consistency_proof_to_json",
    "current_root",
    "decode_leaf",
    "event_at",
    "export_log",
    "find_event",
    "inclusion_proof",
    "inclusion_proof_from_json",
    "inclusion_proof_to_json",
    "latest_tree_head",
    "leaf_bytes",
    "query_events",
    "read_tree_head",
    "sign_tree_head",
    "timeline_json_lines",
    "timeline_rows",
    "tree_head_from_json",
    "tree_head_to_json",
    "verify_log",
    "verify_log_file",
    "verify_tree_head",
    "write_tree_head",
]
