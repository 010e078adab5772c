"""The audit event and the exact bytes of it that the Merkle tree hashes.

An event's leaf bytes are canonical JSON (sorted keys, no whitespace, UTF-8, no
floats) of its fields plus its leaf index and a format version. The index is
inside the hashed bytes so an entry moved to another position no longer matches
its own hash, even when the attacker fixes up the export around it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, TypeAlias

from sealroom.audit.errors import EventInvalid

LEAF_FORMAT_VERSION = 1
JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"

_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_NAME = 256
_MAX_DETAIL_BYTES = 64 * 1024
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def new_event_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, eq=True)
class AuditEvent:
    """One thing that happened: who, in which role, did what, to what, when.

    ``subject_ids`` name what the action touched (datasets, results, parties);
    ``detail`` carries small action-specific facts (a code hash, a reason) as
    JSON without floats, whose text form is not canonical across languages.
    The detail is snapshotted as canonical JSON when the event is made; what is
    logged is that snapshot, so build the event when the facts are final.
    """

    actor: str
    role: str
    action: str
    timestamp: datetime
    contract_id: str | None = None
    job_id: str | None = None
    subject_ids: tuple[str, ...] = ()
    detail: Mapping[str, JsonValue] = field(default_factory=dict)
    event_id: str = field(default_factory=new_event_id)
    # The canonical JSON of ``detail``, computed once: appends need it twice.
    detail_json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("actor", "role"):
            _check_name(name, getattr(self, name))
        _check_name("action", self.action)
        if not _ACTION.fullmatch(self.action):
            raise EventInvalid(
                f"action {self.action!r} is not a dotted lower-case name: "
                "use one like 'contract.approved'"
            )
        for name in ("contract_id", "job_id"):
            value = getattr(self, name)
            if value is not None:
                _check_name(name, value)
        if not isinstance(self.subject_ids, tuple):
            object.__setattr__(self, "subject_ids", tuple(self.subject_ids))
        for subject in self.subject_ids:
            _check_name("each subject id", subject)
        if not isinstance(self.event_id, str) or not _EVENT_ID.fullmatch(self.event_id):
            raise EventInvalid(
                f"event id {self.event_id!r} must be 1 to 64 letters, digits, '-' or '_'"
            )
        if not isinstance(self.timestamp, datetime) or self.timestamp.tzinfo is None:
            raise EventInvalid("the timestamp must be a timezone-aware datetime: pass UTC")
        object.__setattr__(self, "timestamp", self.timestamp.astimezone(UTC))
        _check_detail(self.detail)
        detail_json = canonical_json(dict(self.detail)) if self.detail else b"{}"
        if len(detail_json) > _MAX_DETAIL_BYTES:
            raise EventInvalid(
                f"the detail is over {_MAX_DETAIL_BYTES} bytes: log a hash of large content"
            )
        object.__setattr__(self, "detail_json", detail_json.decode("utf-8"))

    @property
    def subject_ids_json(self) -> str:
        """The canonical JSON of ``subject_ids``."""
        return "[" + ",".join(encode_basestring(subject) for subject in self.subject_ids) + "]"


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as it sits in the log: its leaf index and leaf hash."""

    index: int
    event: AuditEvent
    leaf_hash: bytes


