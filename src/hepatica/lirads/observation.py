"""What the LI-RADS algorithm reads about one observation: the features a reader entered or Hepatica measured.

The field names are the published input of ``hepatica lirads`` (``schemas/lirads_observation.schema.json``,
kept in step with this model by a test). Feature names in lists are the ACR's words, checked against the
vocabularies below so that a typo is an error rather than a silently ignored feature.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hepatica.errors import HepaticaInputError

# LR-M: targetoid appearance, or non-targetoid features of a malignancy that is not HCC-specific
TARGETOID_FEATURES = (
    "rim APHE",
    "peripheral washout",
    "delayed central enhancement",
    "targetoid restriction",
    "targetoid TP or HBP appearance",
)
NONTARGETOID_LR_M_FEATURES = ("infiltrative appearance", "marked diffusion restriction", "necrosis or severe ischemia")
LrMFeature = Literal[
    "rim APHE",
    "peripheral washout",
    "delayed central enhancement",
    "targetoid restriction",
    "targetoid TP or HBP appearance",
    "infiltrative appearance",
    "marked diffusion restriction",
    "necrosis or severe ischemia",
]

FavorMalignancy = Literal[
    "subthreshold growth",
    "restricted diffusion",
    "mild-moderate T2 hyperintensity",
    "corona enhancement",
    "fat sparing in solid mass",
    "iron sparing in solid mass",
    "transitional phase hypointensity",
    "hepatobiliary phase hypointensity",
    "US visibility as discrete nodule",
]
FavorHcc = Literal[
    "nonenhancing capsule",
    "nodule-in-nodule",
    "mosaic architecture",
    "fat in mass more than liver",
    "blood products in mass",
]
FavorBenign = Literal[
    "size stability >= 2 years",
    "size reduction",
    "parallels blood pool",
    "undistorted vessels",
    "iron in mass more than liver",
    "marked T2 hyperintensity",
    "hepatobiliary phase isointensity",
]

Category = Literal["LR-1", "LR-2", "LR-3", "LR-4", "LR-5", "LR-M"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ancillary(_Model):
    """Ancillary features present (optional; they adjust the diagnostic table's category by one at most)."""

    favor_malignancy: list[FavorMalignancy] = Field(
        default_factory=list, description="Favouring malignancy in general."
    )
    favor_hcc: list[FavorHcc] = Field(default_factory=list, description="Favouring HCC in particular.")
    favor_benign: list[FavorBenign] = Field(default_factory=list, description="Favouring benignity.")


class Observation(_Model):
    """One observation of a CT or MRI study, as LI-RADS v2018 sees it."""

    id: str | None = Field(None, description="A name for the observation, e.g. 'lesion 2'.")
    high_risk: bool = Field(
        description="Patient at high risk for HCC: cirrhosis, chronic hepatitis B, current or prior HCC."
    )
    age_years: float | None = Field(None, ge=0, description="LI-RADS does not apply under 18.")
    cirrhosis_cause: Literal["congenital hepatic fibrosis", "vascular disorder"] | None = Field(
        None, description="Causes of cirrhosis for which LI-RADS does not apply."
    )
    treated: bool = Field(False, description="Treated observation: LR-TR instead of LR-1..5.")
    nonevaluable: bool = Field(False, description="Image degradation or omission: LR-NC (LR-TR Nonevaluable).")
    missing_phases: list[str] = Field(
        default_factory=list, description="Required phases that were not acquired, e.g. ['arterial']."
    )
    tumor_in_vein: bool = Field(False, description="Definite enhancing soft tissue in a vein.")
    benign: Literal["definite", "probable"] | None = Field(
        None, description="Definitely (LR-1) or probably (LR-2) benign, e.g. simple cyst, typical hemangioma."
    )
    benign_entity: str | None = Field(None, description="What the benign observation is, e.g. 'simple cyst'.")
    lr_m_features: list[LrMFeature] = Field(default_factory=list)
    size_mm: float | None = Field(None, gt=0, description="Largest outer-edge-to-outer-edge diameter (mm).")
    aphe: Literal["none", "nonrim", "rim"] = Field("none", description="Arterial phase hyperenhancement.")
    washout: Literal["none", "nonperipheral", "peripheral"] = "none"
    capsule: bool = Field(False, description="Enhancing capsule.")
    threshold_growth: bool = Field(False, description="Size increase >= 50 % in <= 6 months.")
    ancillary: Ancillary = Field(default_factory=Ancillary)
    unsure_between: tuple[Category, Category] | None = Field(
        None, description="The reader is unsure between two categories: LI-RADS takes the lower certainty."
    )
    treatment_response: Literal["none", "expected", "atypical", "viable"] | None = Field(
        None,
        description="Treated observations: no lesional enhancement, the treatment-specific expected "
        "pattern, atypical enhancement not meeting viability, or viable tissue (nodular, "
        "mass-like or thick irregular, with APHE, washout or enhancement like before treatment).",
    )
    viable_size_mm: float | None = Field(None, gt=0, description="Longest dimension of viable tissue (mm).")
    evidence: dict[str, str] = Field(
        default_factory=dict,
        description="The measurement behind a feature, by field name (aphe, washout, capsule, size_mm, "
        "threshold_growth, benign, tumor_in_vein, treatment_response), e.g. "
        "{'aphe': 'lesion 52 HU above liver in arterial phase'}.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Observation:
        unknown = set(self.evidence) - set(type(self).model_fields)
        if unknown:
            raise ValueError(f"evidence for unknown field(s) {sorted(unknown)}")
        if self.unsure_between is not None:
            first, second = self.unsure_between
            ordinal = ("LR-1", "LR-2", "LR-3", "LR-4", "LR-5")
            adjacent = first in ordinal and second in ordinal and abs(ordinal.index(first) - ordinal.index(second)) == 1
            if not adjacent and {first, second} not in ({"LR-M", "LR-4"}, {"LR-M", "LR-5"}):
                raise ValueError(
                    f"unsure_between {first} and {second}: give two neighbouring categories "
                    "(e.g. LR-3 and LR-4) or LR-M and LR-4 / LR-5"
                )
        if (
            self.treated
            and self.high_risk
            and self.treatment_response is None
            and not self.nonevaluable
            and not self.missing_phases
            and self.aphe == "none"
            and self.washout == "none"
        ):
            raise ValueError("a treated observation needs treatment_response (none, expected, atypical or viable)")
        return self


def parse_observations(text: str, source: str = "input") -> list[Observation]:
    """Observations from JSON text: one object or a list of them. Raises HepaticaInputError naming the
    observation and field at fault."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HepaticaInputError(f"{source}: not valid JSON ({exc}).") from exc
    items = data if isinstance(data, list) else [data]
    observations = []
    for number, item in enumerate(items, start=1):
        try:
            observations.append(Observation.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'observation'}: {e['msg']}" for e in exc.errors()
            )
            raise HepaticaInputError(
                f"{source}, observation {number}: {problems}. See schemas/lirads_observation.schema.json."
            ) from None
    return observations


def observation_json_schema_text() -> str:
    """The schema as stored in ``schemas/lirads_observation.schema.json``: one observation or a list."""
    single = Observation.model_json_schema()
    definitions = single.pop("$defs", {})
    definitions["Observation"] = single
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Hepatica LI-RADS input",
        "description": "One observation or a list of observations for `hepatica lirads`.",
        "oneOf": [{"$ref": "#/$defs/Observation"}, {"type": "array", "items": {"$ref": "#/$defs/Observation"}}],
        "$defs": definitions,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
