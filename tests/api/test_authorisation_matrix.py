"""Every endpoint x every role: allowed or denied exactly as its rule says.

The expectations are written here by hand, per rule; the endpoints come from
the application's route table. An endpoint without a rule, a rule this test
does not know, or an endpoint without a request recipe below fails the test,
so nothing reaches the API unreviewed.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from sealroom.api import create_app
from sealroom.audit.records import AuditEventRecord
from tests.api.conftest import bearer
from tests.fixtures.world import MATRIX_PARTIES, World, story_contract

pytestmark = pytest.mark.integration

PARTY_ROLES = ("owner", "platform", "scientist", "recipient", "reviewer", "auditor", "outsider")
ROLES = (*PARTY_ROLES, "admin", "expired token", "revoked token", "no token")
AUTHENTICATED = frozenset(PARTY_ROLES) | {"admin"}
READERS = AUTHENTICATED - {"auditor"}
# A party with no role in the matrix contract (and the scopes to ask), and the rules
# that guard one job: the job answers it as a missing one would.
STRANGERS = frozenset({"outsider"})
JOB_RULES = ("job-role:", "review-quorum:job:")
CONTRACT_PARTIES = frozenset({"owner", "platform", "scientist", "recipient", "reviewer", "admin"})

# Who each rule lets through. The administrator acts for the platform organisation,
# so it holds the platform's roles in a contract; the auditor's token has the audit
# scope only. The README's topology holds: the scientist alice is a person of the
# owner organisation acme-cn, so she acts for it (registers its data, proposes its
# contracts), but never decides on her own work: she is on no review quorum.
OWNER_PERSON = frozenset({"scientist"})
ALLOWED: dict[str, frozenset[str]] = {
    "public": frozenset(ROLES),
    "authenticated": AUTHENTICATED,
    "any-party:read": READERS,
    "auditor": frozenset({"auditor", "platform", "admin"}),
    # The export is the whole log: an audit:all token's (the auditor's) or the admin's.
    "auditor:whole-log": frozenset({"auditor", "admin"}),
    "proposer:write": frozenset({"owner", "platform", "admin"}) | OWNER_PERSON,
    "admin": frozenset({"admin"}),
    "contract-role:any:read": CONTRACT_PARTIES,
    "contract-role:owner,platform,recipient:write": frozenset(
        {"owner", "platform", "recipient", "admin"}
    ),
    "contract-role:platform:write": frozenset({"platform", "admin"}),
    "dataset-reader:read": CONTRACT_PARTIES,
    "acts-for-owner:write": frozenset({"owner", "admin"}) | OWNER_PERSON,
    "job-role:scientist:write": frozenset({"scientist"}),
    "job-role:scientist:read": frozenset({"scientist"}),
    "job-role:recipient:read": frozenset({"recipient"}),
    "job-role:recipient:write": frozenset({"recipient"}),
    "contract-role:recipient:write": frozenset({"recipient"}),
    "contract-role:scientist:write": frozenset({"scientist"}),
    "contract-role:owner,platform,reviewer,scientist:read": CONTRACT_PARTIES - {"recipient"},
    # The leakage ledger shows released results: not to a scientist who receives none.
    "contract-role:owner,platform,recipient,reviewer:read": CONTRACT_PARTIES - {"scientist"},
    "job-role:owner,platform,reviewer,scientist:read": CONTRACT_PARTIES - {"recipient"},
    # The matrix's job was submitted by the scientist, so no one more gets through.
    "job-role:owner,platform,reviewer,scientist+submitter:read": CONTRACT_PARTIES - {"recipient"},
    # The example's quorum is the owner and the platform; the reviewer-only party
    # reviews no output class of it, and the owner's own scientist is kept off it.
    "review-quorum:job:read": frozenset({"owner", "platform", "admin"}),
    "review-quorum:job:write": frozenset({"owner", "platform", "admin"}),
    "review-quorum:contract:write": frozenset({"owner", "platform", "admin"}),
}

SIGNING_ROLE = {
    "owner": "owner",
    "platform": "platform",
    "recipient": "recipient",
    "admin": "platform",
}


@dataclass(frozen=True)
class Caller:
    role: str
    world: World

    @property
    def party(self) -> str:
        if self.role in ("admin", "platform"):
            return "platform"  # people of the platform organisation sign as the platform
        return MATRIX_PARTIES.get(self.role, ("acme-cn",))[0]


def _forged_step(caller: Caller) -> dict[str, Any]:
    # Well formed, signed by nobody's pinned key: a party let through gets a 422.
    return {
        "version": 1,
        "approval": {
            "party": caller.party,
            "role": SIGNING_ROLE.get(caller.role, "scientist"),
            "action": "accept" if caller.role == "recipient" else "approve",
            "signed_at": datetime.now(UTC).isoformat(),
            "signature": base64.b64encode(os.urandom(64)).decode(),
        },
    }


Recipe = Callable[[Caller], dict[str, Any]]
KEYS = {
    "x25519": base64.b64encode(b"x" * 32).decode(),
    "ed25519": base64.b64encode(b"e" * 32).decode(),
}
RAGGED_CSV = b"a,b\n1,2,3,4\n"

# How to call each endpoint so that a caller who is let through changes nothing
# (a name that exists, a version that does not, a signature that does not verify).
RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/v1/health"): lambda c: {},
    ("GET", "/v1/me"): lambda c: {},
    ("GET", "/v1/parties"): lambda c: {},
    ("GET", "/v1/parties/{name}"): lambda c: {"path": {"name": "acme-cn"}},
    ("POST", "/v1/parties"): lambda c: {"json": {"name": "acme-cn", "public_keys": KEYS}},
    ("GET", "/v1/tokens"): lambda c: {},
    ("POST", "/v1/tokens"): lambda c: {"json": {"party": "nobody-here"}},
    ("DELETE", "/v1/tokens/{token_id}"): lambda c: {"path": {"token_id": "0123456789abcdef"}},
    ("GET", "/v1/datasets"): lambda c: {},
    ("GET", "/v1/datasets/{name}"): lambda c: {"path": {"name": "customers"}},
    ("POST", "/v1/datasets/{name}"): lambda c: {
        "path": {"name": "matrix-probe"},
        "params": {"owner": "acme-cn", "filename": "probe.csv"},
        "content": RAGGED_CSV,
        "headers": {"Content-Type": "text/csv"},
    },
    ("GET", "/v1/contracts"): lambda c: {},
    ("POST", "/v1/contracts"): lambda c: {
        "content": story_contract().encode(),  # version 1 again: refused as no new version
        "headers": {"Content-Type": "application/yaml"},
    },
    ("GET", "/v1/contracts/{contract_id}"): lambda c: {"path": {"contract_id": "c-12"}},
    ("GET", "/v1/contracts/{contract_id}/signed"): lambda c: {"path": {"contract_id": "c-12"}},
    ("GET", "/v1/contracts/{contract_id}/leakage"): lambda c: {"path": {"contract_id": "c-12"}},
    ("POST", "/v1/contracts/{contract_id}/steps"): lambda c: {
        "path": {"contract_id": "c-12"},
        "json": _forged_step(c),
    },
    ("POST", "/v1/contracts/{contract_id}/platform-steps"): lambda c: {
        "path": {"contract_id": "c-12"},
        "json": {"action": "approve", "version": 99},
    },
    ("POST", "/v1/contracts/{contract_id}/jobs"): lambda c: {
        "path": {"contract_id": "c-12"},
        "json": {"code_name": "probe.txt", "code": "print(1)"},  # refused: not .py or .sh
    },
    ("GET", "/v1/contracts/{contract_id}/jobs"): lambda c: {"path": {"contract_id": "c-12"}},
    ("GET", "/v1/jobs/{job_id}"): lambda c: {"path": {"job_id": c.world.jobs["queued"]}},
    ("GET", "/v1/jobs/{job_id}/logs"): lambda c: {"path": {"job_id": c.world.jobs["queued"]}},
    ("POST", "/v1/jobs/{job_id}/cancel"): lambda c: {
        "path": {"job_id": c.world.jobs["cancelled"]}  # already cancelled: a 409
    },
    ("GET", "/v1/jobs/{job_id}/outputs"): lambda c: {"path": {"job_id": c.world.jobs["queued"]}},
    ("GET", "/v1/reviews"): lambda c: {},
    ("GET", "/v1/jobs/{job_id}/review"): lambda c: {"path": {"job_id": c.world.jobs["queued"]}},
    ("POST", "/v1/jobs/{job_id}/votes"): lambda c: {
        "path": {"job_id": c.world.jobs["queued"]},  # not awaiting review: a 409
        "json": {"decision": "approve"},
    },
    ("POST", "/v1/contracts/{contract_id}/code-approvals"): lambda c: {
        "path": {"contract_id": "c-12"},
        "json": {"code_hash": "sha256:" + "0" * 64},
    },
    ("GET", "/v1/jobs/{job_id}/result"): lambda c: {"path": {"job_id": c.world.jobs["queued"]}},
    ("POST", "/v1/contracts/{contract_id}/psi"): lambda c: {
        "path": {"contract_id": "c-12"},
        "json": {"kind": "psi", "partner_set_size": 3, "mode": "cardinality"},  # too small
    },
    ("POST", "/v1/psi/{job_id}/messages"): lambda c: {
        "path": {"job_id": c.world.jobs["psi"]},
        "content": b"not a protocol message",
        "headers": {"Content-Type": "application/octet-stream"},
    },
    ("GET", "/v1/audit/export"): lambda c: {},
    ("GET", "/v1/audit/events"): lambda c: {"params": {"limit": 5}},
}


def unreviewed(app: FastAPI) -> list[str]:
    """Endpoints without a rule, with a rule this test does not know, or without a recipe."""
    table = app.state.route_table
    problems = []
    for route in (r for r in app.routes if isinstance(r, APIRoute)):
        for method in sorted(route.methods or ()):
            spec = table.spec(method, route.path)
            if spec is None:
                problems.append(f"{method} {route.path} was added without a rule")
            elif spec.rule.name not in ALLOWED:
                problems.append(f"rule {spec.rule.name} has no expected roles in this test")
            elif (method, route.path) not in RECIPES:
                problems.append(f"no request recipe for {method} {route.path}")
    return problems


def test_every_endpoint_has_a_rule_a_recipe_and_an_expectation(matrix_world: World) -> None:
    app = create_app(matrix_world.room)
    assert unreviewed(app) == []
    served = {(m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert served == {s.key for s in app.state.route_table.specs}
    assert len(served) == len(RECIPES)


def test_an_endpoint_added_around_the_route_table_is_caught(matrix_world: World) -> None:
    app = create_app(matrix_world.room)
    app.add_api_route("/v1/backdoor", lambda: {"ok": True}, methods=["GET"])
    assert unreviewed(app) == ["GET /v1/backdoor was added without a rule"]


def _denials(world: World) -> int:
    with world.room.sessions() as session:
        query = select(func.count()).where(AuditEventRecord.action == "api.denied")
        return int(session.scalar(query) or 0)


def test_each_role_is_allowed_or_denied_on_each_endpoint_as_its_rule_says(
    matrix_world: World, matrix_url: str
) -> None:
    table = create_app(matrix_world.room).state.route_table
    wrong: list[str] = []
    refusals = 0
    before = _denials(matrix_world)
    with httpx.Client(base_url=matrix_url, timeout=30) as http:
        for spec in table.specs:
            for role in ROLES:
                recipe = RECIPES[spec.key](Caller(role, matrix_world))
                path = spec.path.format(**recipe.get("path", {}))
                headers = {**bearer(matrix_world.tokens.get(role)), **recipe.get("headers", {})}
                response = http.request(
                    spec.method,
                    path,
                    params=recipe.get("params"),
                    json=recipe.get("json"),
                    content=recipe.get("content"),
                    headers=headers,
                )
                status = response.status_code
                allowed = role in ALLOWED[spec.rule.name]
                valid_token = role in AUTHENTICATED
                denied_as = 403 if valid_token else 401
                if role in STRANGERS and spec.rule.name.startswith(JOB_RULES):
                    denied_as = 404  # a job it has no part in answers as a missing one
                if (
                    status >= 500
                    or (allowed and status in (401, 403))
                    or (not allowed and status != denied_as)
                ):
                    wrong.append(
                        f"{spec.method} {spec.path} as {role}: {status} {response.text[:160]}"
                    )
                if 400 <= status < 500:
                    refusals += 1
                    assert response.headers["content-type"] == "application/problem+json"
    assert not wrong, "\n".join(wrong)
    # Every refused attempt, at whatever layer, left one event in the audit log.
    assert _denials(matrix_world) - before == refusals
