import json

import jsonschema

from hepatica.result import Provenance, StudyInventory, StudyResult, result_json_schema_text
from tests.conftest import REPO

SCHEMA_FILE = REPO / "schemas" / "study_result.schema.json"


def test_exported_schema_is_up_to_date():
    assert SCHEMA_FILE.read_text() == result_json_schema_text(), (
        "run: hepatica schema --out schemas/study_result.schema.json"
    )


def test_minimal_result_validates_and_round_trips(tmp_path):
    result = StudyResult(
        provenance=Provenance(command="test"),
        study=StudyInventory(source="files", series=[], phases_present=[], phases_missing=[]),
    )
    path = result.write_json(tmp_path / "result.json")
    jsonschema.validate(json.loads(path.read_text()), json.loads(SCHEMA_FILE.read_text()))
    assert StudyResult.read_json(path) == result


def test_schema_rejects_unknown_fields():
    document = json.loads(
        StudyResult(
            provenance=Provenance(command="t"),
            study=StudyInventory(source="files", series=[], phases_present=[], phases_missing=[]),
        ).model_dump_json()
    )
    document["lirads"] = {"category": "LR-5"}  # a stage that did not run must not appear
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    assert not validator.is_valid(document)
