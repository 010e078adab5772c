"""The room's public surface: every error a caller may catch, and no hazardous primitive."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import jobs.psi
from jobs.psi import errors


def test_every_psi_error_is_exported_and_drawn_in_the_tree() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.PsiError)
    ]
    assert len(classes) > 10
    for cls in classes:
        assert getattr(jobs.psi, cls.__name__) is cls
        assert cls.__name__ in (errors.__doc__ or "")


def test_every_exported_name_exists() -> None:
    for name in jobs.psi.__all__:
        assert hasattr(jobs.psi, name), name


# The room's face: what the service, the client and the benchmarks may build on.
PUBLIC_SURFACE = {
    "DEFAULT_SET_CAP",
    "BlindedOwnerSet",
    "EngineEnvironmentMissing",
    "EngineUnavailable",
    "Finished",
    "IdentifierKind",
    "IdentifierListRejected",
    "InlineRunner",
    "IntersectionTooSmall",
    "LinkFailed",
    "LinkPortsExhausted",
    "LinkReport",
    "LinkSettings",
    "LinkTimedOut",
    "MalformedMessage",
    "MaskedSums",
    "MaskedTotals",
    "MessageReplayed",
    "ModeNotAllowed",
    "NormalisationReport",
    "NormalisedIds",
    "NormalisedRows",
    "OpenMinedEngine",
    "OwnerEngine",
    "OwnerPsiSession",
    "OwnerRecords",
    "OwnerReply",
    "OwnerRun",
    "OwnerValues",
    "PartnerHello",
    "PartnerPsiSession",
    "PartnerSetTooSmall",
    "ProcessRunner",
    "ProtocolAborted",
    "PsiAbort",
    "PsiEngine",
    "PsiError",
    "PsiLimits",
    "PsiOutcome",
    "PsiRequest",
    "PsiResponse",
    "PsiSetup",
    "PsiSumOwner",
    "PsiSumPartner",
    "PsiSumResult",
    "SecretflowEngine",
    "SessionMismatch",
    "SetTooLarge",
    "ShardRunner",
    "StagedSet",
    "UnexpectedMessage",
    "ValueNotRepresentable",
    "blind_owner_set",
    "distinct_ids",
    "max_message_bytes",
    "normalise_column",
    "normalise_identifier",
    "normalise_ids",
    "normalise_rows",
    "owner_engine",
    "prepare_records",
}
ROOT = Path(__file__).resolve().parents[3]
HAZMAT = "jobs.psi._hazmat"


def test_the_public_surface_is_the_sessions_and_messages_and_no_primitive() -> None:
    assert sorted(jobs.psi.__all__) == sorted(set(jobs.psi.__all__))
    assert set(jobs.psi.__all__) == PUBLIC_SURFACE
    for name in jobs.psi.__all__:
        assert not getattr(getattr(jobs.psi, name), "__module__", "").startswith(HAZMAT), name


def _imports_hazmat(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(name == HAZMAT or name.startswith(f"{HAZMAT}.") for name in names):
            return True
    return False


def test_the_checker_sees_every_way_of_importing_the_primitives() -> None:
    assert _imports_hazmat("from jobs.psi._hazmat.paillier import generate_owner_key")
    assert _imports_hazmat("from jobs.psi import _hazmat")
    assert _imports_hazmat("import jobs.psi._hazmat.blinding")
    assert not _imports_hazmat("from jobs.psi import PsiSumOwner")


def test_no_module_outside_the_psi_cores_imports_the_primitives() -> None:
    # The primitives' own unit tests (tests/unit/psi) are the one reader outside,
    # as kms's tests read kms._primitives.
    sources = [
        path
        for top in ("sealroom", "contracts", "sandbox", "kms", "jobs", "benchmarks", "scripts")
        for path in sorted((ROOT / top).rglob("*.py"))
        if not path.is_relative_to(ROOT / "jobs" / "psi")
    ]
    assert len(sources) > 100
    breaches = [
        str(path.relative_to(ROOT))
        for path in sources
        if _imports_hazmat(path.read_text(encoding="utf-8"))
    ]
    assert breaches == []


def test_the_owner_normaliser_imported_from_the_face_is_the_function() -> None:
    # Loaded on first use, in a fresh process, and again after its module was imported
    # directly: a submodule of the same name would have shadowed the function.
    code = (
        "import jobs.psi.arrow_normalise\n"
        "from jobs.psi import normalise_column\n"
        "print(callable(normalise_column))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert found.stdout.strip() == "True"
