"""Synthetic data files shipped with Sealroom, for the demo and the tests.

No real person is in them; ``sealroom.datasets.synthetic`` generates them from a seed.
The example contract (``customer-insights.yaml``) and jobs (``jobs/``) live here, the
one copy: ``examples/`` in a checkout links to these files, so the README's commands
and the packaged demo run the same contract and code.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def customers_parquet() -> Path:
    """The 2,000 synthetic customers (``python -m sealroom.datasets.synthetic``)."""
    return _HERE / "customers.parquet"
