from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kms import CiphertextCorrupted
from sealroom.config import Limits
from sealroom.errors import ConfigError, DatasetMalformed, DatasetTooLarge, PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.datasets import (
    list_datasets,
    register_dataset,
    show_dataset,
    sweep_abandoned_uploads,
    verify_dataset,
)
from sealroom.store.models import DataKeyRecord, DatasetRecord, DatasetVersionRecord
from tests.fixtures.tables import write_chinese_csv, write_csv, write_parquet

pytestmark = pytest.mark.integration
OWNER = Actor("acme-cn", False, None)


def counts(room: Sealroom) -> tuple[int, int, int, int]:
    with room.sessions() as session:
        blobs = (
            len(list(room.settings.blob_dir.glob("*"))) if room.settings.blob_dir.exists() else 0
        )
        return (
            session.scalar(select(func.count()).select_from(DatasetRecord)) or 0,
            session.scalar(select(func.count()).select_from(DatasetVersionRecord)) or 0,
            session.scalar(select(func.count()).select_from(DataKeyRecord)) or 0,
            blobs,
        )


def test_a_parquet_file_is_classified_encrypted_and_decrypts_to_what_was_registered(
    room: Sealroom, tmp_path: Path
) -> None:
    view = register_dataset(
        room, OWNER, write_parquet(tmp_path / "customers.parquet"), owner="acme-cn"
    )
    assert view.name == "customers" and view.version == 1 and view.row_count == 200
    levels = {c.name: c.level for c in view.columns}
    assert levels["mobile"] == "identifier"
    assert levels["id_number"] == "sensitive_personal"
    assert levels["name"] == "personal"
    assert levels["spend_cny"] == "general"
    assert verify_dataset(room, "customers").content_sha256 == view.content_sha256
    blob = next(room.settings.blob_dir.glob("*.sealed")).read_bytes()
    assert b"C000001" not in blob  # no value of the file is stored in clear


def test_the_owner_overrides_a_column_and_the_decision_is_recorded(
    room: Sealroom, tmp_path: Path
) -> None:
    view = register_dataset(
        room,
        OWNER,
        write_parquet(tmp_path / "cc.parquet"),
        owner="acme-cn",
        classify={"segment": "important"},
    )
    segment = next(c for c in view.columns if c.name == "segment")
    assert (segment.level, segment.decided_by) == ("important", "owner")
    assert show_dataset(room, "cc").columns == view.columns


def test_a_gbk_csv_is_detected_and_read(room: Sealroom, tmp_path: Path) -> None:
    view = register_dataset(
        room, OWNER, write_csv(tmp_path / "gbk.csv", encoding="gbk"), owner="acme-cn"
    )
    assert view.source_format == "csv"
    assert view.source_encoding is not None and "gb" in view.source_encoding.lower()
    assert {c.name: c.level for c in view.columns}["name"] == "personal"
    verify_dataset(room, "gbk")


def test_sm4_is_selectable_per_dataset(room: Sealroom, tmp_path: Path) -> None:
    view = register_dataset(
        room, OWNER, write_parquet(tmp_path / "sm.parquet"), owner="acme-cn", algorithm="sm4-gcm"
    )
    assert view.algorithm == "sm4-gcm"
    verify_dataset(room, "sm")


def test_a_second_registration_is_a_new_version_with_a_fresh_key(
    room: Sealroom, tmp_path: Path
) -> None:
    first = register_dataset(room, OWNER, write_parquet(tmp_path / "dd.parquet"), owner="acme-cn")
    second = register_dataset(
        room, OWNER, write_parquet(tmp_path / "dd.parquet", rows=50), owner="acme-cn"
    )
    assert (first.version, second.version) == (1, 2)
    assert first.data_key_id != second.data_key_id
    assert [v.version for v in list_datasets(room)] == [2]


def test_an_oversized_file_is_refused_before_reading_and_nothing_is_left(
    room: Sealroom, tmp_path: Path
) -> None:
    source = write_parquet(tmp_path / "big.parquet")
    small = replace(room, settings=replace(room.settings, limits=Limits(max_dataset_bytes=100)))
    before = counts(room)
    with pytest.raises(DatasetTooLarge, match="over the limit"):
        register_dataset(small, OWNER, source, owner="acme-cn")
    assert counts(room) == before


def test_too_many_rows_is_refused_while_streaming_and_nothing_is_left(
    room: Sealroom, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "rows.csv", rows=500)
    small = replace(room, settings=replace(room.settings, limits=Limits(max_dataset_rows=100)))
    before = counts(room)
    with pytest.raises(DatasetTooLarge):
        register_dataset(small, OWNER, source, owner="acme-cn")
    assert counts(room) == before


