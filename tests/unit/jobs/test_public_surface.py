"""The room's public surface (``jobs.__all__``) is complete, and ``import jobs`` stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import jobs
from jobs import errors


def test_every_exported_name_resolves() -> None:
    missing = [name for name in jobs.__all__ if getattr(jobs, name, None) is None]
    assert missing == []


def test_every_error_is_exported_drawn_in_the_tree_and_acts_like_its_root() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.JobError)
    ]
    assert len(classes) == 13
    for cls in classes:
        assert cls.__name__ in jobs.__all__, cls.__name__
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"
    err = errors.ReceiptInvalid("signature", "the signature does not match the receipt")
    assert err.message == str(err)


def test_importing_the_faces_loads_no_server_library() -> None:
    # The partner's client imports jobs.psi and its runners, so no face may need the
    # server-only table libraries or Ray: those names load on first use.
    probe = (
        "import sys, jobs, jobs.psi, jobs.psi.runners, jobs.psi.secretflow\n"
        "print(sorted(m for m in ('pyarrow', 'faker', 'pandas', 'ray') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_unknown_names_are_still_attribute_errors() -> None:
    assert not hasattr(jobs, "no_such_name")