def _check_name(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise EventInvalid(f"{name} must be a non-empty string")
    if len(value) > _MAX_NAME:
        raise EventInvalid(f"{name} is longer than {_MAX_NAME} characters")
    if _CONTROL.search(value):
        raise EventInvalid(f"{name} {value!r} contains a control character")
    _check_encodable(name, value)


def _check_encodable(name: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EventInvalid(f"{name} is not valid Unicode text (it has a lone surrogate)") from None


def _check_detail(value: object, where: str = "detail") -> None:
    # bool is an int subclass, so it passes here, as JSON true/false.
    if value is None or isinstance(value, int):
        return
    if isinstance(value, str):
        _check_encodable(where, value)
    elif isinstance(value, float):
        raise EventInvalid(
            f"{where} holds the float {value!r}: floats have no canonical text form, "
            "so log the number as a string or as an integer in smaller units"
        )
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            _check_detail(item, f"{where}[{position}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventInvalid(f"{where} has the key {key!r}: keys must be strings")
            _check_encodable(f"{where} key", key)
            _check_detail(item, f"{where}.{key}")
    else:
        raise EventInvalid(
            f"{where} holds a {type(value).__name__}: use strings, integers, booleans, "
            "null, lists and objects only"
        )


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no NaN: the one text form of a value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_timestamp(moment: datetime) -> str:
    """``2026-11-23T08:00:00.000000Z``: always microseconds, always UTC."""
    # isoformat of a UTC time ends in "+00:00"; it is faster than strftime here.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def leaf_document(event: AuditEvent, index: int) -> dict[str, JsonValue]:
    """The JSON object whose canonical form is the leaf; the reference for ``leaf_bytes``."""
    return {
        "action": event.action,
        "actor": event.actor,
        "contract_id": event.contract_id,
        "detail": dict(event.detail),
        "event_id": event.event_id,
        "index": index,
        "job_id": event.job_id,
        "role": event.role,
        "subject_ids": list(event.subject_ids),
        "timestamp": format_timestamp(event.timestamp),
        "v": LEAF_FORMAT_VERSION,
    }


def _string_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def leaf_bytes(event: AuditEvent, index: int) -> bytes:
    """The exact bytes hashed into the tree for ``event`` at leaf ``index``.

    Equal to ``canonical_json(leaf_document(event, index))`` (a test holds it to
    that) but spelled out field by field, since appends are the log's hot path and
    the generic encoder is several times slower.
    """
    return leaf_bytes_of_fields(
        action=event.action,
        actor=event.actor,
        contract_id=event.contract_id,
        detail_json=event.detail_json,
        event_id=event.event_id,
        index=index,
        job_id=event.job_id,
        role=event.role,
        subject_ids_json=event.subject_ids_json,
        timestamp=event.timestamp,
    )


def leaf_bytes_of_fields(
    *,
    action: str,
    actor: str,
    contract_id: str | None,
    detail_json: str,
    event_id: str,
    index: int,
    job_id: str | None,
    role: str,
    subject_ids_json: str,
    timestamp: datetime,
) -> bytes:
    """Leaf bytes from stored fields as they are, valid or not.

    An export goes through here without validating anything: a field an attacker
    changed must still come out (and fail its hash at its own position) rather
    than stop the export.
    """
    text = (
        f'{{"action":{encode_basestring(action)},'
        f'"actor":{encode_basestring(actor)},'
        f'"contract_id":{_string_or_null(contract_id)},'
        f'"detail":{detail_json},'
        f'"event_id":{encode_basestring(event_id)},'
        f'"index":{index},'
        f'"job_id":{_string_or_null(job_id)},'
        f'"role":{encode_basestring(role)},'
        f'"subject_ids":{subject_ids_json},'
        f'"timestamp":"{format_timestamp(timestamp)}",'
        f'"v":{LEAF_FORMAT_VERSION}}}'
    )
    return text.encode("utf-8", errors="backslashreplace")


def decode_leaf(data: bytes) -> tuple[int, AuditEvent]:
    """The leaf index and event that leaf bytes describe (for showing an exported log).

    Raises ``EventInvalid`` when the bytes are not a leaf of this format.
    """
    try:
        document = json.loads(data)
        if document.get("v") != LEAF_FORMAT_VERSION:
            raise EventInvalid(f"the leaf has format version {document.get('v')!r}, not 1")
        index = document["index"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise EventInvalid("the leaf index is not a non-negative integer")
        event = AuditEvent(
            actor=document["actor"],
            role=document["role"],
            action=document["action"],
            timestamp=parse_timestamp(document["timestamp"]),
            contract_id=document["contract_id"],
            job_id=document["job_id"],
            subject_ids=tuple(document["subject_ids"]),
            detail=document["detail"],
            event_id=document["event_id"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise EventInvalid(f"the leaf is not a logged event ({err})") from None
    return index, event
