"""Chunked streaming encryption of dataset files, with authenticated framing.

A dataset file is never held in memory whole: it flows through in chunks
(1 MiB by default), each sealed on its own, so memory stays constant whatever
the size. The layout and why it catches truncation, reordering, dropped,
duplicated or altered chunks is in ``kms/_primitives/framing.py``.

When decrypting, a chunk's plaintext is released only after that chunk has
authenticated, but a stream cut short is only detected at its end: if
``decrypt_stream`` raises, discard everything it wrote.

SHA-256 of the plaintext (reported in ``StreamSummary``) runs on a helper thread
while the main thread encrypts and writes: hashlib releases the GIL, and SHA-256
is the slowest step (about 2 GB/s against 9 GB/s for AES-GCM).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO

from kms._primitives import framing
from kms._primitives.aead import InvalidTag, aead_for
from kms._primitives.framing import DEFAULT_CHUNK_SIZE, FRAME_OVERHEAD, FramingError, Header
from kms.data_keys import DataKey
from kms.errors import CiphertextCorrupted, KmsUsageError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DecryptingReader",
    "EncryptingWriter",
    "StreamSummary",
    "decrypt_stream",
    "encrypt_stream",
]

# Below this chunk size a helper thread costs more than the hashing it offloads.
_THREADED_HASH_MIN_CHUNK = 64 * 1024
_RING = 3


@dataclass(frozen=True)
class StreamSummary:
    plaintext_bytes: int
    ciphertext_bytes: int
    plaintext_sha256: str


class _Hasher:
    """SHA-256 over chunks in order, optionally on one helper thread."""

    def __init__(self, threaded: bool) -> None:
        self._hash = hashlib.sha256()
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sealroom-sha256")
            if threaded
            else None
        )

    def update(self, view: memoryview) -> Future[None] | None:
        """Hash ``view``; the caller must not change it until the returned future is done."""
        if self._executor is None:
            self._hash.update(view)
            return None
        return self._executor.submit(self._hash.update, view)

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


class _Ring:
    """A few chunk buffers reused in turn, each waiting for its pending hash first."""

    def __init__(self, size: int, threaded: bool) -> None:
        count = _RING if threaded else 1
        self._buffers = [bytearray(size) for _ in range(count)]
        self._pending: list[Future[None] | None] = [None] * count
        self._slot = 0

    def next(self) -> memoryview:
        self._slot = (self._slot + 1) % len(self._buffers)
        pending = self._pending[self._slot]
        if pending is not None:
            pending.result()
            self._pending[self._slot] = None
        return memoryview(self._buffers[self._slot])

    def current(self) -> memoryview:
        return memoryview(self._buffers[self._slot])

    def hold(self, future: Future[None] | None) -> None:
        self._pending[self._slot] = future


def _check_chunk_size(chunk_size: int) -> None:
    if not 1 <= chunk_size <= framing.MAX_CHUNK_SIZE:
        raise KmsUsageError(
            f"The chunk size {chunk_size} is out of range: use 1 byte to "
            f"{framing.MAX_CHUNK_SIZE} bytes (the default is {DEFAULT_CHUNK_SIZE})."
        )


class EncryptingWriter(io.RawIOBase, BinaryIO):
    """A writable file object that encrypts into ``dst`` as data arrives.

    ``close()`` seals the final chunk and flushes ``dst`` (it does not close it);
    ``summary`` is then available. Closing is what makes the file complete: a
    writer left unclosed, or leaving a ``with`` block on an exception, does not
    seal the final chunk, so the partial output fails to decrypt as truncated.
    """

    def __init__(
        self, dst: BinaryIO, key: DataKey, label: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        super().__init__()
        _check_chunk_size(chunk_size)
        self._dst = dst
        self._label = label
        self._header = Header(
            key.algorithm, chunk_size, os.urandom(framing.NONCE_PREFIX_BYTES), key.key_id
        )
        raw_header = self._header.encode()
        self._aad = framing.chunk_aad(raw_header, label)
        self._aead = aead_for(key.algorithm, key._material)
        threaded = chunk_size >= _THREADED_HASH_MIN_CHUNK
        self._hasher = _Hasher(threaded)
        self._ring = _Ring(chunk_size, threaded)
        self._sealed = bytearray(chunk_size + FRAME_OVERHEAD)
        self._fill = 0
        self._counter = 0
        self._plaintext_bytes = 0
        self._ciphertext_bytes = len(raw_header)
        self._summary: StreamSummary | None = None
        self._abandoned = False
        dst.write(raw_header)

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._plaintext_bytes + self._fill

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed EncryptingWriter")
        view = memoryview(data).cast("B")
        size = len(view)
        chunk = self._header.chunk_size
        while view:
            buffer = self._ring.current()
            take = min(len(view), chunk - self._fill)
            buffer[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == chunk:
                self._seal_current(last=False)
        return size

    def pump(self, src: BinaryIO) -> None:
        """Encrypt everything ``src`` yields, reading straight into the chunk buffers."""
        chunk = self._header.chunk_size
        while True:
            buffer = self._ring.current()
            got = framing.readinto_exactly(src, buffer[self._fill : chunk])
            self._fill += got
            if self._fill < chunk:
                return
            self._seal_current(last=False)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if not self._abandoned:
                self._seal_current(last=True)
                self._dst.flush()
                self._summary = StreamSummary(
                    plaintext_bytes=self._plaintext_bytes,
                    ciphertext_bytes=self._ciphertext_bytes,
                    plaintext_sha256=self._hasher.hexdigest(),
                )
        finally:
            hasher: _Hasher | None = getattr(self, "_hasher", None)
            if hasher is not None:  # None when __init__ failed before creating it
                hasher.close()
            super().close()

    def abandon(self) -> None:
        """Stop without sealing the final chunk: the output will read as truncated."""
        self._abandoned = True
        self.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.abandon()
        else:
            self.close()

    def __del__(self) -> None:
        # io.IOBase.__del__ would call close(), sealing a final chunk and turning a
        # half-written file into one that decrypts as complete.
        if not self.closed:
            self._abandoned = True
        super().__del__()

    @property
    def summary(self) -> StreamSummary:
        if self._summary is None:
            raise KmsUsageError(
                "The stream summary exists only after the writer is closed: call close() first."
            )
        return self._summary

    def _seal_current(self, *, last: bool) -> None:
        if self._counter >= framing.MAX_CHUNKS:
            raise KmsUsageError(
                f"The dataset {self._label!r} needs more than 2**32 chunks: encrypt it "
                "with a larger chunk size."
            )
        size = self._fill
        plaintext = self._ring.current()[:size]
        self._ring.hold(self._hasher.update(plaintext))
        sealed = memoryview(self._sealed)
        sealed[: framing.COUNTER_BYTES] = framing.pack_counter(self._counter)
        nonce = framing.chunk_nonce(self._header.nonce_prefix, self._counter, last)
        self._aead.seal_into(
            nonce, plaintext, self._aad, sealed[framing.COUNTER_BYTES : size + FRAME_OVERHEAD]
        )
        self._dst.write(sealed[: size + FRAME_OVERHEAD])
        self._counter += 1
        self._plaintext_bytes += size
        self._ciphertext_bytes += size + FRAME_OVERHEAD
        self._fill = 0
        self._ring.next()


class _ChunkOpener:
    """Reads and authenticates frames of one encrypted file."""

    def __init__(self, src: BinaryIO, key: DataKey, label: str) -> None:
        self.label = label
        self._src = src
        try:
            self.header, raw_header = framing.read_header(src)
        except FramingError as err:
            raise CiphertextCorrupted(label, err.reason) from err
        if self.header.key_id != key.key_id:
            raise CiphertextCorrupted(
                label, f"encrypted under data key {self.header.key_id}, not {key.key_id}"
            )
        if self.header.algorithm != key.algorithm:
            raise CiphertextCorrupted(label, "header corrupted")
        self.header_bytes = len(raw_header)
        self._aad = framing.chunk_aad(raw_header, label)
        self._aead = aead_for(key.algorithm, key._material)
        self._frame = bytearray(self.header.frame_size)

    def open_next(self, expected_counter: int, out: memoryview) -> tuple[int, bool]:
        """Read the frame at the current position into ``out``; returns (size, is_last)."""
        frame = memoryview(self._frame)
        got = framing.readinto_exactly(self._src, frame)
        if got < FRAME_OVERHEAD:
            raise CiphertextCorrupted(self.label, "truncated")
        counter = framing.unpack_counter(frame)
        if counter != expected_counter:
            raise CiphertextCorrupted(
                self.label,
                f"chunk out of order: expected chunk {expected_counter}, found {counter}",
            )
        last = got < len(frame)
        size = got - FRAME_OVERHEAD
        nonce = framing.chunk_nonce(self.header.nonce_prefix, counter, last)
        try:
            self._aead.open_into(nonce, frame[framing.COUNTER_BYTES : got], self._aad, out[:size])
        except InvalidTag as err:
            raise CiphertextCorrupted(self.label, "authentication failed") from err
        return size, last


def encrypt_stream(
    src: BinaryIO,
    dst: BinaryIO,
    key: DataKey,
    label: str,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> StreamSummary:
    """Encrypt all of ``src`` into ``dst`` under ``key``; ``label`` names the dataset."""
    writer = EncryptingWriter(dst, key, label, chunk_size=chunk_size)
    try:
        writer.pump(src)
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    return writer.summary


def decrypt_stream(src: BinaryIO, dst: BinaryIO, key: DataKey, label: str) -> StreamSummary:
    """Decrypt ``src`` into ``dst``; CiphertextCorrupted (naming ``label``) on any tampering."""
    opener = _ChunkOpener(src, key, label)
    chunk_size = opener.header.chunk_size
    threaded = chunk_size >= _THREADED_HASH_MIN_CHUNK
    hasher = _Hasher(threaded)
    ring = _Ring(chunk_size, threaded)
    plaintext_bytes = 0
    counter = 0
    try:
        while True:
            out = ring.next()
            size, last = opener.open_next(counter, out)
            ring.hold(hasher.update(out[:size]))
            dst.write(out[:size])
            plaintext_bytes += size
            counter += 1
            if last:
                break
        dst.flush()
        digest = hasher.hexdigest()
    finally:
        hasher.close()
    return StreamSummary(
        plaintext_bytes=plaintext_bytes,
        ciphertext_bytes=opener.header_bytes + plaintext_bytes + counter * FRAME_OVERHEAD,
        plaintext_sha256=digest,
    )


class DecryptingReader(io.RawIOBase, BinaryIO):
    """A readable file object over an encrypted file, decrypting one chunk at a time.

    With a seekable ``src`` the reader is seekable too (chunks are fixed-size, so
    any chunk can be found and authenticated on its own): pyarrow can read a
    Parquet file from it, footer first, holding one chunk in memory. Every byte
    returned comes from a chunk that authenticated at its own position. Only a
    read through to the end proves nothing was cut off the end; with a seekable
    ``src`` a cut at a chunk boundary is caught when the reader is created.
    """

    def __init__(self, src: BinaryIO, key: DataKey, label: str) -> None:
        super().__init__()
        self._src = src
        self._seekable = _is_seekable(src)
        self._origin = src.tell() if self._seekable else 0
        self._opener = _ChunkOpener(src, key, label)
        self._chunk_size = self._opener.header.chunk_size
        self._chunk = bytearray(self._chunk_size)
        self._chunk_index = -1
        self._chunk_len = 0
        self._chunk_last = False
        self._pos = 0
        self._size: int | None = None
        if self._seekable:
            self._size = self._plaintext_size(label)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not self._seekable or self._size is None:
            raise io.UnsupportedOperation("the encrypted source is not seekable")
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        out = memoryview(buffer).cast("B")
        written = 0
        while written < len(out):
            chunk = self._chunk_at(self._pos // self._chunk_size)
            if chunk is None:
                break
            start = self._pos - self._chunk_index * self._chunk_size
            take = min(len(out) - written, self._chunk_len - start)
            if take <= 0:
                break
            out[written : written + take] = chunk[start : start + take]
            written += take
            self._pos += take
        return written

    def _chunk_at(self, index: int) -> memoryview | None:
        if index == self._chunk_index:
            return memoryview(self._chunk)
        if self._size is not None:
            if self._pos >= self._size:
                return None
            frame_size = self._opener.header.frame_size
            self._src.seek(self._origin + self._opener.header_bytes + index * frame_size)
        elif self._chunk_last or index != self._chunk_index + 1:
            return None
        size, last = self._opener.open_next(index, memoryview(self._chunk))
        self._chunk_index, self._chunk_len, self._chunk_last = index, size, last
        return memoryview(self._chunk)

    def _plaintext_size(self, label: str) -> int:
        start = self._src.tell()
        end = self._src.seek(0, io.SEEK_END)
        self._src.seek(start)
        frames, rest = divmod(end - start, self._opener.header.frame_size)
        if rest < FRAME_OVERHEAD:
            # Every file ends with a short frame of at least 20 bytes; ending on a
            # frame boundary means the final frame was cut off.
            raise CiphertextCorrupted(label, "truncated")
        return frames * self._chunk_size + rest - FRAME_OVERHEAD


def _is_seekable(src: BinaryIO) -> bool:
    try:
        return bool(src.seekable())
    except (AttributeError, ValueError):
        return False


def iter_chunks(src: BinaryIO, key: DataKey, label: str) -> Iterator[bytes]:
    """Plaintext chunks in order (each authenticated); for callers that stream onwards."""
    opener = _ChunkOpener(src, key, label)
    out = memoryview(bytearray(opener.header.chunk_size))
    counter = 0
    while True:
        size, last = opener.open_next(counter, out)
        yield bytes(out[:size])
        counter += 1
        if last:
            return
