"""Chinese data end to end: a GBK CSV with Chinese column names, registered under a
Chinese dataset name, named by a contract, debugged, run for real, reviewed,
released, opened, and matched by PSI on 手机号."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace
from pathlib import Path

import pytest

from contracts import ActionKind, PsiRevealMode, RunMode
from jobs import JobState, open_result
from kms import PartyKeyPair, load_party_key_file
from sealroom.client.psi_run import run_psi
from sealroom.local.psi_transport import LocalPsiTransport
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import debug_outputs, submit_job
from sealroom.service.results import download_result
from sealroom.service.reviews import show_review
from tests.fixtures.deciding import approve_signed, vote_signed
from tests.fixtures.tables import CITIES, chinese_customer_table, write_chinese_csv

from .conftest import ADMIN, OWNER, PARTNER, PASSPHRASE, add_story_parties
from .psi_story import approve_when_waiting

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

SCIENTIST = Actor("alice", False, "acme-cn")
DATASET = "客户_2024"
CONTRACT = """\
format: sealroom.contract/v1
id: c-zh
version: 1
title: 华东客户消费概况
purpose: 按城市统计客户消费, 并估计与合作方客户名单的重合人数。
parties:
  - {name: acme-cn, roles: [owner, reviewer]}
  - {name: platform, roles: [platform, reviewer]}
  - {name: globex-uk, roles: [recipient]}
  - {name: alice, roles: [scientist]}
validity: {start: 2026-01-01, end: 2027-12-31, timezone: Asia/Shanghai}
datasets:
  - name: 客户_2024
    owner: acme-cn
    columns:
      - {name: 客户编号, logicalType: string, classification: identifier, policy: join_only}
      - {name: 姓名, logicalType: string, classification: personal, policy: never_output}
      - {name: 手机号, logicalType: string, classification: identifier, policy: join_only}
      - {name: 身份证号, logicalType: string, classification: sensitive_personal,
         policy: never_output}
      - {name: 城市, logicalType: string, classification: general}
      - {name: 消费金额, logicalType: number, classification: general}
job_kinds:
  script: {max_runs: 10, max_debug_runs: 10}
  psi:
    reveal: [cardinality]
    key_columns: [客户_2024.手机号]
    min_partner_set_size: 100
    min_intersection_size: 10
    max_runs: 5
debug_sample:
  rows: 200
  masking:
    客户_2024.客户编号: salted_hash
    客户_2024.姓名: {method: fake, provider: name}
    客户_2024.手机号: {method: fake, provider: phone_number}
    客户_2024.身份证号: redact
    客户_2024.消费金额: shuffle
output:
  min_group_size: 10
  forbidden_columns: [客户_2024.姓名, 客户_2024.身份证号]
  max_rows: 100
  max_bytes: 65536
  rounding: {counts_to_multiple_of: 5, decimals: 2}
  schema:
    - {name: 城市, logicalType: string, source: 客户_2024.城市}
    - {name: 客户数, logicalType: integer, aggregate: count}
    - {name: 平均消费金额, logicalType: number, source: 客户_2024.消费金额, aggregate: mean}
review:
  code_review_required: true
  default: {reviewers: [acme-cn, platform], required: 2}
  by_output_class:
    psi_cardinality: {reviewers: [acme-cn, platform], required: 1}
export:
  legal_basis: exempt_no_personal_information
  destination_countries: [GB]
placement:
  jurisdictions: [CN]
"""
JOB = """\
import pandas as pd

