"""The leakage ledger end to end: real runs in bubblewrap, real reviews, real releases.

Release A shows the high-value segment's count; release B, by a job that drops
six of those customers without saying so, shows a count five lower. Each passes
the output checks on its own; together they single five people out, so B is
refused at its deciding vote, naming both releases, and nothing of B is sealed.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from contracts import ActionKind, JobKind, RunMode
from jobs import JobState, PrivacySpend, open_result
from kms import PartyKeyPair, load_party_key_file
from sealroom.cli.contract_commands import contract_app
from sealroom.data import customers_parquet
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, show_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.job_records import add_job
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import submit_job
from sealroom.service.leakage import (
    BudgetExhausted,
    DifferencingBlocked,
    PendingLeakage,
    check_release,
    record_release,
    show_leakage,
)
from sealroom.service.results import download_result
from sealroom.service.reviews import show_review
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord, ReleaseRecord
from tests.fixtures.deciding import approve_signed, vote_signed

from .conftest import ADMIN, CONTRACT, PASSPHRASE, ROOT, add_story_parties

pytestmark = pytest.mark.integration

OWNER = Actor("acme-cn", False, None)
PARTNER = Actor("globex-uk", False, None)
SCIENTIST = Actor("alice", False, "acme-cn")
BY_SEGMENT = ROOT / "examples" / "jobs" / "spend_by_segment.py"
# The same report, after quietly dropping six high-value customers: 321 -> 315,
# which the contract's rounding to multiples of 5 shows as 320 -> 315.
WITHOUT_SIX = BY_SEGMENT.read_text("utf-8").replace(
    'customers = pd.read_parquet("/inputs/customers.parquet")\n',
    'customers = pd.read_parquet("/inputs/customers.parquet")\n'
    'customers = customers.drop(customers.index[customers["segment"] == "高价值"][:6])\n',
)
DP = "  max_rows: 1000\n  differential_privacy:\n    epsilon: 5.0\n    delta: 0.0\n"


def activate(room: Sealroom, home: Path, contract_text: str) -> PartyKeyPair:
    partner = add_story_parties(room, home)
    register_dataset(room, OWNER, customers_parquet(), owner="acme-cn", name="customers")
    propose_contract(room, OWNER, contract_text, CONTRACT.name)
    owner_keys = load_party_key_file(home / "acme-cn.key", PASSPHRASE)
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=owner_keys)
    take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
    take_step(room, PARTNER, "c-12", ActionKind.ACCEPT, keys=partner)
    return partner


@pytest.fixture
def bwrap_room(room: Sealroom, monkeypatch: pytest.MonkeyPatch) -> Sealroom:
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", "bwrap")
    return replace(room, settings=replace(room.settings, sandbox_backend="bwrap"))


def real_run(room: Sealroom, code: bytes, name: str) -> str:
    for reviewer in (OWNER, ADMIN):
        approve_signed(room, reviewer, "c-12", code, name)
    job = submit_job(room, SCIENTIST, "c-12", code, name, RunMode.REAL)
    done = run_next_job(room, job.job_id)
    assert done is not None and done.state is JobState.AWAITING_REVIEW, done
    return done.job_id


def released_count(room: Sealroom, job_id: str) -> int:
    with room.sessions() as session:
        return len(
            session.scalars(select(ReleaseRecord).where(ReleaseRecord.job_id == job_id)).all()
        )


@pytest.mark.bwrap
def test_a_release_differing_from_an_earlier_one_by_five_persons_is_blocked_naming_both(
    bwrap_room: Sealroom, isolated_home: Path
) -> None:
    room = bwrap_room
    activate(room, isolated_home, CONTRACT.read_text("utf-8"))
    first = real_run(room, BY_SEGMENT.read_bytes(), BY_SEGMENT.name)
    vote_signed(room, OWNER, first)
    assert vote_signed(room, ADMIN, first) is JobState.RELEASED

    second = real_run(room, WITHOUT_SIX.encode(), "spend_by_segment_v2.py")
    assert show_review(room, OWNER, second).job.check_report["blocked"] is False  # checks pass
    vote_signed(room, OWNER, second)
    with pytest.raises(DifferencingBlocked) as refused:
        vote_signed(room, ADMIN, second)
    message = refused.value.message
    assert first in message and second in message
    assert "segment=高价值" in message and "5 person(s)" in message
    assert "counts 315" in message and "with count 320" in message
    # Nothing of the second release exists; the first is on the ledger, group by group.
    assert show_review(room, OWNER, second).job.state is JobState.AWAITING_REVIEW
    assert released_count(room, second) == 0
    ledger = show_leakage(room, OWNER, "c-12")
    assert {e.release_id for e in ledger.entries} == {first}
    assert {(dict(e.key)["segment"], e.count) for e in ledger.entries} >= {("高价值", 320)}

    # The ledger on the command line, as a table and as CSV.
    runner = CliRunner()
    wide = {"COLUMNS": "250"}  # a release id is not folded across lines
    shown = runner.invoke(contract_app, ["leakage", "c-12", "--as", "acme-cn"], env=wide)
    assert shown.exit_code == 0, shown.output
    assert first in shown.output and "segment=高价值" in shown.output
    assert "no differential-privacy budget" in shown.output
    as_csv = runner.invoke(contract_app, ["leakage", "c-12", "--as", "acme-cn", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert {(r["release_id"], r["key"], r["count"]) for r in rows} >= {
        (first, "segment=高价值", "320")
    }
    denied = runner.invoke(contract_app, ["leakage", "c-12", "--as", "alice"])
    assert denied.exit_code != 0  # the scientist receives no real results, nor their ledger
    assert "no recipient" in str(denied.exception)


@pytest.mark.bwrap
def test_a_dp_contract_releases_noisy_results_spends_its_share_and_refuses_past_its_budget(
    bwrap_room: Sealroom, isolated_home: Path
) -> None:
    room = bwrap_room
    # No run quota: the budget of 5.0 is split over the default 10 releases, 0.5 each.
    text = CONTRACT.read_text("utf-8").replace("  max_rows: 1000\n", DP, 1)
    text = text.replace("  script:\n    max_runs: 50\n", "  script:\n", 1)
    partner = activate(room, isolated_home, text)
    # Eight earlier releases spent 4.0 of the 5.0.
    with transaction(room.sessions) as session:
        for n in range(8):
            earlier = PendingLeakage(f"j-earlier{n}", "c-12", 1, (), PrivacySpend(0.5))
            record_release(session, earlier, room.clock())

    ninth = real_run(room, BY_SEGMENT.read_bytes(), BY_SEGMENT.name)
    review = show_review(room, OWNER, ninth)
    noise = review.check_report["differential_privacy"]
    assert noise["epsilon_spent"] == pytest.approx(0.5)
    assert {c["column"] for c in noise["columns"]} == {"customers", "mean_spend_cny"}
    reviewed = review.outputs["spend_by_segment.csv"]
    vote_signed(room, OWNER, ninth)
    assert vote_signed(room, ADMIN, ninth) is JobState.RELEASED
    opened = open_result(
        download_result(room, PARTNER, ninth).sealed,
        job_id=ninth,
        recipient="globex-uk",
        keys=partner,
        platform_key=platform_public_keys(room).ed25519,
    )
    assert opened.files["spend_by_segment.csv"] == reviewed  # noised once, before review

    tenth = real_run(room, BY_SEGMENT.read_bytes(), "again.py")
    vote_signed(room, OWNER, tenth)
    assert vote_signed(room, ADMIN, tenth) is JobState.RELEASED  # 5.0 of 5.0

    eleventh = real_run(room, BY_SEGMENT.read_bytes(), "once-more.py")
    vote_signed(room, OWNER, eleventh)
    with pytest.raises(BudgetExhausted, match="budget is used up") as refused:
        vote_signed(room, ADMIN, eleventh)
    assert eleventh in refused.value.message
    assert released_count(room, eleventh) == 0
    ledger = show_leakage(room, OWNER, "c-12")
    assert ledger.spent_epsilon == pytest.approx(5.0) and ledger.budget_epsilon == 5.0
    spends = [e.release_id for e in ledger.entries if e.entry == "dp_spend"]
    assert spends[-2:] == [ninth, tenth]
    assert all(e.noised for e in ledger.entries if e.entry == "group")
    shown = CliRunner().invoke(
        contract_app, ["leakage", "c-12", "--as", "acme-cn", "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["spent_epsilon"] == pytest.approx(5.0)


def psi_sum_run(room: Sealroom, claimed: int) -> str:
    """A finished PSI-sum run's record as the owner's side stores it (sizes it learned)."""
    contract = show_contract(room, "c-12").contract
    with transaction(room.sessions) as session:
        rec = add_job(
            session,
            contract,
            kind=JobKind.PSI_SUM,
            mode=RunMode.REAL,
            submitter="globex-uk",
            code_name="psi_sum-protocol",
            interpreter="none",
            code=b"psi_sum:sum:customers.mobile",
            now=room.clock(),
        )
        rec.check_report = {
            "leakage": {"partner_set_size": 900, "claimed_intersection_size": claimed}
        }
        return rec.job_id


def release_psi(room: Sealroom, job_id: str) -> None:
    """The ledger's two steps of a release, in one transaction, as ``release_result`` runs them."""
    contract = show_contract(room, "c-12").contract
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, job_id)
        assert rec is not None
        pending = check_release(session, rec, contract, {})
        record_release(session, pending, room.clock())


def test_psi_sum_runs_whose_intersections_differ_by_a_few_are_refused(
    room: Sealroom, isolated_home: Path
) -> None:
    activate(room, isolated_home, CONTRACT.read_text("utf-8"))
    first = psi_sum_run(room, 412)
    release_psi(room, first)
    again = psi_sum_run(room, 412)
    release_psi(room, again)  # the same list again adds nothing
    # One more identifier on the partner's list, and the owner's sum of one customer.
    probe = psi_sum_run(room, 411)
    with pytest.raises(DifferencingBlocked) as refused:
        release_psi(room, probe)
    assert first in refused.value.message and probe in refused.value.message
    ledger = show_leakage(room, PARTNER, "c-12")
    assert [(e.release_id, e.entry, e.count) for e in ledger.entries] == [
        (first, "psi", 412),
        (again, "psi", 412),
    ]
    assert ledger.entries[0].detail["partner_set_size"] == 900
