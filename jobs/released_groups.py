"""What a release adds to the leakage ledger: its groups, read off the released tables.

A released table's columns fall in three parts, as the output checks see them:
the count (a column the output schema declares ``count``, else the first
count-like column), the other statistics (sums, means, ...), and the key (every
other column). Each row is one group. A PSI run adds one group per run, keyed
by its protocol line (kind, reveal mode, key column), with the intersection
size as its count where the owner learns it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from contracts import Aggregate
from jobs.leakage_ledger import ReleasedGroup, group_key
from jobs.output_checks import OutputCheckPolicy, count_like_columns, statistic_columns

# The PSI leakage fields that are the intersection size the owner side knows.
_INTERSECTION_FIELDS = ("claimed_intersection_size", "reported_intersection_size")


def table_groups(
    release_id: str,
    file: str,
    table: pa.Table,
    policy: OutputCheckPolicy,
    *,
    noised: bool = False,
) -> list[ReleasedGroup]:
    """One group per row; rows with an emptied (suppressed) key cell show no group."""
    count_column = _count_column(table, policy)
    statistics = [c for c in statistic_columns(table, policy) if c != count_column]
    keys = [c for c in table.column_names if c != count_column and c not in statistics]
    groups = []
    for row in table.to_pylist():
        if any(row[k] is None for k in keys):
            continue
        count: Any = row[count_column] if count_column is not None else None
        groups.append(
            ReleasedGroup(
                release_id=release_id,
                file=file,
                key=group_key({k: row[k] for k in keys}),
                count=int(count) if _is_number(count) else None,
                statistics={s: float(row[s]) for s in statistics if _is_number(row[s])},
                noised=noised,
            )
        )
    return groups


def _count_column(table: pa.Table, policy: OutputCheckPolicy) -> str | None:
    counts = count_like_columns(table, policy)
    declared = [
        c.name for c in policy.schema or () if c.aggregate is Aggregate.COUNT and c.name in counts
    ]
    chosen = declared or list(counts)
    return chosen[0] if chosen else None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def psi_groups(release_id: str, protocol: str, leakage: Mapping[str, Any]) -> list[ReleasedGroup]:
    """A PSI run's release: the owner's set (its size the partner learns) and the
    intersection (its size, where the owner side learns it), keyed by the protocol line
    ``<kind>:<reveal mode>:<key column>``.

    Set sizes differing by a few between runs say that a few people joined or left the
    owner's data; intersection sizes differing by a few say which of the partner's few
    extra identifiers are the owner's customers.
    """
    key_column = protocol.rsplit(":", 1)[-1]
    groups = []
    owner_size = leakage.get("owner_set_size")
    if isinstance(owner_size, int):
        key = group_key({"psi owner set": key_column})
        groups.append(ReleasedGroup(release_id, "(psi run)", key, owner_size, kind="psi"))
    intersection = next(
        (leakage[f] for f in _INTERSECTION_FIELDS if isinstance(leakage.get(f), int)), None
    )
    if intersection is not None:
        key = group_key({"psi intersection": protocol})
        groups.append(ReleasedGroup(release_id, "(psi run)", key, int(intersection), kind="psi"))
    return groups
