"""The base every contract model shares: closed, immutable, exact."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A part of a contract.

    ``extra="forbid"``: a misspelt key is reported, never silently dropped (a
    dropped ``never_output`` would be a leak). ``frozen``: a contract is signed
    by hash, so nothing may change it after validation; edits make a new version.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        allow_inf_nan=False,
        use_enum_values=False,
    )
