"""Bad input over HTTP: each gets the right 4xx and a sentence to act on, nothing
changes, and the attempt is in the audit log."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from contracts import ActionKind, Approval, Role
from kms import generate_party_keys
from sealroom.api import ApiLimits, Rate, create_app
from sealroom.api.routes.datasets import sweep_uploads
from sealroom.audit.records import AuditEventRecord
from sealroom.errors import NotFound
from sealroom.service.contracts import show_contract, sign_step
from sealroom.service.datasets import list_datasets, show_dataset
from tests.api.conftest import bearer
from tests.fixtures.world import World, serving

pytestmark = pytest.mark.integration

TIGHT = ApiLimits(
    max_json_bytes=4096,
    max_upload_bytes=64 * 1024,
    upload_idle_seconds=0.5,
    rates={"download": Rate(burst=2, per_minute=1.0)},
)


@pytest.fixture(scope="module")
def http(proposed_world: World) -> Iterator[httpx.Client]:
    with (
        serving(create_app(proposed_world.room, TIGHT)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def as_role(world: World, role: str, **extra: str) -> dict[str, str]:
    return {**bearer(world.tokens[role]), **extra}


def denials(world: World) -> list[dict[str, object]]:
    with world.room.sessions() as session:
        rows = session.scalars(
            select(AuditEventRecord).where(AuditEventRecord.action == "api.denied")
        ).all()
        return [{"actor": r.actor, "detail": r.detail, "subjects": r.subject_ids} for r in rows]


def assert_problem(response: httpx.Response, status: int, says: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and says in body["detail"], body["detail"]
    assert body["type"].startswith("urn:sealroom:problem:")


def test_malformed_json_is_a_400_saying_where_and_is_audited(
    proposed_world: World, http: httpx.Client
) -> None:
    before = len(denials(proposed_world))
    response = http.post(
        "/v1/tokens",
        content=b'{"party": "acme-cn",',
        headers=as_role(proposed_world, "admin", **{"Content-Type": "application/json"}),
    )
    assert_problem(response, 400, "the body is not valid JSON")
    after = denials(proposed_world)
    assert len(after) == before + 1
    assert "POST /v1/tokens" in str(after[-1]["subjects"])


def test_a_body_of_the_wrong_content_type_is_refused_before_it_is_read(
    proposed_world: World, http: httpx.Client
) -> None:
    response = http.post(
        "/v1/tokens",
        content=b"party=acme-cn",
        headers=as_role(
            proposed_world, "admin", **{"Content-Type": "application/x-www-form-urlencoded"}
        ),
    )
    assert_problem(response, 415, "takes application/json")


def test_an_oversized_body_is_refused_by_its_declared_length(
    proposed_world: World, http: httpx.Client
) -> None:
    response = http.post(
        "/v1/tokens",
        json={"party": "acme-cn", "label": "x" * 10_000},
        headers=as_role(proposed_world, "admin"),
    )
    assert_problem(response, 413, "larger than this server accepts (4,096 bytes)")


def test_an_oversized_upload_is_cut_off_while_it_streams(
    proposed_world: World, http: httpx.Client
) -> None:
    def endless_csv() -> Iterator[bytes]:  # chunked: no length declared up front
        yield b"customer_id,spend\n"
        for i in range(100_000):
            yield f"C{i:08d},{i}\n".encode() * 50

    response = http.post(
        "/v1/datasets/too-big",
        params={"owner": "acme-cn"},
        content=endless_csv(),
        headers=as_role(proposed_world, "owner", **{"Content-Type": "text/csv"}),
    )
    assert_problem(response, 413, "the upload is larger than this server accepts")
    assert "too-big" not in [d.name for d in list_datasets(proposed_world.room)]
    uploads = proposed_world.home / "uploads"
    assert not any(uploads.iterdir()), "the partial upload was left on disk"


def test_a_stalled_upload_is_dropped(proposed_world: World, http: httpx.Client) -> None:
    def stalling() -> Iterator[bytes]:
        yield b"customer_id,spend\n"
        time.sleep(2)
        yield b"C1,1\n"

    try:
        response = http.post(
            "/v1/datasets/stalled",
            params={"owner": "acme-cn"},
            content=stalling(),
            headers=as_role(proposed_world, "owner", **{"Content-Type": "text/csv"}),
        )
    except httpx.TransportError:
        pass  # the server may close the connection before the client finished sending
    else:
        assert_problem(response, 408, "sent nothing for 0.5 seconds")
    assert "stalled" not in [d.name for d in list_datasets(proposed_world.room)]


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd.csv", "..csv", "/tmp/x.csv", ".hidden.csv", "a\\b.csv"]
)
def test_a_file_name_with_a_path_in_it_is_refused(
    proposed_world: World, http: httpx.Client, filename: str
) -> None:
    response = http.post(
        "/v1/datasets/probe",
        params={"owner": "acme-cn", "filename": filename},
        content=b"a,b\n1,2\n",
        headers=as_role(proposed_world, "owner", **{"Content-Type": "text/csv"}),
    )
    assert_problem(response, 400, "without directories")
    with pytest.raises(NotFound):
        show_dataset(proposed_world.room, "probe")


@pytest.mark.parametrize(
    ("name", "status"),
    [("..%2F..%2Fetc", 404), ("Bad_Name", 400), ("客户%E2%80%8B2024", 400), ("客户%E2%80%AE", 400)],
)
def test_a_dataset_name_that_is_not_a_name_is_refused(
    proposed_world: World, http: httpx.Client, name: str, status: int
) -> None:
    response = http.post(
        f"/v1/datasets/{name}",
        params={"owner": "acme-cn"},
        content=b"a,b\n1,2\n",
        headers=as_role(proposed_world, "owner", **{"Content-Type": "text/csv"}),
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("role", "says"),
    [
        ("expired token", "expired at"),
        ("revoked token", "was revoked at"),
    ],
)
def test_expired_and_revoked_tokens_are_refused_and_audited(
    proposed_world: World, http: httpx.Client, role: str, says: str
) -> None:
    response = http.get("/v1/me", headers=as_role(proposed_world, role))
    assert_problem(response, 401, says)
    last = denials(proposed_world)[-1]
    token_id = proposed_world.tokens[role].split("_")[1]
    assert last["actor"] == "anonymous" and token_id in str(last["detail"])


@pytest.mark.parametrize(
    "header",
    [
        "Bearer srt_0123456789abcdef_not-the-secret",
        "Bearer not-a-token",
        "Basic YWRtaW46YWRtaW4=",
    ],
)
def test_a_forged_token_learns_nothing_but_that_it_is_not_valid(
    http: httpx.Client, header: str
) -> None:
    response = http.get("/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="sealroom"'
    assert response.headers["content-type"] == "application/problem+json"


def test_a_token_with_the_secret_of_another_token_is_refused(
    proposed_world: World, http: httpx.Client
) -> None:
    _, _, owner_secret = proposed_world.tokens["owner"].split("_", 2)
    _, partner_id, _ = proposed_world.tokens["recipient"].split("_", 2)
    response = http.get("/v1/me", headers=bearer(f"srt_{partner_id}_{owner_secret}"))
    assert_problem(response, 401, "is not valid")


def _step_body(approval: Approval) -> dict[str, object]:
    return {
        "version": 1,
        "approval": {
            "party": approval.party,
            "role": approval.role.value,
            "action": approval.action.value,
            "signed_at": approval.signed_at.isoformat(),
            "signature": approval.signature,
        },
    }


def test_a_signature_by_the_wrong_key_is_refused_and_changes_nothing(
    proposed_world: World, http: httpx.Client
) -> None:
    contract = show_contract(proposed_world.room, "c-12").contract
    forged = sign_step(
        contract,
        generate_party_keys(),
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        now=datetime.now(UTC),
    )
    steps_before = show_contract(proposed_world.room, "c-12").steps
    response = http.post(
        "/v1/contracts/c-12/steps",
        json=_step_body(forged),
        headers=as_role(proposed_world, "owner"),
    )
    assert_problem(response, 422, "does not verify")
    assert show_contract(proposed_world.room, "c-12").steps == steps_before


def test_a_valid_token_used_on_another_partys_behalf_is_refused(
    proposed_world: World, http: httpx.Client
) -> None:
    contract = show_contract(proposed_world.room, "c-12").contract
    owners_own = sign_step(
        contract,
        proposed_world.keys["acme-cn"],
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        now=datetime.now(UTC),
    )
    # The partner replays the owner's genuine signature with its own token.
    response = http.post(
        "/v1/contracts/c-12/steps",
        json=_step_body(owners_own),
        headers=as_role(proposed_world, "recipient"),
    )
    assert_problem(response, 403, "acts for no owner of contract c-12")
    assert show_contract(proposed_world.room, "c-12").steps == ()
    # The outsider cannot even read the contract.
    response = http.get("/v1/contracts/c-12", headers=as_role(proposed_world, "outsider"))
    assert_problem(response, 403, "initech is no party of contract c-12")


def test_a_replayed_approval_is_refused_the_second_time(
    proposed_world: World, http: httpx.Client
) -> None:
    contract = show_contract(proposed_world.room, "c-12").contract
    step = sign_step(
        contract,
        proposed_world.keys["acme-cn"],
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        now=datetime.now(UTC),
    )
    headers = as_role(proposed_world, "owner")
    first = http.post("/v1/contracts/c-12/steps", json=_step_body(step), headers=headers)
    assert first.status_code == 201, first.text
    again = http.post("/v1/contracts/c-12/steps", json=_step_body(step), headers=headers)
    assert_problem(again, 409, "acme-cn has already approved")
    assert len(show_contract(proposed_world.room, "c-12").steps) == 1


def test_downloads_are_rate_limited_per_token(proposed_world: World, http: httpx.Client) -> None:
    headers = as_role(proposed_world, "auditor")
    before = len(denials(proposed_world))
    statuses = [http.get("/v1/audit/export", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = http.get("/v1/audit/export", headers=headers)
    assert_problem(limited, 429, "too many download requests")
    assert int(limited.headers["Retry-After"]) >= 1
    assert len(denials(proposed_world)) == before  # a flood does not write the log
    # Another token has a bucket of its own.
    assert http.get("/v1/audit/export", headers=as_role(proposed_world, "admin")).is_success


def test_a_missing_thing_gets_the_clis_sentence(proposed_world: World, http: httpx.Client) -> None:
    with pytest.raises(NotFound) as raised:
        show_dataset(proposed_world.room, "customers", 7)
    response = http.get(
        "/v1/datasets/customers", params={"version": 7}, headers=as_role(proposed_world, "owner")
    )
    assert_problem(response, 404, raised.value.message)
    assert response.json()["detail"] == raised.value.message


def test_an_unknown_endpoint_is_a_problem_document_too(http: httpx.Client) -> None:
    assert_problem(http.get("/v1/secrets"), 404, "there is no endpoint at /v1/secrets")
    assert_problem(http.put("/v1/health"), 405, "PUT is not allowed")


def test_the_server_never_keeps_a_plaintext_upload(
    proposed_world: World, http: httpx.Client, tmp_path: Path
) -> None:
    csv = "customer_id,segment,spend_cny\n" + "".join(
        f"C{i:05d},{'gold' if i % 2 else 'silver'},{i}.5\n" for i in range(50)
    )
    response = http.post(
        "/v1/datasets/small",
        params={"owner": "acme-cn", "filename": "small.csv"},
        content=csv.encode(),
        headers=as_role(proposed_world, "owner", **{"Content-Type": "text/csv"}),
    )
    assert response.status_code == 201, response.text
    assert response.json()["row_count"] == 50
    assert not any((proposed_world.home / "uploads").iterdir())
    blobs = b"".join(p.read_bytes() for p in (proposed_world.home / "blobs").iterdir())
    assert b"C00049" not in blobs
    assert base64.b64encode(b"C00049") not in blobs


def test_one_client_cannot_flood_the_audit_log_with_refusals(proposed_world: World) -> None:
    limits = ApiLimits(denial_log=Rate(burst=3, per_minute=0.001))
    before = len(denials(proposed_world))
    with serving(create_app(proposed_world.room, limits)) as url:
        statuses = [httpx.get(f"{url}/v1/me").status_code for _ in range(6)]
    assert statuses == [401] * 6  # every one refused
    assert len(denials(proposed_world)) == before + 3  # only the first three written


def test_uploads_a_killed_server_left_are_swept_when_a_server_starts(
    proposed_world: World,
) -> None:
    left = proposed_world.home / "uploads" / "tmp-killed"
    left.mkdir(parents=True)
    (left / "customers.csv").write_text("customer_id\nC1\n")
    assert sweep_uploads(proposed_world.room) == 1
    assert not left.exists()


def test_a_gbk_csv_registers_over_http_under_a_chinese_name(
    proposed_world: World, http: httpx.Client
) -> None:
    csv = "客户编号,城市,消费金额\n" + "".join(f"K{i:04d},上海,{i}.5\n" for i in range(20))
    response = http.post(
        "/v1/datasets/客户_2024",
        params={"owner": "acme-cn", "filename": "客户.csv", "encoding": "gbk"},
        content=csv.encode("gbk"),
        headers=as_role(proposed_world, "owner", **{"Content-Type": "text/csv"}),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["source_name"], body["row_count"]) == ("客户_2024", "客户.csv", 20)
    assert [c["name"] for c in body["columns"]] == ["客户编号", "城市", "消费金额"]
