"""Importing the dataset part of an ODCS v3 document, reporting what is not imported."""

from __future__ import annotations

import pytest

from contracts import (
    Classification,
    ColumnPolicy,
    ContractInvalid,
    LogicalType,
    import_odcs,
)
from tests.unit.contracts.conftest import line_of

ODCS = """\
apiVersion: v3.0.2
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: customers
version: 1.0.0
status: active
team:
  - username: ceastwood
    role: Data Scientist
schema:
  - name: customers
    physicalName: crm_customers_v2
    physicalType: table
    description: Active retail customers.
    properties:
      - name: customer_id
        logicalType: string
        physicalType: VARCHAR(20)
        classification: identifier
        primaryKey: true
        required: true
        customProperties:
          - property: sealroomPolicy
            value: join_only
      - name: city
        logicalType: string
        classification: public
        examples: [Shanghai, Hangzhou]
      - name: spend_cny
        logicalType: number
        physicalType: DECIMAL(12,2)
        classification: internal
        customProperties:
          - property: sealroomClassification
            value: general
          - property: steward
            value: finance
        colour: blue
"""


def test_odcs_columns_become_a_dataset_with_classification_and_policy() -> None:
    result = import_odcs(
        ODCS, owner="acme-cn", classification_map={"public": Classification.GENERAL}
    )
    (dataset,) = result.datasets
    assert dataset.name == "customers"
    assert dataset.owner == "acme-cn"
    assert dataset.description == "Active retail customers."
    customer_id, city, spend = dataset.columns
    assert customer_id.classification is Classification.IDENTIFIER
    assert customer_id.policy is ColumnPolicy.JOIN_ONLY
    assert customer_id.physical_type == "VARCHAR(20)"
    assert customer_id.required is True
    assert city.classification is Classification.GENERAL
    assert spend.classification is Classification.GENERAL  # the custom property wins
    assert spend.logical_type is LogicalType.NUMBER


def test_every_field_not_imported_is_reported_with_its_line() -> None:
    result = import_odcs(
        ODCS, owner="acme-cn", classification_map={"public": Classification.GENERAL}
    )
    notes = {note.path: note for note in result.notes}
    assert set(notes) == {
        "id",
        "name",
        "version",
        "status",
        "team",
        "schema[0].physicalName",
        "schema[0].physicalType",
        "schema[0].properties[0].primaryKey",
        "schema[0].properties[1].examples",
        "schema[0].properties[2].customProperties[1]",
        "schema[0].properties[2].colour",
    }
    assert notes["schema[0].properties[2].colour"].message == (
        "unknown field 'colour': not part of ODCS v3, ignored"
    )
    assert notes["schema[0].properties[2].colour"].line == line_of(ODCS, "colour: blue")
    assert notes["team"].message == "team is not imported: the Sealroom contract states its own"


def test_a_classification_without_a_sealroom_level_is_not_guessed() -> None:
    with pytest.raises(ContractInvalid) as caught:
        import_odcs(ODCS, owner="acme-cn", source="customers.odcs.yaml")
    (issue,) = caught.value.issues
    assert issue.path == "schema[0].properties[1].classification"
    assert issue.line == line_of(ODCS, "classification: public")
    assert "classification 'public' has no Sealroom level" in issue.message


def test_nested_types_cannot_become_columns() -> None:
    text = ODCS.replace(
        "      - name: city\n        logicalType: string\n",
        "      - name: city\n        logicalType: array\n",
    )
    with pytest.raises(ContractInvalid, match="logicalType 'array' cannot be a column here"):
        import_odcs(text, owner="acme-cn", classification_map={"public": Classification.GENERAL})


def test_only_odcs_v3_is_imported() -> None:
    with pytest.raises(ContractInvalid, match=r"only ODCS v3 can be imported, got 'v2\.2\.2'"):
        import_odcs(
            ODCS.replace("apiVersion: v3.0.2", "apiVersion: v2.2.2"),
            owner="acme-cn",
            classification_map={"public": Classification.GENERAL},
        )


def test_invalid_policy_in_custom_property_is_refused() -> None:
    text = ODCS.replace("value: join_only", "value: hidden")
    with pytest.raises(ContractInvalid, match="sealroomPolicy must be one of"):
        import_odcs(text, owner="acme-cn", classification_map={"public": Classification.GENERAL})