客户 = pd.read_parquet("/inputs/客户_2024.parquet")
table = (
    客户.groupby("城市")
    .agg(客户数=("客户编号", "count"), 平均消费金额=("消费金额", "mean"))
    .reset_index()
)
table["客户数"] = table["客户数"] // 5 * 5
table["平均消费金额"] = table["平均消费金额"].round(2)
table.to_csv("/outputs/spend_by_city.csv", index=False)
"""
OUTPUT = "spend_by_city.csv"
OVERLAP, EXTRA = 60, 90


@pytest.fixture
def active_zh(
    room: Sealroom, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Sealroom, PartyKeyPair]:
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", "bwrap")
    room = replace(room, settings=replace(room.settings, sandbox_backend="bwrap"))
    partner = add_story_parties(room, isolated_home)
    source = write_chinese_csv(tmp_path / "客户.csv", encoding="gbk")
    register_dataset(room, OWNER, source, owner="acme-cn", name=DATASET)
    propose_contract(room, OWNER, CONTRACT, "c-zh.yaml")
    owner_keys = load_party_key_file(isolated_home / "acme-cn.key", PASSPHRASE)
    take_step(room, OWNER, "c-zh", ActionKind.APPROVE, keys=owner_keys)
    take_step(room, ADMIN, "c-zh", ActionKind.APPROVE, keys=None)
    take_step(room, PARTNER, "c-zh", ActionKind.ACCEPT, keys=partner)
    return room, partner


def run(room: Sealroom, mode: RunMode) -> str:
    job = submit_job(room, SCIENTIST, "c-zh", JOB.encode(), "按城市.py", mode)
    assert job.state is JobState.QUEUED, job.reason
    done = run_next_job(room, job.job_id)
    assert done is not None
    return done.job_id


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_chinese_names_from_a_gbk_csv_through_debug_real_run_and_release(
    active_zh: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner = active_zh
    debug = run(room, RunMode.DEBUG)
    sample_rows = rows_of(debug_outputs(room, SCIENTIST, debug)[OUTPUT])
    assert {r["城市"] for r in sample_rows} == set(CITIES)

    approve_signed(room, OWNER, "c-zh", JOB.encode(), "按城市.py")
    approve_signed(room, ADMIN, "c-zh", JOB.encode(), "按城市.py")
    real = run(room, RunMode.REAL)
    review = show_review(room, OWNER, real)
    assert review.job.state is JobState.AWAITING_REVIEW, review.job.reason
    vote_signed(room, OWNER, real)
    assert vote_signed(room, ADMIN, real) is JobState.RELEASED
    opened = open_result(
        download_result(room, PARTNER, real).sealed,
        job_id=real,
        recipient="globex-uk",
        keys=partner,
        platform_key=platform_public_keys(room).ed25519,
    )
    released = rows_of(opened.files[OUTPUT])
    assert [r["城市"] for r in released] == sorted(CITIES)
    assert {r["客户数"] for r in released} == {"50"}
    table = chinese_customer_table()
    spend = {
        c: [
            s
            for s, cc in zip(table["消费金额"].to_pylist(), table["城市"].to_pylist(), strict=True)
            if cc == c
        ]
        for c in CITIES
    }
    for r in released:
        values = spend[r["城市"]]
        assert float(r["平均消费金额"]) == pytest.approx(sum(values) / len(values), abs=0.01)


def test_psi_keyed_on_a_chinese_column_counts_the_overlap(
    active_zh: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner = active_zh
    mobiles = chinese_customer_table().column("手机号").to_pylist()
    rng = random.Random(5)
    shared = rng.sample(sorted(set(mobiles)), OVERLAP)
    # 199 numbers: a mainland mobile prefix the owner's table (13x) never uses.
    others = [f"199{rng.randint(10_000_000, 99_999_999)}" for _ in range(EXTRA)]
    voting = approve_when_waiting(room, [OWNER])
    learned = run_psi(
        LocalPsiTransport(room, PARTNER),
        contract_id="c-zh",
        raw_ids=shared + others,
        mode=PsiRevealMode.CARDINALITY,
        keys=partner,
        recipient="globex-uk",
        poll_seconds=0.2,
    )
    voting.join()
    assert learned.intersection_size == OVERLAP
    assert learned.owner_set_size == len(set(mobiles))