def test_a_ragged_csv_names_the_line_and_nothing_is_left(room: Sealroom, tmp_path: Path) -> None:
    source = tmp_path / "ragged.csv"
    source.write_text("a,b,c\n1,2,3\n4,5\n", encoding="utf-8")
    before = counts(room)
    with pytest.raises(DatasetMalformed, match="line 3"):
        register_dataset(room, OWNER, source, owner="acme-cn")
    assert counts(room) == before


def test_a_party_cannot_register_data_for_another_organisation(
    room: Sealroom, tmp_path: Path
) -> None:
    with pytest.raises(PermissionDenied, match="does not act for acme-cn"):
        register_dataset(
            room,
            Actor("globex-uk", False, None),
            write_parquet(tmp_path / "xx.parquet"),
            owner="acme-cn",
        )


def test_a_flipped_bit_in_the_stored_blob_is_detected_naming_the_dataset(
    room: Sealroom, tmp_path: Path
) -> None:
    register_dataset(room, OWNER, write_parquet(tmp_path / "flip.parquet"), owner="acme-cn")
    blob = next(room.settings.blob_dir.glob("*.sealed"))
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    with pytest.raises(CiphertextCorrupted, match="flip v1"):
        verify_dataset(room, "flip")


def test_a_truncated_blob_is_detected(room: Sealroom, tmp_path: Path) -> None:
    register_dataset(room, OWNER, write_parquet(tmp_path / "cut.parquet"), owner="acme-cn")
    blob = next(room.settings.blob_dir.glob("*.sealed"))
    blob.write_bytes(blob.read_bytes()[:-100])
    with pytest.raises(CiphertextCorrupted, match="cut v1"):
        verify_dataset(room, "cut")


KILLED_UPLOAD = """
import sys, time
from pathlib import Path
import sealroom.service.datasets as ds
from sealroom.config import load_settings
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom

real = ds.iter_record_batches
def slow(*args, **kwargs):
    for batch in real(*args, **kwargs):
        yield batch
        print("batch", flush=True)
        time.sleep(60)  # killed here, mid-upload
ds.iter_record_batches = slow
room = Sealroom.open(load_settings(), lambda: "test-passphrase")
ds.register_dataset(room, Actor("acme-cn", False, None), Path(sys.argv[1]), owner="acme-cn")
"""


def test_an_upload_killed_midway_leaves_no_dataset_and_no_key(
    room: Sealroom, tmp_path: Path
) -> None:
    source = write_parquet(tmp_path / "killed.parquet")
    before = counts(room)
    env = {**os.environ, "SEALROOM_DATABASE_URL": room.settings.database_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_UPLOAD, str(source)], stdout=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"batch"
    assert any(room.settings.blob_dir.glob("*.partial-*"))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.1)
    assert counts(room)[:3] == before[:3]
    assert sweep_abandoned_uploads(room)
    assert counts(room) == before


def test_a_gbk_csv_with_chinese_names_registers_as_it_is(room: Sealroom, tmp_path: Path) -> None:
    source = write_chinese_csv(tmp_path / "客户.csv", encoding="gbk")
    view = register_dataset(room, OWNER, source, owner="acme-cn", name="客户_2024")
    assert (view.name, view.source_encoding) == ("客户_2024", "gb18030")
    levels = {c.name: c.level for c in view.columns}
    assert levels["手机号"] == "identifier"
    # Issued under region codes newer than the holders' births, and still ID numbers.
    assert levels["身份证号"] == "sensitive_personal"
    assert levels["姓名"] == "personal"
    assert levels["消费金额"] == "general"
    assert show_dataset(room, "客户_2024").row_count == 200
    verify_dataset(room, "客户_2024")
    # The blob directory holds only ASCII names, whatever the dataset is called.
    assert all(p.name.isascii() for p in room.settings.blob_dir.iterdir())


@pytest.mark.parametrize("name", ["customers_2024", "客户-华东", "ventes_été"])
def test_dataset_names_take_underscores_hyphens_and_any_script(
    room: Sealroom, tmp_path: Path, name: str
) -> None:
    view = register_dataset(
        room, OWNER, write_parquet(tmp_path / "c.parquet"), owner="acme-cn", name=name
    )
    assert view.name == name


@pytest.mark.parametrize(
    "name", ["客户\u200b2024", "客户\u202e", "Customers", "../客户", "客户 2024"]
)
def test_a_dataset_name_with_hidden_or_path_characters_is_refused(
    room: Sealroom, tmp_path: Path, name: str
) -> None:
    with pytest.raises(ConfigError, match="dataset name"):
        register_dataset(
            room, OWNER, write_parquet(tmp_path / "c.parquet"), owner="acme-cn", name=name
        )
    assert counts(room) == (0, 0, 0, 0)
