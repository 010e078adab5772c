"""Streaming dataset encryption: round trips, framing edge cases, and every tamper case."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms import (
    CiphertextCorrupted,
    DataKey,
    DecryptingReader,
    EncryptingWriter,
    KmsUsageError,
    PassphraseKeyring,
    create_data_key,
    decrypt_stream,
    encrypt_stream,
)
from kms._primitives.framing import FRAME_OVERHEAD

LABEL = "customers@v1"
CHUNK = 64


def seal(data: bytes, key: DataKey, chunk_size: int = CHUNK, label: str = LABEL) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, key, label, chunk_size=chunk_size)
    return out.getvalue()


def unseal(sealed: bytes, key: DataKey, label: str = LABEL) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed), out, key, label)
    return out.getvalue()


def header_length(key: DataKey) -> int:
    return len(seal(b"", key)) - FRAME_OVERHEAD


def frames(sealed: bytes, key: DataKey, chunk_size: int = CHUNK) -> tuple[bytes, list[bytes]]:
    """Split a sealed file into its header and its frames."""
    start = header_length(key)
    body = sealed[start:]
    size = chunk_size + FRAME_OVERHEAD
    return sealed[:start], [body[i : i + size] for i in range(0, len(body), size)]


def corrupted(sealed: bytes, key: DataKey, label: str = LABEL) -> CiphertextCorrupted:
    with pytest.raises(CiphertextCorrupted) as caught:
        unseal(sealed, key, label)
    assert caught.value.label == LABEL
    assert repr(LABEL) in caught.value.message
    return caught.value


@pytest.fixture(params=["aes-256-gcm", "sm4-gcm"])
def key(request: pytest.FixtureRequest, aes_key: DataKey, sm4_key: DataKey) -> DataKey:
    return aes_key if request.param == "aes-256-gcm" else sm4_key


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 7])
def test_round_trip_restores_every_byte_and_reports_sizes_and_hash(key: DataKey, size: int) -> None:
    data = os.urandom(size)
    sealed_out = io.BytesIO()
    summary = encrypt_stream(io.BytesIO(data), sealed_out, key, LABEL, chunk_size=CHUNK)
    sealed = sealed_out.getvalue()
    if size >= 16:
        assert data not in sealed
    opened_out = io.BytesIO()
    opened_summary = decrypt_stream(io.BytesIO(sealed), opened_out, key, LABEL)
    assert opened_out.getvalue() == data
    assert summary == opened_summary
    assert summary.plaintext_bytes == size
    assert summary.ciphertext_bytes == len(sealed)
    assert summary.plaintext_sha256 == hashlib.sha256(data).hexdigest()


def test_exact_multiple_of_chunk_size_ends_with_an_empty_final_frame(aes_key: DataKey) -> None:
    _, chunked = frames(seal(b"x" * (2 * CHUNK), aes_key), aes_key)
    assert [len(f) for f in chunked] == [CHUNK + FRAME_OVERHEAD] * 2 + [FRAME_OVERHEAD]


def test_same_plaintext_encrypts_differently_each_time(aes_key: DataKey) -> None:
    assert seal(b"same rows", aes_key) != seal(b"same rows", aes_key)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2000), chunk_size=st.integers(min_value=1, max_value=300))
def test_any_size_round_trips_with_any_chunk_size(
    aes_key: DataKey, data: bytes, chunk_size: int
) -> None:
    assert unseal(seal(data, aes_key, chunk_size), aes_key) == data


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(min_size=1, max_size=600), position=st.integers(min_value=0))
def test_any_flipped_bit_is_detected(aes_key: DataKey, data: bytes, position: int) -> None:
    sealed = bytearray(seal(data, aes_key))
    bit = position % (len(sealed) * 8)
    sealed[bit // 8] ^= 1 << (bit % 8)
    corrupted(bytes(sealed), aes_key)


@pytest.mark.parametrize("keep", ["header only", "half the header", "mid first frame", "mid tag"])
def test_truncation_anywhere_is_detected_naming_the_dataset(key: DataKey, keep: str) -> None:
    sealed = seal(os.urandom(3 * CHUNK + 10), key)
    head = header_length(key)
    cut = {
        "header only": head,
        "half the header": head // 2,
        "mid first frame": head + CHUNK // 2,
        "mid tag": len(sealed) - 5,
    }[keep]
    corrupted(sealed[:cut], key)


def test_dropping_the_final_frame_is_reported_as_truncated(key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(2 * CHUNK + 5), key), key)
    error = corrupted(header + b"".join(chunked[:-1]), key)
    assert error.reason == "truncated"


def test_dropping_a_middle_frame_is_reported_as_out_of_order(key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(3 * CHUNK + 5), key), key)
    error = corrupted(header + chunked[0] + chunked[2] + chunked[3], key)
    assert error.reason.startswith("chunk out of order")


def test_duplicating_a_frame_is_detected(key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(3 * CHUNK + 5), key), key)
    error = corrupted(header + chunked[0] + chunked[0] + b"".join(chunked[1:]), key)
    assert error.reason.startswith("chunk out of order")


def test_swapping_two_frames_is_detected(key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(3 * CHUNK + 5), key), key)
    error = corrupted(header + chunked[1] + chunked[0] + b"".join(chunked[2:]), key)
    assert error.reason.startswith("chunk out of order")


def test_rewriting_the_clear_counter_of_a_swapped_frame_still_fails(aes_key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(3 * CHUNK + 5), aes_key), aes_key)
    first, second = bytearray(chunked[1]), bytearray(chunked[0])
    first[:4], second[:4] = chunked[0][:4], chunked[1][:4]
    error = corrupted(header + bytes(first) + bytes(second) + b"".join(chunked[2:]), aes_key)
    assert error.reason == "authentication failed"


def test_a_frame_from_another_file_under_the_same_key_is_rejected(aes_key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(2 * CHUNK), aes_key), aes_key)
    _, other = frames(seal(os.urandom(2 * CHUNK), aes_key), aes_key)
    corrupted(header + other[0] + b"".join(chunked[1:]), aes_key)


def test_appended_bytes_are_detected(key: DataKey) -> None:
    corrupted(seal(os.urandom(CHUNK + 3), key) + b"\x00" * 30, key)


@pytest.mark.parametrize("where", ["header", "ciphertext", "tag"])
def test_a_flipped_bit_in_header_chunk_or_tag_is_detected(key: DataKey, where: str) -> None:
    sealed = bytearray(seal(os.urandom(2 * CHUNK + 9), key))
    head = header_length(key)
    offset = {"header": head - 3, "ciphertext": head + 4 + 10, "tag": head + 4 + CHUNK + 3}[where]
    sealed[offset] ^= 0x01
    corrupted(bytes(sealed), key)


def test_decrypting_under_the_wrong_label_fails(aes_key: DataKey) -> None:
    sealed = seal(b"rows of customers", aes_key, label=LABEL)
    with pytest.raises(CiphertextCorrupted, match="'orders@v1'") as caught:
        unseal(sealed, aes_key, label="orders@v1")
    assert caught.value.reason == "authentication failed"


def test_decrypting_under_another_data_key_names_both_keys(
    aes_key: DataKey, shared_keyring: PassphraseKeyring
) -> None:
    other = create_data_key(shared_keyring, "aes-256-gcm", b"dataset:customers@1")
    error = corrupted(seal(b"rows", aes_key), other)
    assert aes_key.key_id in error.reason and other.key_id in error.reason


def test_a_file_that_is_not_sealroom_is_named_as_such(aes_key: DataKey) -> None:
    error = corrupted(b"PAR1 this is a plain parquet file", aes_key)
    assert error.reason == "not a sealroom file"


def test_empty_input_round_trips_and_an_empty_file_is_rejected(key: DataKey) -> None:
    assert unseal(seal(b"", key), key) == b""
    assert corrupted(b"", key).reason == "not a sealroom file"


def test_chunk_size_out_of_range_is_a_caller_mistake(aes_key: DataKey) -> None:
    with pytest.raises(KmsUsageError, match="chunk size 0 is out of range"):
        seal(b"x", aes_key, chunk_size=0)


def test_writer_accepts_writes_of_any_shape_and_matches_encrypt_stream(aes_key: DataKey) -> None:
    data = os.urandom(5 * CHUNK + 11)
    out = io.BytesIO()
    writer = EncryptingWriter(out, aes_key, LABEL, chunk_size=CHUNK)
    for piece in (data[:1], data[1:100], data[100:100], data[100:]):
        writer.write(piece)
    assert writer.tell() == len(data)
    writer.close()
    assert writer.summary.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert unseal(out.getvalue(), aes_key) == data


def test_writer_abandoned_by_an_exception_leaves_a_file_that_reads_as_truncated(
    aes_key: DataKey,
) -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError), EncryptingWriter(out, aes_key, LABEL, chunk_size=CHUNK) as w:
        w.write(os.urandom(3 * CHUNK))
        raise RuntimeError("job crashed mid-write")
    assert corrupted(out.getvalue(), aes_key).reason == "truncated"


def test_summary_before_close_is_a_caller_mistake(aes_key: DataKey) -> None:
    writer = EncryptingWriter(io.BytesIO(), aes_key, LABEL)
    with pytest.raises(KmsUsageError, match="call close"):
        _ = writer.summary
    writer.close()


def test_reader_reads_sequentially_from_a_non_seekable_stream(key: DataKey) -> None:
    data = os.urandom(4 * CHUNK + 3)

    class Pipe(io.RawIOBase):
        def __init__(self, payload: bytes) -> None:
            self._inner = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk = self._inner.read(min(len(buffer), 7))  # short reads, like a pipe
            buffer[: len(chunk)] = chunk
            return len(chunk)

    reader = DecryptingReader(Pipe(seal(data, key)), key, LABEL)  # type: ignore[arg-type]
    assert not reader.seekable()
    assert reader.read(10) + reader.read() == data


def test_reader_seeks_to_any_offset_and_authenticates_that_chunk(aes_key: DataKey) -> None:
    data = os.urandom(6 * CHUNK + 17)
    reader = DecryptingReader(io.BytesIO(seal(data, aes_key)), aes_key, LABEL)
    assert reader.seek(0, io.SEEK_END) == len(data)
    for offset in (len(data) - 5, 3 * CHUNK - 2, 0, CHUNK):
        reader.seek(offset)
        assert reader.read(9) == data[offset : offset + 9]


def test_seekable_reader_catches_a_cut_at_a_chunk_boundary_when_opened(aes_key: DataKey) -> None:
    header, chunked = frames(seal(os.urandom(3 * CHUNK + 1), aes_key), aes_key)
    with pytest.raises(CiphertextCorrupted, match="truncated"):
        DecryptingReader(io.BytesIO(header + b"".join(chunked[:-1])), aes_key, LABEL)


def test_seekable_reader_rejects_a_tampered_chunk_when_it_is_read(aes_key: DataKey) -> None:
    sealed = bytearray(seal(os.urandom(3 * CHUNK), aes_key))
    sealed[header_length(aes_key) + 2 * (CHUNK + FRAME_OVERHEAD) + 8] ^= 0x80
    reader = DecryptingReader(io.BytesIO(bytes(sealed)), aes_key, LABEL)
    assert len(reader.read(CHUNK)) == CHUNK
    with pytest.raises(CiphertextCorrupted, match="authentication failed"):
        reader.read()


def test_parquet_written_through_the_writer_reads_back_through_the_reader(
    aes_key: DataKey,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"customer": [f"c{i}" for i in range(5000)], "spend": range(5000)})
    sealed = io.BytesIO()
    writer = EncryptingWriter(sealed, aes_key, LABEL, chunk_size=4096)
    with pq.ParquetWriter(writer, table.schema) as parquet:
        parquet.write_table(table)
    writer.close()
    assert b"c4999" not in sealed.getvalue()
    sealed.seek(0)
    assert pq.read_table(DecryptingReader(sealed, aes_key, LABEL)).equals(table)


def test_memory_stays_constant_however_large_the_stream(aes_key: DataKey) -> None:
    chunk = 256 * 1024
    total = 48 * 1024 * 1024

    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = total

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), self.left)
            buffer[:n] = bytes(n)
            self.left -= n
            return n

    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            return len(memoryview(data))  # type: ignore[arg-type]

    tracemalloc.start()
    try:
        summary = encrypt_stream(Zeros(), Sink(), aes_key, LABEL, chunk_size=chunk)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.plaintext_bytes == total
    assert peak < 8 * chunk  # a few chunk buffers, never the stream


def test_a_newer_format_version_is_named_rather_than_misread(aes_key: DataKey) -> None:
    sealed = bytearray(seal(b"rows", aes_key))
    sealed[8] = 2  # the version byte follows the 8-byte magic
    assert corrupted(bytes(sealed), aes_key).reason == "unsupported format version 2"


@pytest.mark.parametrize("algorithm", ["aes-256-gcm", "sm4-gcm"])
def test_frames_follow_the_documented_layout_and_open_with_the_named_cipher(
    shared_keyring: PassphraseKeyring, algorithm: str
) -> None:
    """An independent reader built from docs/kms.md alone opens the first frame."""
    import struct

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = create_data_key(shared_keyring, algorithm, b"ctx")  # type: ignore[arg-type]
    plaintext = os.urandom(CHUNK + 5)
    sealed = seal(plaintext, key)
    magic, version, code, chunk_size, prefix, id_len = struct.unpack(">8sBBI7sB", sealed[:22])
    assert (magic, version, chunk_size) == (b"SEALROOM", 1, CHUNK)
    assert code == {"aes-256-gcm": 1, "sm4-gcm": 2}[algorithm]
    header = sealed[: 22 + id_len]
    assert header[22:].decode() == key.key_id
    frame = sealed[len(header) : len(header) + CHUNK + FRAME_OVERHEAD]
    assert struct.unpack(">I", frame[:4]) == (0,)
    nonce = prefix + struct.pack(">I", 0) + b"\x00"
    aad = header + struct.pack(">I", len(LABEL)) + LABEL.encode()
    body, tag = frame[4:-16], frame[-16:]
    cipher = (algorithms.SM4 if algorithm == "sm4-gcm" else algorithms.AES)(key._material)
    decryptor = Cipher(cipher, modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    assert decryptor.update(body) + decryptor.finalize() == plaintext[:CHUNK]
