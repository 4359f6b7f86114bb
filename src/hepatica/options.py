"""`AnalysisOptions`: how one study is analysed, the same typed object for the command line, the Python API, the
service (stored as its JSON with every job) and cohorts.

What is analysed (the study, a prior study, the user's own masks) is not an option: those are inputs of
`hepatica.pipeline.analyze`. Options are validated when they are made and when they are read back from a job row,
so an unknown or mistyped option (one renamed since the job was queued, say) is an `AnalysisOptionsError` naming
it, not a failure deep inside an analysis.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase, parse_phase

#: Segmentation backends by name (`hepatica.segment.get_backend`).
Backend = Literal["bundled", "totalsegmentator"]


class AnalysisOptionsError(HepaticaInputError):
    """Analysis options that cannot be used (an unknown name, a value of the wrong kind)."""


class AnalysisOptions(BaseModel):
    """How to analyse a study. Every field has a default, so ``AnalysisOptions()`` is the standard analysis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phases: dict[str, str] = Field(
        default_factory=dict,
        description="Phase overrides: series (number, UID, description or id such as 'S2') -> phase name "
        "(pre_contrast, arterial, portal_venous, delayed, or a short form such as 'pv').",
    )
    segment: bool = Field(True, description="Segment the liver and lesions (False: inventory and key images only).")
    backend: Backend = Field("bundled", description="Segmentation backend for what the user's masks do not give.")
    operating_point: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Confidence (0-1) at which a lesion candidate of the bundled backend is reported as a lesion; "
        "lower finds more and risks more false lesions. Candidates under it are listed as below threshold.",
    )
    lirads: bool = Field(True, description="Align the phases and give each lesion its LI-RADS v2018 category.")
    radiomics: bool = Field(True, description="IBSI features of the liver and of each lesion.")
    high_risk: bool | None = Field(
        None,
        description="Patient at high risk for HCC (LI-RADS applies only then); None: not stated, categories are "
        "computed as if and say so.",
    )
    interval_days: float | None = Field(
        None, ge=0, description="Days between the prior study and this one; None: from the DICOM study dates."
    )
    patient_identifiers: bool = Field(
        False, description="Name the patient in the report header (never in result.json)."
    )
    deidentify: bool = Field(
        False,
        description="De-identify the DICOM SEG and SR (PS3.15 Basic Profile, UIDs remapped consistently, "
        "hepatica.io.deidentify) and remap the UIDs in result.json the same way: for research exports. Default: "
        "the SEG and SR carry the source's patient module, as a PACS needs to file them.",
    )
    pdf: bool = Field(True, description="Write report.pdf beside report.html.")

    @field_validator("phases")
    @classmethod
    def _known_phases(cls, phases: dict[str, str]) -> dict[str, str]:
        """Phase names as Hepatica spells them, so that a stored job reads the same everywhere."""
        return {series: parse_phase(name).value for series, name in phases.items()}

    def phase_overrides(self) -> dict[str, Phase]:
        """The overrides as `Phase` values, by series selector."""
        return {series: Phase(name) for series, name in self.phases.items()}

    def with_values(self, **changes: Any) -> AnalysisOptions:
        """A copy with ``changes`` applied, validated like a new object."""
        return read_options({**self.model_dump(), **changes}, "changed options")

    def to_json(self) -> dict[str, Any]:
        """Every option, defaults included: what a job row stores, so a later change of a default does not
        change a queued job."""
        return self.model_dump(mode="json")


def read_options(data: Any, where: str = "analysis options") -> AnalysisOptions:
    """Options from JSON-like ``data`` (a job row, a request); `AnalysisOptionsError` says which option is wrong
    and where it came from."""
    if isinstance(data, AnalysisOptions):
        return data
    if not isinstance(data, dict):
        raise AnalysisOptionsError(f"{where}: expected an object of option names and values, got {type(data).__name__}")
    try:
        return AnalysisOptions.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or "options"
            if item["type"] == "extra_forbidden":
                problems.append(f"'{name}' is not an analysis option")
            else:
                problems.append(f"'{name}': {item['msg']}")
        known = ", ".join(AnalysisOptions.model_fields)
        raise AnalysisOptionsError(f"{where}: {'; '.join(problems)} (options are: {known})") from None
