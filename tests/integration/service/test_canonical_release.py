"""A real job hides mobile numbers in its files' bytes; the released result holds none.

The job (approved by owner and platform, run in the real sandbox) writes honest
aggregates and hides the customers' mobile numbers where the checks on parsed
values never look: Parquet key-value metadata, unreferenced dictionary entries
and the low bits of its means; the whitespace between JSON tokens; and a key in
one JSON row. Its debug run shows each hiding place carries the payload; after
the real run, review and release, the recipient's opened files carry none of it.
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Mapping

import pyarrow.parquet as pq
import pytest

from contracts import RunMode
from jobs import JobState, open_result
from kms import PartyKeyPair
from sealroom.data import customers_parquet
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import debug_outputs, submit_job
from sealroom.service.results import download_result
from sealroom.service.reviews import show_review
from tests.fixtures.deciding import approve_signed, vote_signed

from .conftest import ADMIN

OWNER = Actor("acme-cn", False, None)
SCIENTIST = Actor("alice", False, "acme-cn")
PARTNER = Actor("globex-uk", False, None)

SMUGGLER = b'''
"""Honest-looking spend by segment, with the first mobiles hidden in the bytes."""
import json
import struct

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

customers = pd.read_parquet("/inputs/customers.parquet")
payload = ",".join(customers["mobile"].astype(str).head(5))
table = (
    customers.groupby("segment")
    .agg(customers=("customer_id", "count"), mean_spend_cny=("spend_cny", "mean"))
    .reset_index()
)
table["customers"] = table["customers"] // 5 * 5
means = [round(float(m), 2) for m in table["mean_spend_cny"]]
# Low mantissa bits: the n-th mean carries the n-th payload byte.
low_bits = [
    struct.unpack("<d", struct.pack("<q", struct.unpack("<q", struct.pack("<d", m))[0] ^ ord(c)))[0]
    for m, c in zip(means, payload)
]
labels = [str(s) for s in table["segment"]]
segment = pa.DictionaryArray.from_arrays(
    pa.array(range(len(labels)), pa.int32()), pa.array(labels + payload.split(","))
)
out = pa.table(
    {"segment": segment, "customers": pa.array(table["customers"], pa.int64()),
     "mean_spend_cny": low_bits}
).replace_schema_metadata({"provenance": payload})
pq.write_table(out, "/outputs/spend.parquet", compression="none")

# Whitespace runs between JSON tokens: a run of n spaces is the character chr(n + 40)
# (one gap per field: enough for the first mobile).
gaps = iter([" " * (ord(c) - 40) for c in payload] + [""] * 1000)
rows = []
for label, count, mean in zip(labels, table["customers"], means):
    fields = [f'{json.dumps(k)}:{next(gaps)}{json.dumps(v)}' for k, v in
              (("segment", label), ("customers", int(count)), ("mean_spend_cny", mean))]
    rows.append("{" + ",".join(fields) + "}")
open("/outputs/spend.json", "w").write("[" + ",".join(rows) + "]")

# A key only the last row has.
records = [{"segment": l, "customers": int(c), "mean_spend_cny": m}
           for l, c, m in zip(labels, table["customers"], means)]
records[-1]["note"] = payload
open("/outputs/leak.json", "w").write(json.dumps(records))
'''


def run(room: Sealroom, mode: RunMode) -> str:
    job = submit_job(room, SCIENTIST, "c-12", SMUGGLER, "smuggle.py", mode)
    done = run_next_job(room, job.job_id)
    assert done is not None
    return done.job_id


def hidden_payloads(files: Mapping[str, bytes]) -> dict[str, str]:
    """What each hiding place of the files holds, decoded as the recipient would."""
    found: dict[str, str] = {}
    parquet = files.get("spend.parquet")
    if parquet is not None:
        metadata = pq.ParquetFile(io.BytesIO(parquet)).metadata.metadata or {}
        found["metadata"] = metadata.get(b"provenance", b"").decode()
        table = pq.ParquetFile(io.BytesIO(parquet)).read()
        segment = table.column("segment").combine_chunks()
        dictionary = segment.dictionary.to_pylist() if hasattr(segment, "dictionary") else []
        found["dictionary"] = ",".join(dictionary[len(set(segment.to_pylist())) :])
        means = table.column("mean_spend_cny").to_numpy().tolist()
        found["low bits"] = "".join(
            chr(struct.unpack("<q", struct.pack("<d", m))[0]
                ^ struct.unpack("<q", struct.pack("<d", round(m, 2)))[0])
            for m in means
        ).strip("\0")  # fmt: skip
    text = files.get("spend.json", b"").decode()
    found["whitespace"] = "".join(chr(len(run) + 40) for run in re.findall(r":( +)", text))
    for name, data in files.items():
        if name == "leak.json":
            found["extra key"] = str(json.loads(data)[-1].get("note", ""))
    return found


@pytest.mark.integration
def test_bytes_a_real_job_hides_around_honest_values_are_not_released(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner = active
    # The debug run (masked sample, outputs back unchecked) shows every hiding place works.
    debug = debug_outputs(room, SCIENTIST, run(room, RunMode.DEBUG))
    carried = hidden_payloads(debug)
    sample_payload = carried["metadata"]
    assert re.fullmatch(r"[^,]+(,[^,]+){4}", sample_payload), carried
    assert carried["dictionary"] == sample_payload
    assert len(carried["whitespace"]) >= 11 and sample_payload.startswith(carried["whitespace"])
    assert carried["extra key"] == sample_payload
    assert carried["low bits"] and sample_payload.startswith(carried["low bits"])

    approve_signed(room, OWNER, "c-12", SMUGGLER, "smuggle.py")
    approve_signed(room, ADMIN, "c-12", SMUGGLER, "smuggle.py")
    real = run(room, RunMode.REAL)
    review = show_review(room, OWNER, real)
    assert review.job.state is JobState.AWAITING_REVIEW
    assert set(review.outputs) == {"spend.json", "spend.parquet"}  # leak.json is refused
    vote_signed(room, OWNER, real)
    assert vote_signed(room, ADMIN, real) is JobState.RELEASED
    opened = open_result(
        download_result(room, PARTNER, real).sealed,
        job_id=real,
        recipient="globex-uk",
        keys=partner,
        platform_key=platform_public_keys(room).ed25519,
    )
    assert opened.files == review.outputs  # the reviewers saw exactly what was released

    released = hidden_payloads(opened.files)
    assert released == {"metadata": "", "dictionary": "", "low bits": "", "whitespace": ""}
    mobiles = pq.read_table(customers_parquet(), columns=["mobile"]).column(0).to_pylist()
    for data in opened.files.values():
        assert not any(str(mobile).encode() in data for mobile in mobiles[:50])
    assert json.loads(opened.files["spend.json"]) == [
        {k: row[k] for k in ("segment", "customers", "mean_spend_cny")}
        for row in pq.read_table(io.BytesIO(opened.files["spend.parquet"])).to_pylist()
    ]
