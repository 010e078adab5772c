"""The owner's dataset as a PSI run reads it: the key column decrypted and normalised.

This is the only place a run touches the owner's data; the protocol cores get
what it returns (``jobs.psi.owner.OwnerData``) and never open a dataset.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq

from jobs.psi import IdentifierKind, OwnerValues, distinct_ids, normalise_column
from sealroom.errors import NotFound
from sealroom.service.context import Sealroom
from sealroom.service.datasets import open_dataset_reader, show_dataset

DETECTOR_KINDS = {
    "mobile_cn": IdentifierKind.MOBILE,
    "email": IdentifierKind.EMAIL,
    "resident_id_cn": IdentifierKind.CN_RESIDENT_ID,
}
OWNER_SET_CAP = 10_000_000


@dataclass(frozen=True)
class OwnerDataset:
    """The dataset behind a run's key column (``dataset.column``), read when asked."""

    room: Sealroom
    key_column: str

    @property
    def dataset(self) -> str:
        return self.key_column.split(".", 1)[0]

    @property
    def column(self) -> str:
        return self.key_column.split(".", 1)[1]

    def identifier_kind(self) -> IdentifierKind:
        """How the key column's values are normalised, from its detector."""
        for c in show_dataset(self.room, self.dataset).columns:
            if c.name == self.column:
                return DETECTOR_KINDS.get(c.detector or "", IdentifierKind.PLAIN)
        raise NotFound("column", self.key_column)

    def ids(self) -> Sequence[str]:
        """The key column's distinct normalised identifiers: the set the owner brings."""
        identifier_kind = self.identifier_kind()
        table = self._table([self.column])
        keys = normalise_column(
            table.column(self.column), identifier_kind, cap=OWNER_SET_CAP, label=self.key_column
        )
        return distinct_ids(keys).ids

    def values(self, value_columns: Sequence[str]) -> OwnerValues:
        """The PSI-sum records: normalised keys with the value columns (``dataset.column``)."""
        identifier_kind = self.identifier_kind()
        names = [ref.split(".", 1)[1] for ref in value_columns]
        table = self._table([self.column, *names])
        keys = normalise_column(
            table.column(self.column), identifier_kind, cap=OWNER_SET_CAP, label=self.key_column
        )
        return OwnerValues.from_columns(
            keys.keys, {name: table.column(name).to_pylist() for name in names}
        )

    def _table(self, columns: list[str]) -> Any:
        view = show_dataset(self.room, self.dataset)
        reader, blob = open_dataset_reader(self.room, view)
        try:
            return pq.read_table(io.BytesIO(reader.read()), columns=columns)
        finally:
            blob.close()
