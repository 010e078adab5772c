"""`sealroom result download|verify`: a released result, opened and checked by its recipient."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from contracts import load_signed_contract_file, verify_signed_contract
from jobs import verify_receipt
from kms import PartyPublicKeys, load_party_key_file
from sealroom.cli.clients import client_for, note_runs_locally
from sealroom.cli.session import ActingParty, console, read_secret
from sealroom.client import read_public_key_file
from sealroom.client.results import keep_result, recipient_of
from sealroom.service.audit_log import read_public_key

result_app = typer.Typer(help="Download and verify released results.", no_args_is_help=True)


@result_app.command("download")
def result_download(
    job_id: str,
    key_file: Annotated[Path, typer.Option(help="Your private key file.")],
    out: Annotated[Path, typer.Option(help="Directory for the files and the receipt.")],
    platform_key: Annotated[
        Path | None,
        typer.Option(
            help="The platform's public key file you obtained out of band (pinned); "
            "default: the key the server or store holds."
        ),
    ] = None,
    as_party: ActingParty = None,
) -> None:
    """Download the copy sealed to you, open it with your key and verify its receipt."""
    keys = load_party_key_file(
        key_file, read_secret("SEALROOM_KEY_PASSPHRASE", "Key file passphrase")
    )
    pinned = read_public_key_file(platform_key) if platform_key is not None else None
    with client_for(as_party) as client:
        sealed = client.sealed_result(job_id)
        recipient = recipient_of(sealed, client.me())
        platform = pinned or PartyPublicKeys.from_json(
            client.party("platform").public_keys.model_dump()
        )
    opened_result = keep_result(
        sealed, job_id=job_id, recipient=recipient, keys=keys, platform=platform, out_dir=out
    )
    console.print(
        f"[green]ok[/] {len(opened_result.files)} file(s) in {out}, receipt verified: "
        f"approved by {', '.join(a.reviewer for a in opened_result.receipt.approvals)}"
    )


@result_app.command("verify")
def result_verify(
    directory: Path,
    platform_key: Annotated[
        Path | None,
        typer.Option(
            help="The platform's public key file (default: platform.pub.json in DIRECTORY)."
        ),
    ] = None,
    contract: Annotated[
        Path | None,
        typer.Option(
            help=(
                "The signed contract file (`contract show --signed-out`): also check that its "
                "quorum approved, each with the key the contract pins (the owner's own)."
            )
        ),
    ] = None,
) -> None:
    """Offline: the receipt's signature, each approver's signature over these very files,
    and every file against the hashes it lists."""
    note_runs_locally()
    receipt_bytes = (directory / "receipt.json").read_bytes()
    files = {
        p.name: p.read_bytes()
        for p in directory.iterdir()
        if p.is_file() and p.name not in ("receipt.json", "platform.pub.json")
    }
    key = read_public_key(platform_key or directory / "platform.pub.json")
    signed_contract = None
    if contract is not None:
        signed_contract = verify_signed_contract(
            load_signed_contract_file(contract), datetime.now(UTC)
        ).contract
    receipt = verify_receipt(
        receipt_bytes, platform_key=key, outputs=files, contract=signed_contract
    )
    approvers = ", ".join(
        f"{a.signed.decider.person} for {a.reviewer}" for a in receipt.approvals if a.signed
    )
    console.print(
        f"[green]ok[/] receipt for {receipt.job_id} under {receipt.contract_id} "
        f"v{receipt.contract_version}: signature and {len(files)} file hash(es) verify; "
        f"signed approvals by {approvers}"
    )
