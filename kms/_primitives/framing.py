"""The byte layout of an encrypted dataset file.

::

    header  = magic "SEALROOM" | version u8 | algorithm u8 | chunk_size u32
              | nonce_prefix 7 bytes | key_id_len u8 | key_id
    frame i = counter u32 | ciphertext | tag (16)

Every frame carries ``chunk_size`` plaintext bytes except the last, which carries
0 to ``chunk_size - 1``; a plaintext that is an exact multiple of the chunk size
ends with an empty frame. That makes "this is the last frame" a fact of the file
length, with no flag an attacker could strip.

Each frame is sealed with nonce = nonce_prefix | counter u32 | last-flag u8 and
associated data = header | length-prefixed label. So a frame moved to another
position, the last frame dropped (the new final frame was sealed as not-last),
a frame from another file or dataset, or any flipped bit fails authentication.
The clear counter only lets a reader say *which* of those happened; it is itself
authenticated through the nonce.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Final

from kms._primitives.aead import NONCE_BYTES, TAG_BYTES
from kms._primitives.encoding import frame
from kms.algorithms import Algorithm

MAGIC: Final = b"SEALROOM"
FORMAT_VERSION: Final = 1
NONCE_PREFIX_BYTES: Final = 7
COUNTER_BYTES: Final = 4
FRAME_OVERHEAD: Final = COUNTER_BYTES + TAG_BYTES
MAX_CHUNKS: Final = 2**32
DEFAULT_CHUNK_SIZE: Final = 1024 * 1024
# A reader allocates one chunk per buffer; refuse headers asking for more than this,
# so a planted file cannot make a reader allocate gigabytes.
MAX_CHUNK_SIZE: Final = 64 * 1024 * 1024

_FIXED = struct.Struct(">8sBBI7sB")
_ALGORITHM_CODES: Final[dict[Algorithm, int]] = {"aes-256-gcm": 1, "sm4-gcm": 2}
_CODE_ALGORITHMS: Final[dict[int, Algorithm]] = {v: k for k, v in _ALGORITHM_CODES.items()}
_COUNTER = struct.Struct(">I")

assert NONCE_PREFIX_BYTES + COUNTER_BYTES + 1 == NONCE_BYTES


class FramingError(ValueError):
    """The bytes do not follow the layout; ``reason`` is shown to a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Header:
    algorithm: Algorithm
    chunk_size: int
    nonce_prefix: bytes
    key_id: str

    def encode(self) -> bytes:
        key_id = self.key_id.encode("utf-8")
        fixed = _FIXED.pack(
            MAGIC,
            FORMAT_VERSION,
            _ALGORITHM_CODES[self.algorithm],
            self.chunk_size,
            self.nonce_prefix,
            len(key_id),
        )
        return fixed + key_id

    @property
    def frame_size(self) -> int:
        """Bytes in every frame but the last."""
        return self.chunk_size + FRAME_OVERHEAD


def read_header(src: BinaryIO) -> tuple[Header, bytes]:
    """Parse the header at the current position; returns it and its raw bytes."""
    fixed = read_exactly(src, _FIXED.size)
    if len(fixed) < len(MAGIC) or fixed[: len(MAGIC)] != MAGIC:
        raise FramingError("not a sealroom file")
    if len(fixed) < _FIXED.size:
        raise FramingError("truncated")
    _, version, code, chunk_size, prefix, key_id_len = _FIXED.unpack(fixed)
    if version != FORMAT_VERSION:
        raise FramingError(f"unsupported format version {version}")
    algorithm = _CODE_ALGORITHMS.get(code)
    if algorithm is None or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise FramingError("header corrupted")
    raw_key_id = read_exactly(src, key_id_len)
    if len(raw_key_id) < key_id_len:
        raise FramingError("truncated")
    try:
        key_id = raw_key_id.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FramingError("header corrupted") from err
    return Header(algorithm, chunk_size, prefix, key_id), fixed + raw_key_id


def chunk_aad(raw_header: bytes, label: str) -> bytes:
    return raw_header + frame(label.encode("utf-8"))


def chunk_nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + _COUNTER.pack(counter) + (b"\x01" if last else b"\x00")


def pack_counter(counter: int) -> bytes:
    return _COUNTER.pack(counter)


def unpack_counter(data: bytes | bytearray | memoryview) -> int:
    value: int = _COUNTER.unpack_from(data)[0]
    return value


def read_exactly(src: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at end of stream (a pipe may return short reads)."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        part = src.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def readinto_exactly(src: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``src``; returns the count, short only at end of stream."""
    filled = 0
    total = len(view)
    readinto = getattr(src, "readinto", None)
    while filled < total:
        if readinto is not None:
            got = readinto(view[filled:])
        else:
            part = src.read(total - filled)
            got = len(part)
            view[filled : filled + got] = part
        if not got:
            break
        filled += got
    return filled
