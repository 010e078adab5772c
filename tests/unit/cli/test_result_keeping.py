"""The recipient keeps the result it asked for, or nothing: the server's word is not enough."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from jobs import (
    ApprovalRecord,
    Decider,
    Receipt,
    ReceiptInvalid,
    ResultBundle,
    code_hash,
    output_digests,
    seal_result,
    sign_decision,
    sign_receipt,
)
from jobs.receipt import released_subject
from kms import PartyKeyPair, generate_party_keys
from sealroom.client.models import SealedResultInfo, WhoAmI
from sealroom.client.results import ResultMismatch, keep_result, recipient_of

FILES = {"by_segment.csv": b"segment,customers\ngold,120\n"}
RELEASED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def released_copy(job_id: str, platform: PartyKeyPair, partner: PartyKeyPair) -> SealedResultInfo:
    receipt = Receipt(
        job_id=job_id,
        submitter="alice",
        contract_id="c-12",
        contract_version=1,
        contract_hash="sha256:" + "ef" * 32,
        code_hash=code_hash(b"print('hello')\n"),
        image_digest="sha256:" + "ab" * 32,
        inputs=(),
        outputs=output_digests(FILES),
        approvals=(),
        checks_passed={"by_segment.csv": ("small_groups",)},
        recipients=("globex-uk",),
        released_at=RELEASED,
    )
    # acme-cn's approval is its own signature over this very output.
    signed_approval = sign_decision(
        released_subject(receipt),
        "approve",
        "",
        Decider("acme-cn", "acme-cn", "acme-cn"),
        generate_party_keys(),
        RELEASED,
    )
    receipt = replace(receipt, approvals=(ApprovalRecord("acme-cn", RELEASED, signed_approval),))
    signed = sign_receipt(receipt, "platform", platform).to_bytes()
    sealed = seal_result(ResultBundle(FILES, signed), job_id, {"globex-uk": partner.public})
    return SealedResultInfo(
        job_id=job_id,
        recipient="globex-uk",
        contract_id="c-12",
        contract_version=1,
        sealed=base64.b64encode(sealed["globex-uk"]).decode(),
        receipt=base64.b64encode(signed).decode(),
    )


def test_the_result_asked_for_is_opened_verified_and_kept(tmp_path: Path) -> None:
    platform, partner = generate_party_keys(), generate_party_keys()
    copy = released_copy("j-7", platform, partner)
    opened = keep_result(
        copy,
        job_id="j-7",
        recipient="globex-uk",
        keys=partner,
        platform=platform.public,
        out_dir=tmp_path,
    )
    assert opened.receipt.job_id == "j-7"
    assert (tmp_path / "by_segment.csv").read_bytes() == FILES["by_segment.csv"]
    assert (tmp_path / "receipt.json").exists() and (tmp_path / "platform.pub.json").exists()


def test_another_released_result_sealed_to_the_same_keys_is_not_kept_in_its_place(
    tmp_path: Path,
) -> None:
    # A server that answers "j-7" with j-8's copy (and says so) must not get it kept as j-7.
    platform, partner = generate_party_keys(), generate_party_keys()
    other = released_copy("j-8", platform, partner)
    with pytest.raises(ReceiptInvalid) as caught:
        keep_result(
            other,
            job_id="j-7",
            recipient="globex-uk",
            keys=partner,
            platform=platform.public,
            out_dir=tmp_path,
        )
    assert caught.value.step == "open"
    assert list(tmp_path.iterdir()) == []


def test_a_copy_is_opened_only_as_a_recipient_the_caller_speaks_for() -> None:
    copy = released_copy("j-7", generate_party_keys(), generate_party_keys())
    person = WhoAmI(party="bob", organisation="globex-uk", is_admin=False, token_id="", scopes=[])
    assert recipient_of(copy, person) == "globex-uk"
    organisation = WhoAmI(
        party="globex-uk", organisation=None, is_admin=False, token_id="", scopes=[]
    )
    assert recipient_of(copy, organisation) == "globex-uk"
    stranger = WhoAmI(party="eve", organisation="initech", is_admin=False, token_id="", scopes=[])
    with pytest.raises(ResultMismatch, match="sent j-7's copy for globex-uk"):
        recipient_of(copy, stranger)
