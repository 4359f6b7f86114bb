"""LI-RADS v2018 for CT and MRI: categories with reasons (`categorize`), and treatment response between two
studies (`assess_response`: RECIST 1.1, mRECIST)."""

from hepatica.lirads.algorithm import Categorization, categorize, diagnostic_table, lower_certainty
from hepatica.lirads.observation import Ancillary, Observation, observation_json_schema_text, parse_observations
from hepatica.lirads.response import MeasuredLesion, ResponseAssessment, assess_response, select_targets

__all__ = [
    "Ancillary",
    "Categorization",
    "MeasuredLesion",
    "Observation",
    "ResponseAssessment",
    "assess_response",
    "categorize",
    "diagnostic_table",
    "lower_certainty",
    "observation_json_schema_text",
    "parse_observations",
    "select_targets",
]
