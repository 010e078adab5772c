"""Over HTTP, a real run's outputs say nothing to its author before the reviewers release it.

Today's run writes one small table; its size, row count and hash are as much
outputs as its cells (eleven sizes spell out a mobile number). The scientist
reads pass/fail per check, the reviewers (its quorum) read everything, including each
output parsed as the table that would be released, one window of rows at a time.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sealroom.api import create_app
from sealroom.client import Client
from sealroom.service.job_runner import run_next_job
from tests.fixtures.world import World, build_matrix_world, serving

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
DETAIL_KEYS = {"size", "rows", "sha256", "released_sha256", "suppressed_cells", "cells", "leakage"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str, str]]:
    """The story's parties, and one real run of the example job waiting for review."""
    root = tmp_path_factory.mktemp("disclosure")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEALROOM_SANDBOX_BACKEND", "bwrap")
        world = build_matrix_world(root / "home", f"sqlite:///{root / 'store.db'}")
        with serving(create_app(world.room)) as url:
            scientist = Client(url, world.tokens["scientist"], progress=False)
            for role, keys in (("owner", world.keys["acme-cn"]), ("platform", None)):
                with Client(url, world.tokens[role], progress=False) as reviewer:
                    reviewer.approve_code("c-12", GOOD, keys=keys)
            job = scientist.submit_job("c-12", GOOD, mode="real").job_id
            run_next_job(world.room, job)
            scientist.close()
            yield world, url, job
        world.room.close()


def raw(url: str, token: str, path: str) -> Any:
    response = httpx.get(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_withheld(job: dict[str, Any]) -> None:
    assert job["details_withheld"] is True
    assert job["outputs"] == []
    report = job["check_report"]
    assert report["format"] == "sealroom.check-summary/v1"
    assert not keys_in(report) & DETAIL_KEYS
    assert {c["outcome"] for c in report["checks"]} <= {"passed", "failed"}
    assert "spend_by_segment.csv" not in str(job)


def test_the_submitter_sees_pass_or_fail_only_and_the_reviewers_see_all(
    served: tuple[World, str, str],
) -> None:
    world, url, job = served
    tokens = world.tokens
    seen = raw(url, tokens["scientist"], f"/v1/jobs/{job}")
    assert seen["state"] == "awaiting_review", seen["reason"]
    assert_withheld(seen)
    listed = raw(url, tokens["scientist"], "/v1/contracts/c-12/jobs")
    assert_withheld(next(j for j in listed if j["job_id"] == job))
    assert {c["check"] for c in seen["check_report"]["checks"]} >= {"readable", "max_rows"}

    # A party with the reviewer role but no seat in this job's quorum reviews nothing.
    assert_withheld(raw(url, tokens["reviewer"], f"/v1/jobs/{job}"))
    for role in ("owner", "platform"):
        full = raw(url, tokens[role], f"/v1/jobs/{job}")
        assert full["details_withheld"] is False
        (output,) = full["outputs"]
        assert output["name"] == "spend_by_segment.csv" and output["size"] > 0
        assert full["check_report"]["files"][0]["rows"] > 0
        listed = raw(url, tokens[role], "/v1/contracts/c-12/jobs")
        assert next(j for j in listed if j["job_id"] == job)["outputs"] == full["outputs"]

    # The scientist is no recipient of the contract: released, the details stay withheld.
    for role, keys in (("owner", world.keys["acme-cn"]), ("platform", None)):
        with Client(url, tokens[role], progress=False) as reviewer:
            state = reviewer.vote(job, "approve", keys=keys).state
    assert state == "released"
    assert_withheld(raw(url, tokens["scientist"], f"/v1/jobs/{job}"))


def test_the_review_carries_each_output_as_the_table_released_a_window_at_a_time(
    served: tuple[World, str, str],
) -> None:
    world, url, job = served
    with Client(url, world.tokens["owner"], progress=False) as owner:
        whole = owner.review(job)
        first = owner.review(job, first_row=1, last_row=2)
        second = owner.review(job, first_row=3, last_row=4)
    (table,) = whole.tables
    assert table.name == "spend_by_segment.csv" and table.unreadable is None
    assert table.columns == ["segment", "customers", "mean_spend_cny"]
    assert table.total_rows == len(table.rows) >= 3 and table.first_row == 1
    # The cells are the stored file's text, cell for cell.
    stored = base64.b64decode(whole.outputs["spend_by_segment.csv"]).decode()
    assert [[c or "" for c in row] for row in table.rows] == list(csv.reader(stored.splitlines()))[
        1:
    ]
    assert (first.tables[0].first_row, first.tables[0].rows) == (1, table.rows[:2])
    assert (second.tables[0].first_row, second.tables[0].rows) == (3, table.rows[2:4])
    assert whole.logs is not None and "real run" in whole.logs.stdout.text
