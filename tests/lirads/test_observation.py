import json
from pathlib import Path

import jsonschema
import pytest

from hepatica.errors import HepaticaInputError
from hepatica.lirads import observation_json_schema_text, parse_observations

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "lirads_observation.schema.json"


def test_published_schema_is_up_to_date():
    assert SCHEMA_FILE.read_text() == observation_json_schema_text(), (
        "run: hepatica schema --lirads --out schemas/lirads_observation.schema.json"
    )


def test_schema_accepts_the_fields_the_issue_lists_as_one_object_or_a_list():
    observation = {
        "high_risk": True,
        "treated": False,
        "nonevaluable": False,
        "tumor_in_vein": False,
        "benign": None,
        "lr_m_features": [],
        "size_mm": 21.5,
        "aphe": "nonrim",
        "washout": "nonperipheral",
        "capsule": True,
        "threshold_growth": False,
        "ancillary": {"favor_malignancy": ["restricted diffusion"], "favor_hcc": [], "favor_benign": []},
    }
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.validate(observation, schema)
    jsonschema.validate([observation, {"high_risk": False}], schema)
    assert len(parse_observations(json.dumps([observation, observation]))) == 2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"high_risk": true, "aphe": "arterial"}', "observation 1: aphe"),
        ('[{"high_risk": true}, {"high_risk": true, "size_mm": -3}]', "observation 2: size_mm"),
        ('{"aphe": "nonrim"}', "high_risk: Field required"),
        ('{"high_risk": true, "lr_m_features": ["rim enhancement"]}', "lr_m_features.0"),
        ('{"high_risk": true, "ancillary": {"favor_benign": ["size stable"]}}', "ancillary.favor_benign.0"),
        ('{"high_risk": true, "unsure_between": ["LR-2", "LR-5"]}', "neighbouring categories"),
        ('{"high_risk": true, "treated": true}', "needs treatment_response"),
        ('{"high_risk": true, "evidence": {"apeh": "52 HU"}}', "unknown field(s) ['apeh']"),
        ('{"high_risk": true,', "not valid JSON"),
    ],
)
def test_bad_input_names_the_observation_and_the_field(text, fragment):
    with pytest.raises(HepaticaInputError) as error:
        parse_observations(text, "features.json")
    assert fragment in str(error.value) and "features.json" in str(error.value)
