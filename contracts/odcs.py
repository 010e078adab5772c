"""Import the dataset part of an Open Data Contract Standard (ODCS v3) document.

ODCS describes data (objects and their properties); a Sealroom contract also
describes who may compute what. Only the part that means the same thing is
imported; everything else is reported back, never silently dropped.

    ODCS v3 (schema[] / properties[])   Sealroom dataset / column
    object name, description            datasets[].name, description
    property name, description          columns[].name, description
    property logicalType                logicalType (string, integer, number,
                                        boolean, date, timestamp only)
    property physicalType, required     physicalType, required
    property classification             classification, via ``classification_map``
    customProperties
      sealroomClassification            classification (wins over the above)
      sealroomPolicy                    policy

ODCS's ``classification`` is free text ("public", "restricted"); it is
imported only where ``classification_map`` (by default: Sealroom's own five
level names) says what it means, because guessing a level is guessing how
much protection someone's data gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from contracts.datasets import Classification, Column, ColumnPolicy, Dataset, LogicalType
from contracts.errors import ContractInvalid, ContractIssue
from contracts.yaml_source import ParsedDocument, parse_yaml

Path = tuple[str | int, ...]

#: Top-level ODCS v3 fields that describe things a Sealroom contract words its own way.
ODCS_TOP_LEVEL = frozenset(
    {
        "apiVersion", "kind", "id", "name", "version", "status", "domain", "dataProduct",
        "tenant", "description", "schema", "servers", "team", "roles", "slaProperties",
        "slaDefaultElement", "support", "price", "tags", "customProperties",
        "contractCreatedTs", "authoritativeDefinitions",
    }
)  # fmt: skip

#: Fields ODCS v3 defines on objects and properties.
ODCS_ELEMENT = frozenset(
    {
        "id", "name", "businessName", "description", "physicalName", "physicalType",
        "logicalType", "logicalTypeOptions", "quality", "authoritativeDefinitions", "tags",
        "customProperties", "dataGranularityDescription", "classification",
        "criticalDataElement", "encryptedName", "examples", "items", "partitioned",
        "partitionKeyPosition", "primaryKey", "primaryKeyPosition", "required",
        "transformLogic", "transformSourceObjects", "transformDescription", "unique",
        "properties", "deprecated", "synonyms", "enum", "map", "semanticType", "relationships",
    }
)  # fmt: skip

_OBJECT_IMPORTED = frozenset({"name", "description", "properties", "logicalType"})
_PROPERTY_IMPORTED = frozenset(
    {"name", "description", "logicalType", "physicalType", "classification", "required"}
)
_CUSTOM_CLASSIFICATION = "sealroomClassification"
_CUSTOM_POLICY = "sealroomPolicy"


@dataclass(frozen=True)
class OdcsImport:
    datasets: tuple[Dataset, ...]
    # Fields present in the file that were not imported, each with the reason.
    notes: tuple[ContractIssue, ...]


def import_odcs(
    content: bytes | str,
    *,
    owner: str,
    source: str = "ODCS document",
    classification_map: Mapping[str, Classification] | None = None,
) -> OdcsImport:
    """Datasets (owned by ``owner``) from an ODCS v3 document, plus notes on what was left.

    Raises ``ContractInvalid`` listing every field that stops a column from
    being imported faithfully (an unmapped classification, a nested type).
    """
    document = parse_yaml(content, source)
    importer = _Importer(document, owner, {**_identity_map(), **(classification_map or {})})
    datasets = importer.run()
    if importer.problems:
        raise ContractInvalid(source, importer.problems)
    return OdcsImport(tuple(datasets), tuple(importer.notes))


def _identity_map() -> dict[str, Classification]:
    return {level.value: level for level in Classification}


class _Importer:
    def __init__(
        self, document: ParsedDocument, owner: str, levels: Mapping[str, Classification]
    ) -> None:
        self.document = document
        self.owner = owner
        self.levels = levels
        self.problems: list[ContractIssue] = []
        self.notes: list[ContractIssue] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(self.document.issue(path, message))

    def note(self, path: Path, message: str) -> None:
        self.notes.append(self.document.issue(path, message))

    def run(self) -> list[Dataset]:
        data = self.document.data
        if not isinstance(data, dict):
            self.problem((), "an ODCS document is a mapping at the top level")
            return []
        version = data.get("apiVersion")
        if not (isinstance(version, str) and version.startswith("v3")):
            self.problem(("apiVersion",), f"only ODCS v3 can be imported, got {version!r}")
        if data.get("kind") != "DataContract":
            self.problem(("kind",), "kind must be DataContract")
        for key in data:
            if key in ("apiVersion", "kind", "schema"):
                continue
            if key in ODCS_TOP_LEVEL:
                self.note((key,), f"{key} is not imported: the Sealroom contract states its own")
            else:
                self.note((key,), f"unknown field {key!r}: not part of ODCS v3, ignored")
        objects = data.get("schema")
        if not isinstance(objects, list) or not objects:
            self.problem(("schema",), "schema must list at least one object")
            return []
        datasets = []
        for index, obj in enumerate(objects):
            dataset = self.dataset(("schema", index), obj)
            if dataset is not None:
                datasets.append(dataset)
        return datasets

    def dataset(self, path: Path, obj: Any) -> Dataset | None:
        if not isinstance(obj, dict):
            self.problem(path, "each schema entry must be a mapping")
            return None
        self.leftovers(path, obj, _OBJECT_IMPORTED)
        if obj.get("logicalType", "object") != "object":
            self.problem((*path, "logicalType"), "only objects (tables) can become datasets")
        properties = obj.get("properties")
        if not isinstance(properties, list) or not properties:
            self.problem((*path, "properties"), "an object needs at least one property")
            return None
        columns = [self.column((*path, "properties", i), p) for i, p in enumerate(properties)]
        if any(c is None for c in columns):
            return None
        try:
            return Dataset.model_validate(
                {
                    "name": obj.get("name"),
                    "owner": self.owner,
                    "description": obj.get("description"),
                    "columns": columns,
                }
            )
        except ValidationError as exc:
            for err in exc.errors():
                self.problem((*path, *err["loc"][:1]), err["msg"])
            return None

    def column(self, path: Path, prop: Any) -> Column | None:
        if not isinstance(prop, dict):
            self.problem(path, "each property must be a mapping")
            return None
        self.leftovers(path, prop, _PROPERTY_IMPORTED)
        custom = self.custom_properties(path, prop.get("customProperties"))
        fields: dict[str, Any] = {
            key: prop[key] for key in ("name", "physicalType", "required", "description")
            if prop.get(key) is not None
        }  # fmt: skip
        logical = prop.get("logicalType")
        if logical not in {t.value for t in LogicalType}:
            self.problem(
                (*path, "logicalType"),
                f"logicalType {logical!r} cannot be a column here: use one of "
                + ", ".join(t.value for t in LogicalType),
            )
            return None
        fields["logicalType"] = logical
        level = custom.get(_CUSTOM_CLASSIFICATION, prop.get("classification"))
        if level is None:
            self.problem(
                (*path, "classification"),
                "classification is missing: say what the column holds (identifier, personal, "
                "sensitive_personal, important or general)",
            )
            return None
        if level not in self.levels:
            self.problem(
                (*path, "classification"),
                f"classification {level!r} has no Sealroom level: map it with "
                "classification_map or set customProperties sealroomClassification",
            )
            return None
        fields["classification"] = self.levels[level]
        if _CUSTOM_POLICY in custom:
            fields["policy"] = custom[_CUSTOM_POLICY]
        try:
            return Column.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors():
                self.problem((*path, *err["loc"][:1]), err["msg"])
            return None

    def custom_properties(self, path: Path, items: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if items is None:
            return found
        if not isinstance(items, list):
            self.problem((*path, "customProperties"), "customProperties must be a list")
            return found
        for index, item in enumerate(items):
            item_path: Path = (*path, "customProperties", index)
            if not isinstance(item, dict) or "property" not in item:
                self.problem(item_path, "a custom property needs property and value")
                continue
            name = item["property"]
            if name == _CUSTOM_POLICY and item.get("value") not in {p.value for p in ColumnPolicy}:
                self.problem(item_path, f"sealroomPolicy must be one of {', '.join(ColumnPolicy)}")
            elif name in (_CUSTOM_CLASSIFICATION, _CUSTOM_POLICY):
                found[name] = item.get("value")
            else:
                self.note(item_path, f"custom property {name!r} is not imported")
        return found

    def leftovers(self, path: Path, element: dict[str, Any], imported: frozenset[str]) -> None:
        for key in element:
            if key in imported or key == "customProperties":
                continue
            if key in ODCS_ELEMENT:
                self.note((*path, key), f"{key} is not imported: Sealroom has no equivalent")
            else:
                self.note((*path, key), f"unknown field {key!r}: not part of ODCS v3, ignored")
