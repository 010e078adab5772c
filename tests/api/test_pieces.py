"""The API's pure pieces: status by error type, the rate bucket, the SDK's errors
and reprs, and the client importing nothing of the server."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from contracts import ContractRevoked, SignatureInvalid
from kms import KeyUnwrapFailed, KmsUsageError
from sealroom.api.errors import RateLimited
from sealroom.api.limits import Rate, RateLimiter, TokenBucket
from sealroom.api.problems import kind_of
from sealroom.client import Conflict, ServerFault
from sealroom.client import RateLimited as ClientRateLimited
from sealroom.client.errors import error_for
from sealroom.client.models import DatasetInfo, IssuedTokenInfo, TokenInfo
from sealroom.errors import AlreadyExists, DatasetTooLarge, NotFound, PermissionDenied
from sealroom.service.tokens import TokenRejected


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("dataset", "x"), 404),
        (PermissionDenied("no"), 403),
        (AlreadyExists("party", "x"), 409),
        (DatasetTooLarge("big"), 413),
        (TokenRejected("bad"), 401),
        (ContractRevoked("revoked"), 409),  # inherits ContractNotActive's status
        (SignatureInvalid("forged"), 422),
        (KmsUsageError("wrong length"), 400),
        (KeyUnwrapFailed(), 500),  # the server's own keys: not the caller's fault
        (ValueError("a bug"), 500),
    ],
)
def test_each_error_gets_its_status_by_type(error: Exception, status: int) -> None:
    assert kind_of(error).status == status


def test_a_bucket_lets_a_burst_through_then_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(Rate(burst=2, per_minute=60), clock=lambda: now[0])
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(1.0)
    now[0] = 1.0
    assert bucket.take() == 0.0


def test_the_limiter_keeps_one_bucket_per_token_and_ignores_unlimited_kinds() -> None:
    limiter = RateLimiter({"download": Rate(burst=1, per_minute=1)}, clock=lambda: 0.0)
    limiter.take("download", "token-a")
    limiter.take("download", "token-b")
    limiter.take("listing", "token-a")
    with pytest.raises(RateLimited, match="wait 60 s") as raised:
        limiter.take("download", "token-a")
    assert raised.value.retry_after == 60


def test_the_sdk_raises_the_servers_sentence_by_status() -> None:
    conflict = error_for(409, {"detail": "acme-cn has already approved contract c-12 v1"})
    assert isinstance(conflict, Conflict) and conflict.message == str(conflict)
    assert "already approved" in str(conflict)
    limited = error_for(429, {"detail": "slow down", "retry_after": 7})
    assert isinstance(limited, ClientRateLimited) and limited.retry_after == 7
    assert isinstance(error_for(502, {}), ServerFault)


def _dataset() -> DatasetInfo:
    return DatasetInfo.model_validate(
        {
            "name": "customers",
            "owner": "acme-cn",
            "version": 2,
            "source_name": "customers.parquet",
            "source_format": "parquet",
            "source_encoding": None,
            "source_bytes": 10,
            "stored_bytes": 10,
            "row_count": 2000,
            "columns": [
                {
                    "name": "mobile<script>",
                    "physical_type": "string",
                    "level": "identifier",
                    "detector": "cn_mobile",
                    "confidence": 0.99,
                    "decided_by": "detector",
                }
            ],
            "content_sha256": "ab" * 32,
            "data_key_id": "dk-1",
            "algorithm": "aes-256-gcm",
            "registered_by": "acme-cn",
        }
    )


def test_jupyter_shows_a_dataset_as_a_table_with_its_names_escaped() -> None:
    dataset = _dataset()
    assert repr(dataset) == (
        "Dataset(customers v2, owner=acme-cn, 2,000 rows, 1 columns, aes-256-gcm)"
    )
    page = dataset._repr_html_()
    assert "<table>" in page and "identifier" in page
    assert "<script>" not in page and "mobile&lt;script&gt;" in page


def test_an_issued_token_never_shows_its_secret_in_a_repr() -> None:
    now = datetime.now(UTC)
    info = TokenInfo(
        token_id="abc",
        party="globex-uk",
        scopes=["read"],
        label="",
        created_at=now,
        expires_at=now,
        revoked_at=None,
        last_used_at=None,
        state="active",
    )
    issued = IssuedTokenInfo(token="srt_abc_supersecret", info=info)
    assert "supersecret" not in repr(issued) and "supersecret" not in str(issued)


def test_the_client_imports_nothing_of_the_server() -> None:
    code = (
        "import sys, sealroom.client\n"
        "heavy = {'sqlalchemy', 'fastapi', 'starlette', 'uvicorn', 'pyarrow', 'pandas',"
        " 'numpy', 'alembic', 'psycopg', 'docker'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_client_exports_every_error_and_the_models_people_meet() -> None:
    import sealroom.client as surface
    from sealroom.client import errors

    raised = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.ApiError)
    }
    assert raised <= set(surface.__all__)
    for name in surface.__all__:
        assert getattr(surface, name) is not None


def test_a_client_from_the_environment_needs_both_server_and_token() -> None:
    from sealroom.client import ApiError, Client

    with pytest.raises(ApiError, match="set SEALROOM_SERVER"):
        Client.from_env({"SEALROOM_SERVER": "http://127.0.0.1:1"})
    client = Client.from_env(
        {"SEALROOM_SERVER": "http://127.0.0.1:1/", "SEALROOM_TOKEN": "srt_a_b"}
    )
    assert repr(client) == "Client(http://127.0.0.1:1)" and "srt_" not in repr(client)
    client.close()


def test_a_server_that_does_not_answer_is_named_in_the_error() -> None:
    from sealroom.client import Client, ServerUnreachable

    with (
        Client("http://127.0.0.1:1", "srt_a_b", progress=False) as client,
        pytest.raises(ServerUnreachable, match=r"no Sealroom server answers at http://127.0.0.1:1"),
    ):
        client.health()


def test_raw_bodies_get_their_own_caps_and_everything_else_the_json_cap() -> None:
    from fastapi import FastAPI

    from sealroom.api.app import _body_kinds
    from sealroom.api.routes import build_route_table

    app = FastAPI()
    app.state.route_table = build_route_table(app.router)
    kind = _body_kinds(app)

    def scope(method: str, path: str) -> dict[str, object]:
        return {"type": "http", "method": method, "path": path, "root_path": ""}

    assert kind(scope("POST", "/v1/datasets/customers")) == "upload"
    assert kind(scope("POST", "/v1/psi/j-1/messages")) == "psi"
    assert kind(scope("GET", "/v1/datasets/customers")) is None
    assert kind(scope("POST", "/v1/tokens")) is None
