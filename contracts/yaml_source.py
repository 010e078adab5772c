"""Reading untrusted YAML (or JSON) into plain data, remembering where each value was.

The document is parsed with ruamel.yaml's pure-Python safe parser and then
built by hand from the node tree, because the stock constructors accept
things a signed contract must not contain:

- anchors and aliases (``&a`` / ``*a``): a few hundred bytes of aliases expand
  into gigabytes ("billion laughs"), and a value that silently follows an edit
  elsewhere is not something a party should sign;
- duplicate keys: YAML says they are an error, most loaders keep the last one,
  so two readers could see two different contracts under one hash;
- tags other than the core schema (``!!python/object``, ``!!binary``, ``!foo``);
- more than one document, documents over ``MAX_DOCUMENT_BYTES``, nesting
  deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    NodeEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from contracts.errors import ContractInvalid, ContractIssue

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 32

_CORE_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(
    _CORE_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp")
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class ParsedDocument:
    """Plain data (dicts, lists, scalars) plus the position of every value in it."""

    source: str
    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)

    def locate(self, loc: Sequence[str | int]) -> tuple[str, Mark | None]:
        """Map a validation ``loc`` onto this document: a readable path and a position.

        Parts of ``loc`` that name no key (pydantic adds union tags such as
        ``fake``) are skipped; a trailing unresolved part is a missing key,
        which is shown in the path and located at its parent.
        """
        node = self.data
        resolved: list[str | int] = []
        for position, part in enumerate(loc):
            in_mapping = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_mapping or in_list:
                node = node[part]
            elif position == len(loc) - 1:
                return format_path([*resolved, part]), self._nearest_mark(resolved)
            else:
                continue
            resolved.append(part)
        return format_path(resolved), self._nearest_mark(resolved)

    def _nearest_mark(self, path: Sequence[str | int]) -> Mark | None:
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark is not None:
                return mark
        return None

    def issue(self, path: Sequence[str | int], message: str) -> ContractIssue:
        text, mark = self.locate(path)
        if mark is None:
            return ContractIssue(text, message)
        return ContractIssue(text, message, mark.line, mark.column)


def format_path(path: Sequence[str | int]) -> str:
    """``("parties", 0, "name")`` -> ``parties[0].name``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "." in part or not part:
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text


def parse_yaml(content: bytes | str, source: str) -> ParsedDocument:
    """Parse one YAML or JSON document, refusing everything listed in the module docstring."""
    size = len(content.encode() if isinstance(content, str) else content)
    if size > MAX_DOCUMENT_BYTES:
        raise ContractInvalid(
            source,
            [
                ContractIssue(
                    "",
                    f"the document is {size} bytes; contracts are limited to "
                    f"{MAX_DOCUMENT_BYTES} bytes (1 MiB)",
                )
            ],
        )
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ContractInvalid(
                source,
                [ContractIssue("", f"the document is not UTF-8 (bad byte at offset {exc.start})")],
            ) from None
    else:
        text = content
    yaml = YAML(typ="safe", pure=True)
    try:
        _check_events(yaml.parse(io.StringIO(text)), source)
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise ContractInvalid(
            source,
            [ContractIssue("", f"malformed YAML: {problem}", *_position(mark))],
        ) from None
    except YAMLError as exc:
        raise ContractInvalid(source, [ContractIssue("", f"malformed YAML: {exc}")]) from None
    if root is None:
        raise ContractInvalid(source, [ContractIssue("", "the document is empty")])
    builder = _Builder(yaml)
    data = builder.build(root, ())
    if builder.issues:
        raise ContractInvalid(source, builder.issues)
    return ParsedDocument(source, data, builder.marks)


def _position(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _check_events(events: Iterator[Event], source: str) -> None:
    """Refuse aliases, anchors, extra documents and deep nesting before building anything."""
    depth = 0
    documents = 0
    for event in events:
        if isinstance(event, AliasEvent):
            raise _refused(source, event, "aliases (*name) are not allowed in contracts")
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _refused(source, event, "anchors (&name) are not allowed in contracts")
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _refused(source, event, "a contract file holds exactly one YAML document")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refused(source, event, f"nesting is deeper than {MAX_DEPTH} levels")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _refused(source: str, event: Event, message: str) -> ContractInvalid:
    return ContractInvalid(source, [ContractIssue("", message, *_position(event.start_mark))])


class _Builder:
    def __init__(self, yaml: YAML) -> None:
        self._constructor = yaml.constructor
        self.marks: dict[Path, Mark] = {}
        self.issues: list[ContractIssue] = []

    def _mark(self, node: Node) -> Mark:
        return Mark(node.start_mark.line + 1, node.start_mark.column + 1)

    def _issue(self, path: Path, node: Node, message: str) -> None:
        mark = self._mark(node)
        self.issues.append(ContractIssue(format_path(path), message, mark.line, mark.column))

    def build(self, node: Node, path: Path, mark_node: Node | None = None) -> Any:
        self.marks[path] = self._mark(mark_node or node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _CORE_TAG + "seq":
                self._issue(path, node, f"tag {node.tag} is not allowed")
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        if node.tag != _CORE_TAG + "map":
            self._issue(path, node, f"tag {node.tag} is not allowed")
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE_TAG + "merge":
                self._issue(path, key_node, "merge keys (<<) are not allowed in contracts")
                continue
            key = self._scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self._issue(path, key_node, "keys must be plain text")
                continue
            if key in first_seen:
                first = self._mark(first_seen[key])
                self._issue(
                    (*path, key),
                    key_node,
                    f"duplicate key {key!r} (first at line {first.line}): keep one",
                )
                continue
            first_seen[key] = key_node
            result[key] = self.build(value_node, (*path, key), mark_node=key_node)
        return result

    def _scalar(self, node: Node, path: Path) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self._issue(path, node, f"tag {node.tag} is not allowed")
            return None
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, YAMLError) as exc:
            # Python refuses ints of more than 4300 digits; a date like 2026-02-30.
            self._issue(path, node, f"unreadable value: {exc}")
            return None
