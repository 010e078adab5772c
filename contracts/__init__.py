"""The contracts room: contract model, validation, signatures, lifecycle and policy.

Pure: no database, network, terminal or clock (every time-dependent answer
takes ``now``); imports nothing else of the project. The public surface is
what this module re-exports; the submodules are its implementation.

Load and check a contract::

    contract = load_contract(text, "customer-insights.yaml")   # ContractInvalid, located
    digest = contract_hash(contract)                            # what approvals sign

Drive its lifecycle and ask policy questions::

    status = apply(contract, Status(), Action(ActionKind.PROPOSE, "acme-cn", Role.OWNER), now)
    check_may_submit(contract, status, party="alice", kind=JobKind.SCRIPT, now=now,
                     runs_used={JobKind.SCRIPT: 3})
"""

from contracts.canonical import canonical_json, contract_body, contract_hash
from contracts.datasets import Classification, Column, ColumnPolicy, Dataset, LogicalType
from contracts.errors import (
    ColumnNotAllowed,
    ContractError,
    ContractExpired,
    ContractInvalid,
    ContractIssue,
    ContractNotActive,
    ContractNotYetValid,
    ContractRevoked,
    IllegalTransition,
    JobKindNotAllowed,
    PlacementNotAllowed,
    PsiSetTooLarge,
    PsiSetTooSmall,
    QuotaExhausted,
    RoleNotGranted,
    SelfReviewForbidden,
    SignatureInvalid,
)
from contracts.export import ExportRules, LegalBasis, Placement
from contracts.job_kinds import (
    HeAggregateRules,
    JobKind,
    JobKinds,
    KindRules,
    PsiEngineKind,
    PsiRevealMode,
    PsiRules,
    PsiSumRules,
    ScriptRules,
    SecretflowProtocol,
    Statistic,
)
from contracts.json_schema import contract_json_schema, render_json_schema
from contracts.keys import pin_party_keys
from contracts.lifecycle import (
    TRANSITIONS,
    Action,
    ActionKind,
    State,
    Status,
    Transition,
    apply,
    effective_state,
    render_mermaid,
)
from contracts.loading import load_contract, load_contract_file, parse_contract
from contracts.masking import DebugSample, Masking, MaskingMethod
from contracts.model import CONTRACT_FORMAT, Contract
from contracts.odcs import OdcsImport, import_odcs
from contracts.outputs import (
    Aggregate,
    DifferentialPrivacy,
    Dominance,
    FileSchema,
    OutputColumn,
    OutputRules,
    Rounding,
)
from contracts.parties import Party, Role
from contracts.policy import (
    ReviewQuorum,
    RunMode,
    check_active,
    check_intersection_size,
    check_may_receive,
    check_may_run_on,
    check_may_submit,
    check_output_columns,
    check_psi_request,
    check_reviewer,
    column_output_policy,
    masking_for,
    who_must_review,
)
from contracts.review import OutputClass, QuorumRule, ReviewRules
from contracts.signed_file import (
    SignedContract,
    Verification,
    dump_signed_contract,
    load_signed_contract,
    load_signed_contract_file,
    signed_contract,
    verify_signed_contract,
)
from contracts.signing import Approval, approval_message, sign_approval, verify_approval
from contracts.unicode_names import column_name_problem, dataset_name_problem
from contracts.validity import Validity
from contracts.versions import check_new_version
from contracts.yaml_dump import dump_contract_yaml

__all__ = [
    "CONTRACT_FORMAT",
    "TRANSITIONS",
    "Action",
    "ActionKind",
    "Aggregate",
    "Approval",
    "Classification",
    "Column",
    "ColumnNotAllowed",
    "ColumnPolicy",
    "Contract",
    "ContractError",
    "ContractExpired",
    "ContractInvalid",
    "ContractIssue",
    "ContractNotActive",
    "ContractNotYetValid",
    "ContractRevoked",
    "Dataset",
    "DebugSample",
    "DifferentialPrivacy",
    "Dominance",
    "ExportRules",
    "FileSchema",
    "HeAggregateRules",
    "IllegalTransition",
    "JobKind",
    "JobKindNotAllowed",
    "JobKinds",
    "KindRules",
    "LegalBasis",
    "LogicalType",
    "Masking",
    "MaskingMethod",
    "OdcsImport",
    "OutputClass",
    "OutputColumn",
    "OutputRules",
    "Party",
    "Placement",
    "PlacementNotAllowed",
    "PsiEngineKind",
    "PsiRevealMode",
    "PsiRules",
    "PsiSetTooLarge",
    "PsiSetTooSmall",
    "PsiSumRules",
    "QuorumRule",
    "QuotaExhausted",
    "ReviewQuorum",
    "ReviewRules",
    "Role",
    "RoleNotGranted",
    "Rounding",
    "RunMode",
    "ScriptRules",
    "SecretflowProtocol",
    "SelfReviewForbidden",
    "SignatureInvalid",
    "SignedContract",
    "State",
    "Statistic",
    "Status",
    "Transition",
    "Validity",
    "Verification",
    "apply",
    "approval_message",
    "canonical_json",
    "check_active",
    "check_intersection_size",
    "check_may_receive",
    "check_may_run_on",
    "check_may_submit",
    "check_new_version",
    "check_output_columns",
    "check_psi_request",
    "check_reviewer",
    "column_name_problem",
    "column_output_policy",
    "contract_body",
    "contract_hash",
    "contract_json_schema",
    "dataset_name_problem",
    "dump_contract_yaml",
    "dump_signed_contract",
    "effective_state",
    "import_odcs",
    "load_contract",
    "load_contract_file",
    "load_signed_contract",
    "load_signed_contract_file",
    "masking_for",
    "parse_contract",
    "pin_party_keys",
    "render_json_schema",
    "render_mermaid",
    "sign_approval",
    "signed_contract",
    "verify_approval",
    "verify_signed_contract",
    "who_must_review",
]
