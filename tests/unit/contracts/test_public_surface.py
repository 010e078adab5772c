"""The room's public surface (``contracts.__all__``) is complete and importable."""

from __future__ import annotations

import inspect

import contracts
from contracts import errors


def test_every_exported_name_exists() -> None:
    missing = [name for name in contracts.__all__ if not hasattr(contracts, name)]
    assert missing == []


def test_every_error_is_exported_and_acts_like_its_root() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.ContractError)
    ]
    assert len(classes) == 16
    for cls in classes:
        assert cls.__name__ in contracts.__all__, cls.__name__
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"


def test_every_error_message_is_the_string() -> None:
    err = contracts.QuotaExhausted("contract c-12 v1 allows 5 real psi runs and 5 are used")
    assert err.message == str(err)
