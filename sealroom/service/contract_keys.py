"""Each contract version's own key-encryption key (KEK), and what is wrapped under it.

Two things of a contract are wrapped under its KEK, never under the master key:

- its *grants*: each dataset's data key wrapped once more, made the first time a
  real run of the contract reads the dataset; its runs open their inputs only
  through them;
- the data keys of its jobs' stored outputs (``job_records.store_outputs``).

Revoking the contract, or its expiry, destroys the KEK in the keyring (the
passphrase file is written again without it; a PKCS#11 token destroys the
object): from then on nothing under the contract can be decrypted, by Sealroom
or by anyone holding a copy of the store, while the dataset itself (wrapped by
the master key) and other contracts' grants are untouched. The audit log,
receipts, ledger rows and run records are not under the KEK and stay readable.

A KEK is only made, and a grant only issued, while the contract is in force.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kms import DataKey, DecryptingReader, MasterKey, WrappedDataKey, grant_data_key, open_data_key
from sealroom.service.blobs import load_data_key, new_data_key
from sealroom.service.context import Sealroom
from sealroom.service.contract_state import require_in_force
from sealroom.service.contracts import ContractView, show_contract
from sealroom.service.datasets import DatasetView, open_dataset_reader
from sealroom.store.contract_key_records import ContractKeyGrantRecord
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord


def kek_id_for(contract_id: str, version: int) -> str:
    """The keyring name of a contract version's KEK (fits a token label and a key id)."""
    digest = hashlib.sha256(f"{contract_id}\0{version}".encode()).hexdigest()[:24]
    return f"kek-{digest}"


def contract_kek(room: Sealroom, view: ContractView, *, doing: str) -> MasterKey:
    """The contract's KEK, made on first use; refused unless the contract is in force."""
    require_in_force(view, room.clock(), doing=doing)
    return room.keyring().create_kek(kek_id_for(view.contract.id, view.contract.version))


def new_output_key(session: Session, room: Sealroom, rec: JobRecord) -> DataKey:
    """A fresh data key for ``rec``'s outputs, wrapped under its contract's KEK."""
    view = show_contract(room, rec.contract_id, rec.contract_version)
    kek = contract_kek(room, view, doing=f"store the outputs of {rec.job_id}")
    return new_data_key(session, room, f"sealroom/job-outputs/{rec.job_id}", under=kek)


def _grant_context(kek_id: str, dataset: DatasetView) -> bytes:
    return f"sealroom/grant/{kek_id}/{dataset.name}/v{dataset.version}".encode()


def stored_grant(rec: ContractKeyGrantRecord) -> WrappedDataKey:
    """A stored grant as the KMS takes it: wrapped under the contract's KEK."""
    return WrappedDataKey(
        key_id=rec.data_key_id,
        master_key_id=rec.kek_id,
        algorithm=rec.algorithm,  # type: ignore[arg-type]
        wrapped=rec.wrapped,
        context=rec.context.encode(),
    )


def dataset_grant(room: Sealroom, view: ContractView, dataset: DatasetView) -> WrappedDataKey:
    """The contract's grant of ``dataset``'s data key, issued on first use.

    Issuing opens the dataset's own (master-wrapped) key once and wraps it under
    the contract's KEK; both steps are refused unless the contract is in force.
    """
    kek = contract_kek(room, view, doing=f"open {dataset.label} for a run of {view.ref}")
    context = _grant_context(kek.key_id, dataset)
    for _ in range(2):  # a second worker may issue the same grant at the same moment
        try:
            with transaction(room.sessions) as session:
                held = session.get(ContractKeyGrantRecord, (kek.key_id, dataset.data_key_id))
                if held is not None:
                    return stored_grant(held)
                granted = grant_data_key(
                    load_data_key(session, room, dataset.data_key_id), kek, context
                )
                session.add(
                    ContractKeyGrantRecord(
                        kek_id=kek.key_id,
                        data_key_id=granted.key_id,
                        contract_id=view.contract.id,
                        contract_version=view.contract.version,
                        algorithm=granted.algorithm,
                        wrapped=granted.wrapped,
                        context=context.decode(),
                        created_at=room.clock(),
                    )
                )
                return granted
        except IntegrityError:
            continue
    raise RuntimeError(f"the grant of {dataset.label} to {view.ref} could not be stored")


def open_dataset_under(
    room: Sealroom, view: ContractView, dataset: DatasetView
) -> tuple[DecryptingReader, BinaryIO]:
    """A streaming reader of ``dataset``'s plaintext, opened through the contract's grant
    (``KekDestroyed`` once the contract's KEK is shredded); callers close both."""
    grant = dataset_grant(room, view, dataset)
    key = open_data_key(room.keyring(), grant, grant.context)
    return open_dataset_reader(room, dataset, key=key)


def shred_contract_key(room: Sealroom, contract_id: str, version: int) -> bool:
    """Destroys the contract version's KEK; False if there was none (never made, or
    already destroyed)."""
    return room.keyring().destroy_kek(kek_id_for(contract_id, version))
