"""Synthetic data files shipped with Sealroom, for the demo and the tests.

No real person is in them; ``sealroom.datasets.synthetic`` generates them from a seed.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def customers_parquet() -> Path:
    """The 2,000 synthetic customers (``python -m sealroom.datasets.synthetic``)."""
    return _HERE / "customers.parquet"
