"""Jobs through HTTP: the scientist debugs and submits, the reviewers vote, and the
partner downloads the result sealed to its own key and verifies it on its side.

The worker (`sealroom worker`) runs the jobs; here the test plays the worker by
calling ``run_next_job`` on the server's store, and everything else is HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import Contract, load_contract
from jobs import verify_receipt
from sealroom.api import create_app
from sealroom.client import Client, Conflict, Forbidden, InvalidRequest, Partner
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.job_runner import run_next_job
from tests.fixtures.world import World, build_matrix_world, serving

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, str]]:
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", "bwrap")
    built = build_matrix_world(tmp_path / "home", f"sqlite:///{tmp_path / 'store.db'}")
    with serving(create_app(built.room)) as url:
        yield built, url
    built.room.close()


def client(world: World, url: str, role: str) -> Client:
    return Client(url, world.tokens[role], progress=False)


def test_a_real_run_is_reviewed_released_and_opened_by_the_partner_alone(
    world: tuple[World, str], tmp_path: Path
) -> None:
    built, url = world
    scientist, owner, platform = (client(built, url, r) for r in ("scientist", "owner", "platform"))
    partner_client = client(built, url, "recipient")

    debug = scientist.submit_job("c-12", GOOD, mode="debug")
    run_next_job(built.room, debug.job_id)
    finished = scientist.wait_for_job(debug.job_id, poll=0.1)
    assert finished.state == "completed", finished.reason
    outputs = scientist.debug_outputs(debug.job_id, tmp_path / "debug")
    assert b"segment" in outputs["spend_by_segment.csv"]
    assert "debug run" in scientist.job_logs(debug.job_id).stdout.text

    # Real runs need the code approved by the review quorum first: acme-cn signs with
    # its own key on its machine, the platform's seat is signed by the service.
    acme = built.keys["acme-cn"]
    owner.approve_code("c-12", GOOD, keys=acme)
    platform.approve_code("c-12", GOOD)
    real = scientist.submit_job("c-12", GOOD, mode="real")
    run_next_job(built.room, real.job_id)
    assert scientist.wait_for_job(real.job_id, poll=0.1).state == "awaiting_review"
    with pytest.raises(Forbidden, match="ran on the real data"):
        scientist.job_logs(real.job_id)
    with pytest.raises(Conflict, match="not released"):
        partner_client.sealed_result(real.job_id)

    assert [j.job_id for j in owner.reviews()] == [real.job_id]
    review = owner.review(real.job_id)
    assert "spend_by_segment.csv" in review.outputs and "waiting for" in repr(review)
    owner.vote(real.job_id, "approve", keys=acme)
    assert platform.vote(real.job_id, "approve").state == "released"

    # Only the recipient gets it, and it opens only with the recipient's own key.
    with pytest.raises(Forbidden):
        scientist.sealed_result(real.job_id)
    partner = Partner(partner_client, "globex-uk", built.keys["globex-uk"])
    pinned = platform_public_keys(built.room)  # obtained out of band, as a partner should
    opened = partner.download_result(real.job_id, tmp_path / "result", platform_key=pinned)
    assert set(opened.files) == {"spend_by_segment.csv"}
    receipt = verify_receipt(
        (tmp_path / "result" / "receipt.json").read_bytes(),
        platform_key=pinned.ed25519,
        outputs={
            "spend_by_segment.csv": (tmp_path / "result" / "spend_by_segment.csv").read_bytes()
        },
        contract=signed_contract(owner),
    )
    assert receipt.job_id == real.job_id
    # Offline, the partner sees acme-cn's own signature over this very output.
    by_seat = {a.reviewer: a.signed for a in receipt.approvals}
    owner_signed = by_seat["acme-cn"]
    assert owner_signed is not None and owner_signed.signer_key == acme.public.ed25519
    assert owner_signed.subject.outputs == tuple((o.name, o.sha256) for o in receipt.outputs)
    for c in (scientist, owner, platform, partner_client):
        c.close()


def signed_contract(reader: Client) -> Contract:
    info = reader.contract("c-12")
    return load_contract(info.document, "c-12")


def test_the_owners_own_scientist_neither_approves_votes_nor_reads_real_logs_over_http(
    world: tuple[World, str],
) -> None:
    """The README's topology: alice is a person of acme-cn and the contract's scientist."""
    built, url = world
    scientist, owner, platform = (client(built, url, r) for r in ("scientist", "owner", "platform"))
    alice = built.keys["alice"]
    with pytest.raises(Forbidden, match="wrote or submitted"):
        scientist.approve_code("c-12", GOOD, keys=alice)
    owner.approve_code("c-12", GOOD, keys=built.keys["acme-cn"])
    platform.approve_code("c-12", GOOD)
    real = scientist.submit_job("c-12", GOOD, mode="real")
    run_next_job(built.room, real.job_id)
    assert scientist.wait_for_job(real.job_id, poll=0.1).state == "awaiting_review"
    with pytest.raises(Forbidden):
        scientist.review(real.job_id)
    with pytest.raises(Forbidden):
        scientist.vote(real.job_id, "approve", keys=alice)
    with pytest.raises(Forbidden, match="ran on the real data"):
        scientist.job_logs(real.job_id)
    # Whoever holds the owner's token but not its key cannot cast its vote.
    with pytest.raises(InvalidRequest, match="must be signed by acme-cn's own key"):
        owner.vote(real.job_id, "approve")
    with pytest.raises(InvalidRequest, match="does not verify"):
        owner.vote(real.job_id, "approve", keys=alice)
    assert owner.job(real.job_id).state == "awaiting_review"
    for c in (scientist, owner, platform):
        c.close()
