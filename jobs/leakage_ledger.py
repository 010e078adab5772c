"""The leakage ledger's arithmetic: what a release adds, differencing, the privacy budget.

Every release of a contract adds entries: one per released group of a table
(its key columns and values, its count, its statistics) and, per PSI run, the
owner's set and the intersection where the owner learns its size
(``jobs.released_groups``). Rows whose key has an emptied (suppressed) cell
name no group and are not compared. A new
release is compared with everything released before under the same contract,
because two releases that are each safe can together single a person out:

    release A: city=Beijing  count 120  spend_sum 1,200,000
    release B: city=Beijing  count 119  spend_sum 1,190,500   (the job dropped VIPs)
    -> A - B is a group of one person, and 9,500 is that person's spend.

What counts as the same group (``related_keys``): the same grouping columns
with the same values, or one key extending the other (``city=Beijing`` and
``city=Beijing, vip=false``; an ungrouped total row has the empty key and so
relates to every group). Two related groups whose counts differ by 1 to
``min_group_size - 1`` persons are a differencing pair; the sums, means and
other statistics of those groups are covered by the same comparison, since it
is their persons that differ. A statistic released without a count cannot be
checked that way: if the same key's same statistic was released before with a
different value and either release lacks the count, the new release is
blocked too, and its reason asks for the count.

Not covered: differences spread over several released groups (A minus the
sum of B1 and B2), statistics of groups keyed by different columns, and
releases under other contracts. Releases made with differential-privacy noise
are recorded but not compared: their counts are noisy, so equal queries
differ by chance, and the privacy budget is what bounds what they add.

The privacy budget: the contract's ``differential_privacy.epsilon`` (and
``delta``) is the total over its life; each release spends an equal share,
the budget divided by the contract's real-run quota (``job_kinds.script.max_runs``,
or ``DEFAULT_RELEASES_PER_BUDGET`` without one), so the budget lasts exactly
as long as the runs do. A release whose share would take the spent total past
the budget is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from contracts import Contract, DifferentialPrivacy

#: Releases a budget is split over when the contract sets no real-run quota.
DEFAULT_RELEASES_PER_BUDGET = 10

# Floats that differ only in their last bits are the same statistic written twice.
_SAME_VALUE_RELATIVE = 1e-9

DIFFERENCING_MSG = (
    "Release {later} would reveal a group of {persons} person(s) by differencing: its "
    "group {later_key} in {later_file} counts {later_count}, and release {earlier} already "
    "released {earlier_key} in {earlier_file} with count {earlier_count}; groups that "
    "differ by fewer than the contract's minimum group size of {limit} single people out. "
    "Withhold this release, or release groups that differ by at least {limit} persons."
)
UNCOUNTED_MSG = (
    "Release {later} would change statistic {column} of group {key} in {later_file} "
    "({earlier} released a different value in {earlier_file}), and the counts do not say "
    "how many persons are behind the difference (a count is missing, or both are the same, "
    "as rounding makes them when one person differs): release the group's exact count with "
    "its statistics, or withhold this release."
)
BUDGET_MSG = (
    "Release {release} would spend epsilon {spend:g} of contract {contract}'s "
    "differential-privacy budget, but only {remaining:g} of {total:g} is left (spent: "
    "{spent:g}): the budget is used up; ask the owner for a new contract version with a "
    "new budget."
)
DELTA_BUDGET_MSG = (
    "Release {release} would spend delta {spend:g} of contract {contract}'s "
    "differential-privacy budget, but only {remaining:g} of {total:g} is left: the "
    "budget is used up; ask the owner for a new contract version with a new budget."
)


@dataclass(frozen=True)
class ReleasedGroup:
    """One group a release shows: a table row, or a PSI run's intersection."""

    release_id: str  # the released job's id
    file: str
    key: tuple[tuple[str, str], ...]  # (column, value), sorted by column
    count: int | None  # persons in the group, where the release shows it
    statistics: Mapping[str, float] = field(default_factory=dict)
    noised: bool = False  # released with differential-privacy noise
    kind: str = "table"  # "table" rows and "psi" runs are compared only among their own

    @property
    def key_text(self) -> str:
        return " & ".join(f"{c}={v}" for c, v in self.key) or "(all rows)"


@dataclass(frozen=True)
class Differencing:
    """Two released groups whose difference is too small a group."""

    earlier: ReleasedGroup
    later: ReleasedGroup
    persons: int | None  # None when a count is missing
    limit: int

    @property
    def message(self) -> str:
        if self.persons is None:
            column = next(iter(_changed_statistics(self.earlier, self.later)), "?")
            return UNCOUNTED_MSG.format(
                later=self.later.release_id,
                earlier=self.earlier.release_id,
                column=column,
                key=self.later.key_text,
                later_file=self.later.file,
                earlier_file=self.earlier.file,
            )
        return DIFFERENCING_MSG.format(
            later=self.later.release_id,
            earlier=self.earlier.release_id,
            persons=self.persons,
            later_key=self.later.key_text,
            earlier_key=self.earlier.key_text,
            later_file=self.later.file,
            earlier_file=self.earlier.file,
            later_count=self.later.count,
            earlier_count=self.earlier.count,
            limit=self.limit,
        )


