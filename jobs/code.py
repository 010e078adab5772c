"""A job's code: its hash, the run-time identity check, and the diff reviewers read.

The hash is over the exact bytes (no newline or encoding normalisation): what is
approved is what runs, byte for byte (issue 7, point 3), in the spirit of AWS
Clean Rooms' hash-pinned analysis code.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
from pathlib import PurePath

from jobs.errors import CodeChanged

CODE_HASH_PREFIX = "sha256:"
#: How a script is run, by its entry name's suffix. An approval binds the
#: interpreter too: the same bytes approved as Python must not run as shell.
INTERPRETERS = {".py": "python", ".sh": "sh"}


def interpreter_for(entry: str) -> str | None:
    """The interpreter a script named ``entry`` runs under, or ``None`` for neither kind."""
    return INTERPRETERS.get(PurePath(entry).suffix)


def code_hash(code: bytes) -> str:
    """``sha256:<hex>`` of the code's bytes, the form stored, approved and put in receipts."""
    return CODE_HASH_PREFIX + hashlib.sha256(code).hexdigest()


def check_code_unchanged(job: str, approved_hash: str, code: bytes) -> None:
    """Refuse to run ``code`` unless it is byte-identical to what was approved."""
    found = code_hash(code)
    # Constant-time only out of habit: both hashes are public.
    if not hmac.compare_digest(found, approved_hash):
        raise CodeChanged(job, approved_hash, found)


def code_diff(previous: bytes | None, current: bytes, name: str) -> str:
    """A unified diff of ``current`` against the last approved version, for reviewers.

    With no approved version yet, the whole file shows as added, so a reviewer
    always reads every line that is new to them.
    """
    old = [] if previous is None else _lines(previous)
    return "".join(
        difflib.unified_diff(
            old,
            _lines(current),
            fromfile=f"{name} (last approved)" if previous is not None else "/dev/null",
            tofile=f"{name} (submitted)",
        )
    )


def _lines(code: bytes) -> list[str]:
    # Scripts are text, but a hostile one may not be valid UTF-8; show it, never crash.
    text = code.decode("utf-8", errors="backslashreplace")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
