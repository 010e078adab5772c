"""The partner's client: its own keys, its own token, and nothing of the server.

A partner abroad installs ``sealroom[client]`` (no database, no web server, no
container SDK), generates its key pair on its own machine, sends only the
public half to the platform administrator, and from then on signs its
acceptance locally and opens sealed results locally. The private keys are read
from its key file into this process and go nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from contracts import ActionKind, PsiRevealMode, Role
from jobs import OpenedResult
from kms import (
    PartyKeyPair,
    PartyPublicKeys,
    generate_party_keys,
    load_party_key_file,
    save_party_key_file,
)
from sealroom.client.client import Client
from sealroom.client.models import ContractInfo
from sealroom.client.results import keep_result

if TYPE_CHECKING:
    from sealroom.client.psi_run import PartnerLearned


def public_key_file(key_file: Path) -> Path:
    """Where the public half goes: beside the key file, as `sealroom keys generate` writes it."""
    return key_file.with_name(key_file.name + ".pub.json")


def create_key_file(key_file: Path, passphrase: str) -> PartyPublicKeys:
    """A fresh key pair sealed into ``key_file``; the public half written beside it."""
    keys = generate_party_keys()
    save_party_key_file(key_file, keys, passphrase)
    public_key_file(key_file).write_text(
        json.dumps(keys.public.to_json(), indent=2) + "\n", encoding="utf-8"
    )
    return keys.public


def read_public_key_file(path: Path) -> PartyPublicKeys:
    return PartyPublicKeys.from_json(json.loads(path.read_text(encoding="utf-8")))


class Partner:
    """Acts as one recipient party with its own key pair."""

    def __init__(self, client: Client, party: str, keys: PartyKeyPair) -> None:
        self.client = client
        self.party = party
        self._keys = keys

    @classmethod
    def from_key_file(cls, client: Client, party: str, key_file: Path, passphrase: str) -> Partner:
        return cls(client, party, load_party_key_file(key_file, passphrase))

    def __repr__(self) -> str:
        return f"Partner({self.party} at {self.client.base_url}, keys {self._keys!r})"

    @property
    def public_keys(self) -> PartyPublicKeys:
        return self._keys.public

    def accept(self, contract_id: str, version: int | None = None) -> ContractInfo:
        """Accepts the contract as recipient, signed here after checking what is signed."""
        return self.client.sign_step(
            contract_id,
            ActionKind.ACCEPT,
            party=self.party,
            role=Role.RECIPIENT,
            keys=self._keys,
            version=version,
        )

    def revoke(self, contract_id: str, version: int | None = None) -> ContractInfo:
        """The kill switch, from the partner's side."""
        return self.client.sign_step(
            contract_id,
            ActionKind.REVOKE,
            party=self.party,
            role=Role.RECIPIENT,
            keys=self._keys,
            version=version,
        )

    def download_result(
        self, job_id: str, out_dir: Path, *, platform_key: PartyPublicKeys | None = None
    ) -> OpenedResult:
        """Downloads the copy sealed to this party, opens it here and verifies its receipt.

        ``platform_key`` is the platform's public key as the partner obtained it out of
        band (pinned); without it the key the server publishes is used, which proves
        the receipt matches the files but not that this server is the platform. The
        files, ``receipt.json`` and ``platform.pub.json`` are written to ``out_dir``, so
        `sealroom result verify OUT_DIR` checks them again offline.
        """
        sealed = self.client.sealed_result(job_id)
        platform = platform_key or self._published_platform_key()
        return keep_result(
            sealed,
            job_id=job_id,
            recipient=self.party,
            keys=self._keys,
            platform=platform,
            out_dir=out_dir,
        )

    def _published_platform_key(self) -> PartyPublicKeys:
        keys = self.client.party("platform").public_keys
        return PartyPublicKeys.from_json(keys.model_dump())

    def run_psi(
        self,
        contract_id: str,
        raw_ids: Sequence[str | None],
        *,
        mode: str = "cardinality",
        platform_key: PartyPublicKeys | None = None,
        wait_seconds: float = 3600.0,
        poll_seconds: float = 2.0,
    ) -> PartnerLearned:
        """PSI with this party's identifiers, which never leave this process.

        Blocks until the owner's review releases the result. Imported here: PSI needs
        the `psi` extra, and the rest of the client does not.
        """
        from sealroom.client.psi_http import HttpPsiTransport  # noqa: PLC0415
        from sealroom.client.psi_run import run_psi  # noqa: PLC0415

        return run_psi(
            HttpPsiTransport(self.client, platform_key),
            contract_id=contract_id,
            raw_ids=raw_ids,
            mode=PsiRevealMode(mode),
            keys=self._keys,
            recipient=self.party,
            wait_seconds=wait_seconds,
            poll_seconds=poll_seconds,
        )

    def run_psi_sum(
        self,
        contract_id: str,
        raw_ids: Sequence[str | None],
        *,
        platform_key: PartyPublicKeys | None = None,
        wait_seconds: float = 3600.0,
        poll_seconds: float = 2.0,
    ) -> PartnerLearned:
        """Sum, count and mean of the owner's value columns over the overlap."""
        from sealroom.client.psi_http import HttpPsiTransport  # noqa: PLC0415
        from sealroom.client.psi_run import run_psi_sum  # noqa: PLC0415

        return run_psi_sum(
            HttpPsiTransport(self.client, platform_key),
            contract_id=contract_id,
            raw_ids=raw_ids,
            keys=self._keys,
            recipient=self.party,
            wait_seconds=wait_seconds,
            poll_seconds=poll_seconds,
        )
