"""What a token learns of others: its counterparties only, its contracts' history only,
and of a job it has no part in, nothing, not even that the job exists."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sealroom.service.tokens import issue_token
from tests.api.conftest import bearer
from tests.fixtures.world import ADMIN, World

pytestmark = pytest.mark.integration
OUTSIDER = "initech"


@pytest.fixture(scope="module")
def http(matrix_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=matrix_url, timeout=30) as client:
        yield client


def _token(world: World, party: str, *scopes: str) -> dict[str, str]:
    return bearer(issue_token(world.room, ADMIN, party=party, scopes=scopes).token)


def test_a_party_lists_its_counterparties_and_no_one_else(
    matrix_world: World, http: httpx.Client
) -> None:
    everyone = {p["name"] for p in http.get("/v1/parties", headers=_admin(matrix_world)).json()}
    partner = http.get("/v1/parties", headers=bearer(matrix_world.tokens["recipient"]))
    outsider = http.get("/v1/parties", headers=bearer(matrix_world.tokens["outsider"]))
    assert partner.status_code == outsider.status_code == 200
    seen_by_partner = {p["name"] for p in partner.json()}
    assert {"acme-cn", "globex-uk", "platform"} <= seen_by_partner
    assert OUTSIDER not in seen_by_partner and "audra" not in seen_by_partner
    assert {p["name"] for p in outsider.json()} == {OUTSIDER}
    assert OUTSIDER in everyone and "audra" in everyone  # they exist: the admin sees them
    # One party by name: a stranger's answer is that of a name never registered.
    hidden = http.get(f"/v1/parties/{OUTSIDER}", headers=bearer(matrix_world.tokens["recipient"]))
    missing = http.get(
        "/v1/parties/nobody-at-all", headers=bearer(matrix_world.tokens["recipient"])
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(OUTSIDER, "X") == missing.json()["detail"].replace(
        "nobody-at-all", "X"
    )


def test_a_job_of_a_contract_one_has_no_part_in_answers_as_a_missing_job(
    matrix_world: World, http: httpx.Client
) -> None:
    job = matrix_world.jobs["queued"]
    headers = bearer(matrix_world.tokens["outsider"])
    for path in ("/v1/jobs/{}", "/v1/jobs/{}/logs", "/v1/jobs/{}/review", "/v1/jobs/{}/result"):
        real = http.get(path.format(job), headers=headers)
        never = http.get(path.format("j-0000000000"), headers=headers)
        assert real.status_code == never.status_code == 404, path
        assert real.json()["detail"].replace(job, "J") == never.json()["detail"].replace(
            "j-0000000000", "J"
        ), path


def test_the_audit_timeline_is_per_contract(matrix_world: World, http: httpx.Client) -> None:
    def seen(headers: dict[str, str]) -> list[tuple[str | None, str]]:
        response = http.get("/v1/audit/events", params={"limit": 10_000}, headers=headers)
        assert response.status_code == 200, response.text
        return [(e["contract_id"], e["actor"]) for e in response.json()]

    whole = seen(_token(matrix_world, "audra", "audit:all"))
    assert ("c-12", "acme-cn") in whole and (None, "admin") in whole
    # A party with `audit` reads its contracts' history and its own doings, not the
    # platform's records of others.
    partner = seen(_token(matrix_world, "globex-uk", "audit"))
    assert ("c-12", "acme-cn") in partner
    assert all(contract == "c-12" or actor == "globex-uk" for contract, actor in partner)
    # An outsider with `audit` reads nothing of c-12; named in the scope, it reads c-12.
    assert all(contract != "c-12" for contract, _ in seen(_token(matrix_world, OUTSIDER, "audit")))
    assert {c for c, _ in seen(_token(matrix_world, OUTSIDER, "audit:c-12"))} == {"c-12"}
    # The export is the whole log: a per-contract auditor may not take it.
    refused = http.get("/v1/audit/export", headers=_token(matrix_world, "globex-uk", "audit"))
    assert refused.status_code == 403 and "audit:all" in refused.json()["detail"]


def _admin(world: World) -> dict[str, str]:
    return bearer(world.tokens["admin"])