def group_key(values: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """A group's key in the one spelling every release compares: sorted, values as text.

    ``2024`` and ``2024.0`` are one year; ``True`` and ``true`` one flag.
    """
    return tuple(sorted((column, _key_text(value)) for column, value in values.items()))


def _key_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def related_keys(a: tuple[tuple[str, str], ...], b: tuple[tuple[str, str], ...]) -> bool:
    """The same key, or one extending the other (so one group contains the other)."""
    first, second = set(a), set(b)
    return first <= second or second <= first


def find_differencing(
    released: Sequence[ReleasedGroup], new: Sequence[ReleasedGroup], *, min_group_size: int
) -> tuple[Differencing, ...]:
    """Every differencing pair the new release's groups form with earlier ones and each other."""
    found = []
    for position, later in enumerate(new):
        if later.noised:
            continue
        for earlier in (*released, *new[:position]):
            if earlier.noised or earlier is later or earlier.kind != later.kind:
                continue
            if not related_keys(earlier.key, later.key):
                continue
            pair = _differencing(earlier, later, min_group_size)
            if pair is not None:
                found.append(pair)
    return tuple(found)


def _differencing(earlier: ReleasedGroup, later: ReleasedGroup, limit: int) -> Differencing | None:
    if earlier.count is not None and later.count is not None:
        persons = abs(earlier.count - later.count)
        if 0 < persons < limit:
            return Differencing(earlier, later, persons, limit)
        if persons:
            return None
        # The same count (rounded counts hide one person) over changed statistics: the
        # difference of the two sums may still be one person's.
    if earlier.key == later.key and _changed_statistics(earlier, later):
        return Differencing(earlier, later, None, limit)
    return None


def _changed_statistics(earlier: ReleasedGroup, later: ReleasedGroup) -> list[str]:
    return [
        column
        for column in sorted(set(earlier.statistics) & set(later.statistics))
        if not _same(earlier.statistics[column], later.statistics[column])
    ]


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=_SAME_VALUE_RELATIVE, abs_tol=0.0)


# The privacy budget.


@dataclass(frozen=True)
class PrivacySpend:
    """What one release spends of the contract's budget."""

    epsilon: float
    delta: float = 0.0


@dataclass(frozen=True)
class BudgetState:
    total: PrivacySpend
    spent: PrivacySpend

    @property
    def remaining(self) -> PrivacySpend:
        return PrivacySpend(
            max(0.0, self.total.epsilon - self.spent.epsilon),
            max(0.0, self.total.delta - self.spent.delta),
        )


def releases_per_budget(contract: Contract) -> int:
    script = contract.job_kinds.script
    if script is not None and script.max_runs is not None:
        return script.max_runs
    return DEFAULT_RELEASES_PER_BUDGET


def release_share(contract: Contract) -> PrivacySpend | None:
    """What each release of the contract spends; None when it has no DP budget."""
    budget = contract.output.differential_privacy
    if budget is None:
        return None
    releases = releases_per_budget(contract)
    return PrivacySpend(budget.epsilon / releases, budget.delta / releases)


def budget_state(budget: DifferentialPrivacy, spends: Iterable[PrivacySpend]) -> BudgetState:
    spent = list(spends)
    return BudgetState(
        PrivacySpend(budget.epsilon, budget.delta),
        # fsum: a hundred shares of 0.1 must add up to the 10.0 they were cut from.
        PrivacySpend(math.fsum(s.epsilon for s in spent), math.fsum(s.delta for s in spent)),
    )


# Splitting a budget into equal shares and adding them back can land a hair above the
# total (0.1 * 3 > 0.3); that hair is rounding, not spending.
_BUDGET_SLACK = 1e-9


def over_budget(
    state: BudgetState, spend: PrivacySpend, *, release_id: str, contract_id: str
) -> str | None:
    """Why ``spend`` does not fit in what is left, or None when it fits."""
    total, spent = state.total, state.spent
    if spent.epsilon + spend.epsilon > total.epsilon * (1 + _BUDGET_SLACK):
        return BUDGET_MSG.format(
            release=release_id,
            contract=contract_id,
            spend=spend.epsilon,
            remaining=state.remaining.epsilon,
            total=total.epsilon,
            spent=spent.epsilon,
        )
    if spend.delta and spent.delta + spend.delta > total.delta * (1 + _BUDGET_SLACK):
        return DELTA_BUDGET_MSG.format(
            release=release_id,
            contract=contract_id,
            spend=spend.delta,
            remaining=state.remaining.delta,
            total=total.delta,
        )
    return None
