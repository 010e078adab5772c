"""Small identifier sets with a known overlap, so every result has a ground truth."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from contracts import PsiRevealMode
from jobs.psi import PsiLimits


@dataclass(frozen=True)
class Overlap:
    owner_ids: list[str]
    partner_ids: list[str]

    @property
    def common(self) -> set[str]:
        return set(self.owner_ids) & set(self.partner_ids)


@pytest.fixture
def overlap() -> Overlap:
    owner = [f"+86138{i:08d}" for i in range(600)]
    partner = [f"+86138{i:08d}" for i in range(450, 850)]  # 150 shared
    return Overlap(owner_ids=owner, partner_ids=partner)


@pytest.fixture
def limits() -> PsiLimits:
    return PsiLimits(
        min_partner_set_size=100,
        min_intersection_size=20,
        set_cap=5_000,
        modes=frozenset(PsiRevealMode),
    )
