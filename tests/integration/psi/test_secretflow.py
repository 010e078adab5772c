"""The secretflow engine with real spu party processes on loopback (its own env)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from contracts import PsiRevealMode
from jobs.psi import ModeNotAllowed, PsiLimits
from jobs.psi.errors import LinkFailed, LinkTimedOut
from jobs.psi.secretflow import LinkSettings, SecretflowEngine, StagedSet
from jobs.psi.secretflow.party_process import PYTHON_SETTING, engine_python
from kms.link_certificate import ephemeral_link_certificate
from sealroom.service.psi_prepare import PreparedShare

pytestmark = [pytest.mark.integration, pytest.mark.secretflow]

LIMITS = PsiLimits(10, 1, 10_000, frozenset({PsiRevealMode.INTERSECTION}))
OWNER = [f"+8613800{i:06d}" for i in range(3000)]
PARTNER = [f"+8613800{i:06d}" for i in range(2500, 3700)]  # 500 shared
# A few identifiers that a naive CSV writer would break or spu would read as missing.
AWKWARD = ["a,b", 'say "hi"', "NULL", "x\ty"]
FAST = LinkSettings(connect_timeout_seconds=10, run_timeout_seconds=60)


def private_dirs() -> set[Path]:
    return set(Path("/tmp").glob("sealroom-secretflow-*"))


@pytest.mark.parametrize("protocol", ["rr22", "kkrt", "ecdh"])
def test_two_parties_agree_with_ground_truth(protocol: str) -> None:
    before = private_dirs()
    engine = SecretflowEngine(protocol, FAST)
    partner = engine.partner_session("s-1", PsiRevealMode.INTERSECTION, LIMITS)
    owner = engine.owner_session("s-1", LIMITS)
    partner_ids = [*PARTNER, *AWKWARD]
    request = partner.create_request(partner_ids)
    setup = owner.setup([*OWNER, *AWKWARD[:2]], request.size, request.mode)
    owner.process_request(request)
    outcome = partner.finish(setup)
    assert owner.wait(60) == len(OWNER) + 2
    matched = {partner_ids[i] for i in outcome.matched_rows or ()}
    assert matched == set(OWNER) & set(PARTNER) | set(AWKWARD[:2])
    assert outcome.intersection_size == 502
    assert outcome.owner_set_size == len(OWNER) + 2
    # The identifiers and keys went with the private directories.
    assert private_dirs() == before


def test_a_partner_pinning_another_certificate_cannot_join() -> None:
    engine = SecretflowEngine(
        "rr22", LinkSettings(connect_timeout_seconds=3, run_timeout_seconds=5)
    )
    partner = engine.partner_session("s-2", PsiRevealMode.INTERSECTION, LIMITS)
    owner = engine.owner_session("s-2", LIMITS)
    request = partner.create_request(PARTNER)
    setup = owner.setup(OWNER, request.size, request.mode)
    owner.process_request(request)
    # A man in the middle swaps the owner's certificate in the setup for its own.
    offer = json.loads(setup.payload)
    offer["certificate"] = ephemeral_link_certificate("mallory").certificate_pem.decode()
    forged = type(setup)(**{**setup.__dict__, "payload": json.dumps(offer).encode()})
    # brpc either refuses the handshake at once or keeps retrying until the timeout.
    with pytest.raises((LinkFailed, LinkTimedOut)):
        partner.finish(forged)
    with pytest.raises((LinkFailed, LinkTimedOut)):
        owner.wait()  # its own connect + run timeout


def test_a_partner_that_aborts_mid_protocol_leaves_no_result() -> None:
    engine = SecretflowEngine(
        "rr22", LinkSettings(connect_timeout_seconds=5, run_timeout_seconds=10)
    )
    big = [f"id-{i}" for i in range(200_000)]
    limits = PsiLimits(10, 1, 1_000_000, frozenset({PsiRevealMode.INTERSECTION}))
    partner = engine.partner_session("s-3", PsiRevealMode.INTERSECTION, limits)
    owner = engine.owner_session("s-3", limits)
    request = partner.create_request(big)
    setup = owner.setup(big, request.size, request.mode)
    owner.process_request(request)
    failure: list[BaseException] = []

    def run_partner() -> None:
        try:
            partner.finish(setup)
        except BaseException as err:  # the abort below makes finish fail
            failure.append(err)

    thread = threading.Thread(target=run_partner)
    thread.start()
    while not partner.running and thread.is_alive():
        threading.Event().wait(0.01)
    threading.Event().wait(0.3)  # the party is starting up or on the link: kill it there
    partner.abort()
    thread.join(30)
    assert failure, "the partner's finish must fail after an abort"
    with pytest.raises((LinkFailed, LinkTimedOut)):
        owner.wait()  # the broken link, or at the latest its own timeout, ends it


def test_cardinality_mode_is_refused_before_anything_runs() -> None:
    limits = PsiLimits(10, 1, 10_000, frozenset(PsiRevealMode))
    with pytest.raises(ModeNotAllowed):
        SecretflowEngine().partner_session("s-4", PsiRevealMode.CARDINALITY, limits)
    owner = SecretflowEngine().owner_session("s-4", limits)
    with pytest.raises(ModeNotAllowed):
        owner.setup(OWNER, 100, PsiRevealMode.CARDINALITY)


def test_a_missing_engine_env_names_the_build_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PYTHON_SETTING, "/nonexistent/bin/python")
    with pytest.raises(Exception, match=r"bash scripts/secretflow-env\.sh"):
        engine_python()


def test_a_staged_set_is_used_as_given_and_removed_when_its_run_is_dropped() -> None:
    # The owner's set written when the run opened: setup takes it as it is.
    staged = StagedSet(OWNER)
    engine = SecretflowEngine("rr22", FAST)
    partner = engine.partner_session("s-st", PsiRevealMode.INTERSECTION, LIMITS)
    owner = engine.owner_session("s-st", LIMITS)
    request = partner.create_request(PARTNER)
    setup = owner.setup(staged, request.size, request.mode)
    assert setup.owner_set_size == len(OWNER)
    owner.process_request(request)
    assert partner.finish(setup).intersection_size == 500
    owner.wait()
    assert not staged.party.directory.exists()

    # A run dropped before its request: the set it staged is removed with it.
    made = threading.Event()
    kept: list[StagedSet] = []

    def stage() -> StagedSet:
        kept.append(StagedSet(OWNER))
        made.set()
        return kept[0]

    PreparedShare(stage).drop()
    assert made.wait(30)
    deadline = time.monotonic() + 10
    while kept[0].party.directory.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kept[0].party.directory.exists()
