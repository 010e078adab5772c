"""A released result opened on the recipient's machine, verified, and kept in a directory.

The sealed copy is opened with the recipient's own keys, here and nowhere else;
the platform's receipt is checked against every file before anything is written.
The directory then holds the files, ``receipt.json`` and ``platform.pub.json``, so
that `sealroom result verify DIR` checks them again offline.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from jobs import OpenedResult, open_result
from kms import PartyKeyPair, PartyPublicKeys
from sealroom.client.errors import ApiError
from sealroom.client.models import SealedResultInfo, WhoAmI


class ResultMismatch(ApiError):
    """The sealed copy the server sent is not the caller's to open."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0)


def recipient_of(sealed: SealedResultInfo, who: WhoAmI) -> str:
    """The recipient the copy is sealed to, if the caller speaks for it (itself or its
    organisation, as the store chose); another name is not the caller's copy."""
    if sealed.recipient not in (who.party, who.organisation):
        raise ResultMismatch(
            f"the server sent {sealed.job_id}'s copy for {sealed.recipient}, who is neither "
            f"{who.party} nor its organisation: do not use it; tell the platform operator"
        )
    return sealed.recipient


def keep_result(
    sealed: SealedResultInfo,
    *,
    job_id: str,
    recipient: str,
    keys: PartyKeyPair,
    platform: PartyPublicKeys,
    out_dir: Path,
) -> OpenedResult:
    """Opens ``sealed`` as ``recipient``, verifies its receipt, writes it all to ``out_dir``.

    ``job_id`` is the job the caller asked for, never the one the server names: the
    seal and the receipt are bound to it, so another released result sealed to the
    same keys does not open in its place.
    """
    opened = open_result(
        base64.b64decode(sealed.sealed),
        job_id=job_id,
        recipient=recipient,
        keys=keys,
        platform_key=platform.ed25519,
    )
    write_files(out_dir, dict(opened.files))
    (out_dir / "receipt.json").write_bytes(opened.receipt_bytes)
    (out_dir / "platform.pub.json").write_text(json.dumps(platform.to_json()), encoding="utf-8")
    return opened


def write_files(out_dir: Path, files: dict[str, bytes]) -> None:
    """A job's files (released or debug outputs) written into ``out_dir`` by their bare names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = out_dir / Path(name).name  # a name from the server never picks the directory
        target.write_bytes(data)
