"""The room's public surface names every error a caller may need to catch."""

from __future__ import annotations

import inspect

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
