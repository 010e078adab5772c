"""The byte form of protocol messages: a JSON header and fixed-width binary blobs.

Messages cross the border through the REST API as opaque bytes, so each one must
parse without trusting its sender: every length is checked against the data and
every failure is a ``MalformedMessage`` naming the message, never a crash.

Layout: ``b"SRPSI1" | u32 header length | header (UTF-8 JSON) | blob 0 | blob 1 | ...``,
the header listing each blob's length under ``"_blobs"``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence

from jobs.psi.errors import MalformedMessage

MAGIC = b"SRPSI1"
_U32 = struct.Struct(">I")

Scalar = str | int | bool | None
Header = Mapping[str, Scalar | list[str]]


def pack(kind: str, header: Header, blobs: Sequence[bytes] = ()) -> bytes:
    body = dict(header)
    body["_kind"] = kind
    head = json.dumps({**body, "_blobs": [len(b) for b in blobs]}, sort_keys=True).encode()
    return b"".join([MAGIC, _U32.pack(len(head)), head, *blobs])


def unpack(kind: str, data: bytes) -> tuple[dict[str, object], list[bytes]]:
    """Split a message of ``kind`` into its header and blobs, or refuse it."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _U32.size:
        raise MalformedMessage(kind, "it is not a sealroom PSI message")
    (head_len,) = _U32.unpack_from(data, len(MAGIC))
    start = len(MAGIC) + _U32.size
    try:
        header = json.loads(data[start : start + head_len])
    except ValueError as err:
        raise MalformedMessage(kind, "its header is not JSON") from err
    if not isinstance(header, dict) or header.get("_kind") != kind:
        raise MalformedMessage(kind, "it is a different kind of message")
    sizes = header.pop("_blobs", None)
    if not isinstance(sizes, list) or not all(isinstance(s, int) and s >= 0 for s in sizes):
        raise MalformedMessage(kind, "its blob table is missing")
    offset = start + head_len
    if offset + sum(sizes) != len(data):
        raise MalformedMessage(kind, "its length does not match its blob table")
    blobs: list[bytes] = []
    for size in sizes:
        blobs.append(data[offset : offset + size])
        offset += size
    return header, blobs


def field_str(kind: str, header: Mapping[str, object], name: str) -> str:
    value = header.get(name)
    if not isinstance(value, str):
        raise MalformedMessage(kind, f"field {name!r} is missing or not text")
    return value


def field_int(kind: str, header: Mapping[str, object], name: str) -> int:
    value = header.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedMessage(kind, f"field {name!r} is missing or not a count")
    return value


def split_fixed(kind: str, blob: bytes, width: int) -> list[bytes]:
    """Cut a concatenation of fixed-width items back into items."""
    if len(blob) % width:
        raise MalformedMessage(kind, f"a list of {width}-byte items has a ragged length")
    return [blob[i : i + width] for i in range(0, len(blob), width)]
