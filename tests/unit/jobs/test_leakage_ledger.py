"""The leakage ledger's arithmetic: differencing pairs, what a release adds, the budget."""

from __future__ import annotations

import pyarrow as pa
import pytest

from contracts import Contract
from jobs import (
    OutputCheckPolicy,
    PrivacySpend,
    ReleasedGroup,
    budget_state,
    find_differencing,
    over_budget,
    psi_groups,
    release_share,
    table_groups,
)
from jobs.leakage_ledger import DEFAULT_RELEASES_PER_BUDGET, group_key, related_keys

from .conftest import load_example

K = 10


def group(
    release: str,
    count: int | None,
    *,
    noised: bool = False,
    file: str = "by_city.csv",
    statistics: dict[str, float] | None = None,
    **key: object,
) -> ReleasedGroup:
    return ReleasedGroup(release, file, group_key(key), count, statistics or {}, noised)


def test_a_group_one_person_smaller_than_a_released_one_is_blocked_naming_both_releases() -> None:
    earlier = group("j-aaaa", 120, city="Beijing")
    later = group("j-bbbb", 119, city="Beijing")  # the job filtered out the VIPs
    [pair] = find_differencing([earlier], [later], min_group_size=K)
    assert pair.persons == 1
    assert "j-aaaa" in pair.message and "j-bbbb" in pair.message
    assert "city=Beijing" in pair.message and "1 person(s)" in pair.message


def test_a_refined_group_differing_by_a_few_from_its_coarser_group_is_blocked() -> None:
    earlier = group("j-aaaa", 120, city="Beijing")
    later = group("j-bbbb", 117, city="Beijing", vip=False)
    [pair] = find_differencing([earlier], [later], min_group_size=K)
    assert pair.persons == 3


def test_a_total_row_relates_to_every_group_of_the_same_release() -> None:
    total = group("j-aaaa", 1000, file="total.csv")
    beijing = group("j-aaaa", 996, city="Beijing")  # the rest of the country is 4 people
    assert [p.persons for p in find_differencing([], [total, beijing], min_group_size=K)] == [4]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (group("j-a", 120, city="Beijing"), group("j-b", 119, city="Shanghai")),
        (group("j-a", 120, city="Beijing"), group("j-b", 120, city="Beijing")),
        (group("j-a", 120, city="Beijing"), group("j-b", 110, city="Beijing")),
        (group("j-a", 120, city="Beijing", vip=True), group("j-b", 119, city="Beijing", vip=False)),
        (group("j-a", 120, year=2024), group("j-b", 119, city="Beijing")),
    ],
    ids=["other-city", "same-count", "k-apart", "sibling-groups", "unrelated-columns"],
)
def test_honest_releases_pass(earlier: ReleasedGroup, later: ReleasedGroup) -> None:
    assert find_differencing([earlier], [later], min_group_size=K) == ()


def test_a_changed_sum_without_counts_is_blocked_because_it_cannot_be_checked() -> None:
    earlier = group("j-a", None, statistics={"spend_sum": 1_200_000.0}, city="Beijing")
    later = group("j-b", None, statistics={"spend_sum": 1_190_500.0}, city="Beijing")
    [pair] = find_differencing([earlier], [later], min_group_size=K)
    assert pair.persons is None
    assert "spend_sum" in pair.message and "release the group's exact count" in pair.message
    same = group("j-c", None, statistics={"spend_sum": 1_200_000.0}, city="Beijing")
    assert find_differencing([earlier], [same], min_group_size=K) == ()


def test_noised_releases_are_recorded_but_not_compared() -> None:
    earlier = group("j-a", 120, noised=True, city="Beijing")
    later = group("j-b", 119, noised=True, city="Beijing")
    assert find_differencing([earlier], [later], min_group_size=K) == ()


def test_keys_relate_when_equal_or_nested_only() -> None:
    assert related_keys(group_key({"city": "Beijing"}), group_key({"city": "Beijing", "vip": 1}))
    assert related_keys((), group_key({"city": "Beijing"}))
    assert not related_keys(group_key({"city": "Beijing"}), group_key({"city": "Shanghai"}))
    assert group_key({"year": 2024.0, "vip": True}) == group_key({"year": 2024, "vip": "true"})


