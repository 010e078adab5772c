"""Undeclared output columns named in Chinese are told apart like English ones:
counts of people, keys that group, and money that is no group at all."""

from __future__ import annotations

import pyarrow as pa

from jobs.output_checks import OutputCheckPolicy, count_like_columns, statistic_columns

POLICY = OutputCheckPolicy(max_rows=100, max_bytes=1 << 20, min_group_size=10)


def test_chinese_count_key_and_money_columns_get_their_roles() -> None:
    table = pa.table(
        {
            "城市": ["上海", "北京"],
            "客户人数": [40, 55],
            "年份": [2024, 2024],
            "消费金额合计": [3, 7],  # integers, but yuan: a total of 3 is not 3 people
        }
    )
    assert count_like_columns(table, POLICY) == ("客户人数",)
    assert "年份" not in statistic_columns(table, POLICY)
    assert "消费金额合计" in statistic_columns(table, POLICY)
