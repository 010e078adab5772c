"""The owner's side of a whole run, per engine, and the room's registry of open runs."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts import (
    Contract,
    JobKind,
    JobKindNotAllowed,
    PsiEngineKind,
    PsiRevealMode,
    load_contract_file,
)
from jobs.psi import (
    Finished,
    InlineRunner,
    MalformedMessage,
    OpenMinedEngine,
    OwnerReply,
    OwnerValues,
    PsiLimits,
    PsiResponse,
    PsiSetup,
    PsiSumPartner,
    ShardRunner,
    owner_engine,
)
from jobs.psi.owner.openmined import OpenMinedOwner
from jobs.psi.owner.psi_sum import PsiSumOwnerEngine
from jobs.psi.owner.secretflow import SecretflowOwner
from jobs.psi.psi_sum import MaskedTotals
from sealroom.errors import WrongState
from sealroom.service.psi_runs import MessageInFlight, NextShare, PsiRuns

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "contracts" / "customer-insights.yaml"
OWNER_IDS = [f"+86138{i:08d}" for i in range(150)]
PARTNER_IDS = [f"+86138{i:08d}" for i in range(110, 230)]  # 40 shared
LIMITS = PsiLimits(100, 10, modes=frozenset(PsiRevealMode))


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract_file(EXAMPLE)


class GivenShare:
    """A share handed over as it is, recording what the run did with it."""

    def __init__(self, share: Any) -> None:
        self.share = share
        self.taken = self.dropped = False

    def take(self) -> Any:
        self.taken = True
        return self.share

    def drop(self) -> None:
        self.dropped = True


def inline() -> ShardRunner:
    return InlineRunner()


def test_each_kind_and_engine_gets_its_own_owner_engine(contract: Contract) -> None:
    assert isinstance(owner_engine(contract, JobKind.PSI), OpenMinedOwner)
    assert isinstance(owner_engine(contract, JobKind.PSI_SUM), PsiSumOwnerEngine)
    psi = contract.job_kinds.psi
    assert psi is not None
    secretflow = contract.model_copy(
        update={
            "job_kinds": contract.job_kinds.model_copy(
                update={"psi": psi.model_copy(update={"engine": PsiEngineKind.SECRETFLOW})}
            )
        }
    )
    engine = owner_engine(secretflow, JobKind.PSI)
    assert isinstance(engine, SecretflowOwner)
    assert (engine.name, engine.protocol) == ("secretflow", "rr22")
    with pytest.raises(JobKindNotAllowed, match="does not allow he_aggregate runs"):
        owner_engine(contract, JobKind.HE_AGGREGATE)


def test_an_openmined_run_answers_the_request_once_with_the_files_to_hold(
    contract: Contract,
) -> None:
    share = GivenShare(OWNER_IDS)
    run = owner_engine(contract, JobKind.PSI).open_run("j-om", share, inline)
    partner = OpenMinedEngine().partner_session("j-om", PsiRevealMode.CARDINALITY, LIMITS)
    finished = run.step(partner.create_request(PARTNER_IDS).to_bytes())
    assert isinstance(finished, Finished) and share.taken
    setup = PsiSetup.from_bytes(finished.files["psi-setup.bin"])
    response = PsiResponse.from_bytes(finished.files["psi-response.bin"])
    assert partner.finish(setup, response).intersection_size == 40
    assert finished.leakage["owner_set_size"] == 150
    assert finished.leakage["partner_set_size"] == 120
    run.close()
    run.close()  # idempotent
    assert share.dropped


def test_a_psi_sum_run_holds_its_keys_between_the_two_partner_messages(
    contract: Contract,
) -> None:
    spend = [Decimal(i) for i in range(150)]
    share = GivenShare(OwnerValues.from_columns(OWNER_IDS, {"spend_cny": spend}))
    run = owner_engine(contract, JobKind.PSI_SUM).open_run("j-sum", share, inline)
    partner = PsiSumPartner("j-sum", LIMITS)
    reply = run.step(partner.hello(PARTNER_IDS).to_bytes())
    assert isinstance(reply, bytes)
    finished = run.step(partner.aggregate(OwnerReply.from_bytes(reply)).to_bytes())
    assert isinstance(finished, Finished)
    totals = MaskedTotals.from_bytes(finished.files["psi-sum-totals.bin"])
    assert partner.finish(totals).sums["spend_cny"] == sum(spend[110:150])
    assert finished.leakage["claimed_intersection_size"] == 40
    assert finished.leakage["aggregate"] == [
        "sum(customers.spend_cny)",
        "count(customers.spend_cny)",
        "mean(customers.spend_cny)",
    ]


def test_a_closed_psi_sum_run_forgets_its_keys(contract: Contract) -> None:
    spend = [Decimal(1)] * 150
    share = GivenShare(OwnerValues.from_columns(OWNER_IDS, {"spend_cny": spend}))
    run = owner_engine(contract, JobKind.PSI_SUM).open_run("j-gone", share, inline)
    partner = PsiSumPartner("j-gone", LIMITS)
    reply = run.step(partner.hello(PARTNER_IDS).to_bytes())
    assert isinstance(reply, bytes)
    sums = partner.aggregate(OwnerReply.from_bytes(reply)).to_bytes()
    run.close()
    assert share.dropped
    # The owner's party is gone: the masked sums are now just a message out of place.
    with pytest.raises(MalformedMessage):
        run.step(sums)


class CountingRun:
    def __init__(self) -> None:
        self.closed = 0

    def step(self, message: bytes) -> bytes | Finished:
        return message

    def close(self) -> None:
        self.closed += 1


class Ahead:
    def __init__(self) -> None:
        self.made: list[object] = []

    def make(self, key: object, maker: object) -> None:
        self.made.append(key)


def test_ending_a_run_closes_it_once_and_starts_the_next_share() -> None:
    runs, run, ahead = PsiRuns(), CountingRun(), Ahead()
    runs.add("j-1", run, NextShare(ahead, "key", lambda _: None))  # type: ignore[arg-type]
    assert "j-1" in runs and runs.get("j-1") is run and runs.next_share("j-1") == "key"
    assert runs.mid_protocol() == []
    runs.answered("j-1")
    assert runs.mid_protocol() == ["j-1"]
    runs.end("j-1")
    runs.end("j-1")
    assert run.closed == 1 and ahead.made == ["key"]
    assert "j-1" not in runs and runs.get("j-1") is None


def test_closing_the_room_closes_every_run_and_starts_no_share() -> None:
    runs, first, later, ahead = PsiRuns(), CountingRun(), CountingRun(), Ahead()
    runs.add("j-1", first, NextShare(ahead, "key", lambda _: None))  # type: ignore[arg-type]
    runs.close()
    assert first.closed == 1 and ahead.made == [] and "j-1" not in runs
    with pytest.raises(WrongState, match="the server is stopping"):
        runs.add("j-2", later)  # a run opened as the room closes holds nothing
    assert later.closed == 1 and "j-2" not in runs


def test_a_second_run_opened_for_the_same_job_is_closed_and_the_first_kept() -> None:
    # Two first messages racing for a run this process did not open both open one.
    runs, first, second = PsiRuns(), CountingRun(), CountingRun()
    assert runs.add("j-1", first) is first
    assert runs.add("j-1", second) is first
    assert second.closed == 1 and first.closed == 0 and runs.get("j-1") is first


class BlockingRun(CountingRun):
    """A run whose step waits until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def step(self, message: bytes) -> bytes | Finished:
        self.entered.set()
        self.release.wait(timeout=30)
        return message


def test_a_message_arriving_while_the_run_answers_another_is_refused_not_interleaved() -> None:
    runs, run = PsiRuns(), BlockingRun()
    runs.add("j-1", run)
    answers: list[bytes | Finished] = []
    first = threading.Thread(target=lambda: answers.append(runs.step("j-1", b"hello")))
    first.start()
    assert run.entered.wait(timeout=30)
    with pytest.raises(MessageInFlight, match="send each protocol message once"):
        runs.step("j-1", b"hello again")
    run.release.set()
    first.join(timeout=30)
    assert answers == [b"hello"] and run.closed == 0
    assert runs.step("j-1", b"next") == b"next"  # the run takes the next message as usual
