"""The objects one analysis hands from its stages to the output layer (`hepatica.report.write`): what was read,
segmented, labelled, characterized and extracted, with nothing written to disk and nothing rounded yet.

`hepatica.pipeline.run_analysis` makes an `Analysis`; `hepatica.report.write.write_analysis` turns it into
``result.json``, the masks, DICOM SEG and SR, the radiomics table, the key images and the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hepatica.characterize.study import StudyLirads
from hepatica.io.study import Study, StudySeries
from hepatica.measure.lesions import LiverLesions
from hepatica.options import AnalysisOptions
from hepatica.quality import QualityVerdict
from hepatica.radiomics.study import StudyRadiomics
from hepatica.segment.types import Segmentation

#: Where a mask came from when the user gave it (`SegmentedSeries.liver_from` / ``lesions_from``).
USER_MASK = "user mask"


@dataclass(frozen=True)
class UserMask:
    """A mask the user gave: which (``liver`` or ``lesions``) and the SHA-256 of its file, for provenance."""

    kind: str
    sha256: str


@dataclass(frozen=True)
class SegmentedSeries:
    """The series the liver and lesions were segmented on, the masks (from the backend or the user: ``liver_from``
    and ``lesions_from`` say which) and the lesions labelled once."""

    series: StudySeries
    segmentation: Segmentation
    lesions: LiverLesions
    liver_from: str
    lesions_from: str
    backend: str | None


@dataclass(frozen=True)
class Analysis:
    """One study analysed: the study read, the series everything is shown on (``reference``: the segmented one),
    the options, each stage's objects (None where it did not run) and the quality-control verdict (None when the
    study was not segmented)."""

    study: Study
    reference: StudySeries
    options: AnalysisOptions
    command: str
    segmented: SegmentedSeries | None = None
    lirads: StudyLirads | None = None
    radiomics: StudyRadiomics | None = None
    quality: QualityVerdict | None = None
    prior_given: bool = False
    user_masks: tuple[UserMask, ...] = ()
    warnings: list[str] = field(default_factory=list)
