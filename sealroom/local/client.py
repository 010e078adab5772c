"""`LocalClient`: the client protocol answered by the store on this machine.

The command line without ``--server`` holds one: each method is the service call
the API route would make, acting as the party named with ``--as``, and returns
the same wire model the route would send (converted by ``sealroom.api.convert``).
Jobs, reviews, results and PSI are in ``sealroom.local.jobs``; opening the store
and resolving the acting party in ``sealroom.local.acting``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, cast

from contracts import ActionKind, Role
from kms import PartyKeyPair, PartyPublicKeys
from sealroom.api.convert import (
    audit_event_infos,
    audit_export_info,
    contract_info,
    dataset_info,
    leakage_ledger_info,
    party_info,
    token_info,
    who_am_i,
)
from sealroom.client.models import (
    AuditEventInfo,
    AuditExportInfo,
    ContractInfo,
    DatasetInfo,
    IssuedTokenInfo,
    LeakageLedgerInfo,
    PartyInfo,
    TokenInfo,
    WhoAmI,
)
from sealroom.client.protocol import DebugSampleInfo
from sealroom.errors import ConfigError
from sealroom.local.jobs import LocalJobs
from sealroom.service import contracts as contract_service
from sealroom.service.audit_log import export_audit, timeline
from sealroom.service.datasets import list_datasets, register_dataset, show_dataset
from sealroom.service.leakage import show_leakage
from sealroom.service.parties import (
    IssueKeys,
    PartyKind,
    RegisterKeys,
    add_party,
    list_parties,
    show_party,
)
from sealroom.service.samples import list_debug_samples
from sealroom.service.tokens import issue_token, list_tokens, revoke_token


def _party_kind(kind: str) -> PartyKind:
    if kind not in ("organisation", "person"):
        raise ConfigError(f"kind {kind!r}: use organisation or person")
    return cast(PartyKind, kind)


class LocalClient(LocalJobs):
    """The store on this machine, acting as one party (``SealroomClient``).

    with LocalClient(lambda: Sealroom.open(settings, passphrase), "acme-cn") as client:
        client.datasets()
    """

    # The platform issues a key pair here and writes its private half to a file, once.
    issues_key_pairs = True

    # -- who, parties, tokens -------------------------------------------------

    def me(self) -> WhoAmI:
        # No token: the store's own machine trusts whoever holds its master passphrase.
        return who_am_i(self.actor)

    def parties(self) -> list[PartyInfo]:
        return [party_info(p) for p in list_parties(self.room)]

    def party(self, name: str) -> PartyInfo:
        return party_info(show_party(self.room, name))

    def add_party(
        self,
        name: str,
        public_keys: PartyPublicKeys,
        *,
        kind: str = "organisation",
        organisation: str | None = None,
        display_name: str = "",
    ) -> PartyInfo:
        return self._add_party(name, RegisterKeys(public_keys), kind, organisation, display_name)

    def add_party_issuing_keys(
        self,
        name: str,
        key_file: Path,
        passphrase: str,
        *,
        kind: str = "organisation",
        organisation: str | None = None,
        display_name: str = "",
    ) -> PartyInfo:
        keys = IssueKeys(key_file, passphrase)
        return self._add_party(name, keys, kind, organisation, display_name)

    def _add_party(
        self,
        name: str,
        keys: IssueKeys | RegisterKeys,
        kind: str,
        organisation: str | None,
        display_name: str,
    ) -> PartyInfo:
        added = add_party(
            self.room,
            self.actor,
            name=name,
            kind=_party_kind(kind),
            keys=keys,
            organisation=organisation,
            display_name=display_name,
        )
        return party_info(added)

    def issue_token(
        self, party: str, scopes: list[str] | None = None, *, label: str = "", days: int = 30
    ) -> IssuedTokenInfo:
        made = issue_token(
            self.room,
            self.actor,
            party=party,
            scopes=scopes or ["read", "write"],
            label=label,
            lifetime=timedelta(days=days),
        )
        return IssuedTokenInfo(token=made.token, info=token_info(made.view, self.room.clock()))

    def tokens(self, party: str | None = None) -> list[TokenInfo]:
        found = list_tokens(self.room, self.actor, party)
        now = self.room.clock()
        return [token_info(t, now) for t in found]

    def revoke_token(self, token_id: str) -> TokenInfo:
        return token_info(revoke_token(self.room, self.actor, token_id), self.room.clock())

    # -- datasets -------------------------------------------------------------

    def datasets(self) -> list[DatasetInfo]:
        return [dataset_info(v) for v in list_datasets(self.room)]

    def dataset(self, name: str, version: int | None = None) -> DatasetInfo:
        return dataset_info(show_dataset(self.room, name, version))

    def register_dataset(
        self,
        file: str | Path,
        *,
        owner: str,
        name: str | None = None,
        classify: dict[str, str] | None = None,
        algorithm: str | None = None,
        encoding: str | None = None,
    ) -> DatasetInfo:
        if algorithm not in (None, "aes-256-gcm", "sm4-gcm"):
            raise ConfigError(f"algorithm {algorithm!r}: use aes-256-gcm or sm4-gcm")
        view = register_dataset(
            self.room,
            self.actor,
            Path(file),
            owner=owner,
            name=name,
            classify=classify,
            algorithm=cast(Literal["aes-256-gcm", "sm4-gcm"] | None, algorithm),
            encoding=encoding,
        )
        return dataset_info(view)

    def wrapping_key(self, name: str, version: int) -> str | None:
        return show_dataset(self.room, name, version).master_key_id

    def debug_samples(self, dataset: str) -> list[DebugSampleInfo]:
        return [
            DebugSampleInfo(
                dataset_version=s.dataset_version,
                contract_id=s.contract_id,
                contract_version=s.contract_version,
                rows=s.rows,
                methods=dict(s.methods),
                created_at=s.created_at,
            )
            for s in list_debug_samples(self.room, dataset)
        ]

    # -- contracts ------------------------------------------------------------

    def contracts(self) -> list[ContractInfo]:
        return [contract_info(v) for v in contract_service.list_contracts(self.room)]

    def contract(self, contract_id: str, version: int | None = None) -> ContractInfo:
        return contract_info(contract_service.show_contract(self.room, contract_id, version))

    def contract_leakage(self, contract_id: str) -> LeakageLedgerInfo:
        return leakage_ledger_info(show_leakage(self.room, self.actor, contract_id))

    def propose_contract(self, document: str | Path) -> ContractInfo:
        if isinstance(document, Path):
            text, source = document.read_text("utf-8"), document.name
        else:
            text, source = document, "the proposal"
        view = contract_service.propose_contract(self.room, self.actor, text, source)
        return contract_info(view)

    def signed_contract(self, contract_id: str, out: Path, version: int | None = None) -> Path:
        return contract_service.export_signed(self.room, contract_id, out, version)

    def sign_step(
        self,
        contract_id: str,
        action: ActionKind | str,
        *,
        party: str,
        role: Role | str,
        keys: PartyKeyPair,
        version: int | None = None,
        now: datetime | None = None,
    ) -> ContractInfo:
        view = contract_service.show_contract(self.room, contract_id, version)
        step = contract_service.sign_step(
            view.contract,
            keys,
            party=party,
            role=Role(role),
            action=ActionKind(action),
            now=now or self.room.clock(),
        )
        recorded = contract_service.record_step(
            self.room, self.actor, contract_id, view.contract.version, step
        )
        return contract_info(recorded)

    def platform_step(
        self, contract_id: str, action: str = "approve", version: int | None = None
    ) -> ContractInfo:
        # With no keys given, the service signs a platform step with its own key.
        view = contract_service.take_step(
            self.room, self.actor, contract_id, ActionKind(action), keys=None, version=version
        )
        return contract_info(view)

    # -- PSI and audit --------------------------------------------------------

    def audit_export(self, out_dir: Path) -> AuditExportInfo:
        return audit_export_info(export_audit(self.room, out_dir))

    def audit_events(
        self,
        *,
        contract: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEventInfo]:
        found = timeline(
            self.room,
            contract=contract,
            job=job,
            actor=actor,
            action=action,
            since=since,
            until=until,
        )
        return audit_event_infos(found if limit is None else found[-limit:])