def test_a_released_table_adds_one_group_per_row_with_its_count_and_statistics(
    contract: Contract,
) -> None:
    table = pa.table(
        {
            "segment": ["gold", "silver", None],
            "city": ["Beijing", "Beijing", "Shanghai"],
            "customers": [120, 35, 40],
            "mean_spend_cny": [101.25, 33.1, 12.0],
        }
    )
    groups = table_groups("j-a", "out.csv", table, OutputCheckPolicy.from_contract(contract))
    assert [(g.key, g.count, dict(g.statistics)) for g in groups] == [
        ((("city", "Beijing"), ("segment", "gold")), 120, {"mean_spend_cny": 101.25}),
        ((("city", "Beijing"), ("segment", "silver")), 35, {"mean_spend_cny": 33.1}),
    ]  # the row with an emptied key cell names no group


def test_a_psi_run_adds_its_owner_set_and_the_intersection_it_learns() -> None:
    leakage = {"owner_set_size": 5000, "partner_set_size": 900, "claimed_intersection_size": 412}
    groups = psi_groups("j-p", "psi_sum:sum:mobile", leakage)
    assert [(g.key, g.count, g.kind) for g in groups] == [
        ((("psi owner set", "mobile"),), 5000, "psi"),
        ((("psi intersection", "psi_sum:sum:mobile"),), 412, "psi"),
    ]
    again = psi_groups("j-q", "psi_sum:sum:mobile", {**leakage, "claimed_intersection_size": 411})
    [pair] = find_differencing(groups, again, min_group_size=K)
    assert pair.persons == 1 and "j-p" in pair.message and "j-q" in pair.message


def test_psi_runs_and_tables_are_not_compared_with_each_other() -> None:
    total = group("j-a", 5001, file="total.csv")
    [owner_set] = psi_groups("j-p", "psi:cardinality:mobile", {"owner_set_size": 5000})
    assert find_differencing([total], [owner_set], min_group_size=K) == ()


# The privacy budget.


def dp_contract(epsilon: float, delta: float = 0.0, max_runs: int | None = 50) -> Contract:
    runs = f"    max_runs: {max_runs}\n" if max_runs else ""
    return load_example(
        (
            "  max_rows: 1000\n",
            f"  max_rows: 1000\n  differential_privacy:\n"
            f"    epsilon: {epsilon}\n    delta: {delta}\n",
        ),
        ("  script:\n    max_runs: 50\n", f"  script:\n{runs}"),
    )


def test_each_release_spends_the_budget_divided_by_the_run_quota() -> None:
    share = release_share(dp_contract(5.0, 1e-5))
    assert share is not None
    assert (share.epsilon, share.delta) == pytest.approx((0.1, 2e-7))
    share = release_share(dp_contract(5.0, max_runs=None))
    assert share == PrivacySpend(5.0 / DEFAULT_RELEASES_PER_BUDGET, 0.0)
    assert release_share(load_example()) is None


def test_shares_add_up_to_exactly_the_budget_and_the_next_is_refused() -> None:
    contract = dp_contract(1.0, max_runs=10)
    budget = contract.output.differential_privacy
    assert budget is not None
    share = release_share(contract)
    assert share is not None
    spent: list[PrivacySpend] = []
    for _ in range(10):
        state = budget_state(budget, spent)
        assert over_budget(state, share, release_id="j-x", contract_id=contract.id) is None
        spent.append(share)
    state = budget_state(budget, spent)
    assert state.remaining.epsilon == pytest.approx(0.0)
    refusal = over_budget(state, share, release_id="j-eleven", contract_id=contract.id)
    assert refusal is not None
    assert "j-eleven" in refusal and "budget is used up" in refusal and "of 1 is left" in refusal


def test_a_release_over_the_delta_budget_is_refused() -> None:
    contract = dp_contract(10.0, 1e-6, max_runs=10)
    budget = contract.output.differential_privacy
    assert budget is not None
    state = budget_state(budget, [PrivacySpend(0.1, 1e-6)])
    refusal = over_budget(state, PrivacySpend(0.1, 1e-7), release_id="j-d", contract_id="c")
    assert refusal is not None and "delta" in refusal


def test_a_changed_sum_under_the_same_count_is_blocked() -> None:
    # Counts rounded to 5 stay 595 when one customer is dropped; the sums differ by
    # exactly that customer's spend.
    earlier = group("j-a", 595, statistics={"spend_sum": 1_200_000.0}, city="Beijing")
    later = group("j-b", 595, statistics={"spend_sum": 1_190_500.0}, city="Beijing")
    [pair] = find_differencing([earlier], [later], min_group_size=K)
    assert pair.persons is None and "spend_sum" in pair.message
    again = group("j-c", 595, statistics={"spend_sum": 1_200_000.0}, city="Beijing")
    assert find_differencing([earlier], [again], min_group_size=K) == ()
