"""The quality-control checks of one analysis and its verdict: "done", or "needs review" with every reason.

A result that rests on a wrong liver mask looks as finished as a right one, so each analysis states what was
checked, what each check measured and why it passed or not:

* ``liver volume``: against the standard liver volume of the patient's body surface area when the DICOM header
  gives height and weight (Urata et al., Hepatology 1995: ``706.2 x BSA + 2.4`` mL, BSA by Mosteller; plausible
  from half to twice it: cirrhotic livers shrink, hepatomegaly doubles), else against the body measured in the
  image (the liver's share of the body volume across the liver's slices: 0.15-0.33 on the five cases of
  ``bench/detection_eval.py``; plausible from 0.07 to 0.45) and the adult range 500-4000 mL;
* ``liver coverage``: whether the scan ends inside the liver (then its volume is a lower bound);
* ``liver outline``: how much tissue unlike liver the check of the network's mask took out
  (`hepatica.segment.refine`); 20 mL or more needs a look at the outline;
* ``parenchyma``: the liver's attenuation in the segmented phase (CT liver lies between -30 HU, severe steatosis
  unenhanced, and 250 HU) and its homogeneity (the smoothed parenchyma's SD over 20 HU makes the liver and lesion
  checks unreliable);
* ``adjacent masses`` and ``lesions to review``: candidates decided as masses beside the liver, and lesions with a
  reason to review (exophytic), from `hepatica.segment.candidates`;
* ``phase alignment``: every phase that could not be aligned and was left out of LI-RADS.

Any failed check makes the verdict "needs review".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.characterize.study import StudyPhases
from hepatica.io.volume import Volume
from hepatica.measure.lesions import LiverLesions, to_lps
from hepatica.segment.candidates import ADJACENT_MASS, BELOW_THRESHOLD, LESION
from hepatica.segment.types import LesionCandidate, Segmentation

DONE = "done"
NEEDS_REVIEW = "needs review"
SLV_RANGE = (0.5, 2.0)
BODY_SHARE_RANGE = (0.07, 0.45)
ADULT_LIVER_ML = (500.0, 4000.0)
MAX_EXCLUDED_ML = 20.0
PARENCHYMA_HU = (-30.0, 250.0)
MAX_PARENCHYMA_SD_HU = 20.0
BODY_THRESHOLD_HU = -300.0


@dataclass(frozen=True)
class QualityCheck:
    """One check: its name, whether it passed, and what it measured and why, in words."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class QualityVerdict:
    """Every check run, and the verdict: ``DONE`` when all passed, else ``NEEDS_REVIEW``."""

    checks: tuple[QualityCheck, ...]

    @property
    def status(self) -> str:
        return DONE if all(check.passed for check in self.checks) else NEEDS_REVIEW

    @property
    def flags(self) -> tuple[QualityCheck, ...]:
        """The checks that failed."""
        return tuple(check for check in self.checks if not check.passed)


def assess_quality(
    image: Volume,
    segmentation: Segmentation | None,
    lesions: LiverLesions | None,
    phases: StudyPhases | None = None,
) -> QualityVerdict:
    """The checks of one analysis: ``image`` the segmented series, ``segmentation`` and ``lesions`` its masks and
    lesions (None when it was not segmented), ``phases`` the aligned phases (None when LI-RADS did not run)."""
    checks: list[QualityCheck] = []
    if segmentation is not None and lesions is not None:
        liver = lesions.liver.array > 0
        checks.append(_liver_volume(image, liver, lesions.liver_volume_ml))
        checks.append(_liver_coverage(image, lesions.liver))
        if segmentation.liver_check is not None:
            checks.append(_liver_outline(segmentation))
            checks.append(_parenchyma(segmentation))
        if segmentation.operating_point is not None:
            checks.extend(_candidates(segmentation, lesions))
    if phases is not None:
        checks.append(_alignment(phases))
    return QualityVerdict(tuple(checks))


def standard_liver_volume_ml(height_m: float, weight_kg: float) -> float:
    """Urata's standard liver volume (mL) for a body surface area by Mosteller's formula."""
    bsa = math.sqrt(height_m * 100.0 * weight_kg / 3600.0)
    return 706.2 * bsa + 2.4


def _liver_volume(image: Volume, liver: np.ndarray, volume_ml: float) -> QualityCheck:
    height, weight = image.metadata.get("patient_height_m"), image.metadata.get("patient_weight_kg")
    if height and weight:
        expected = standard_liver_volume_ml(float(height), float(weight))
        ratio = volume_ml / expected
        low, high = SLV_RANGE
        return QualityCheck(
            "liver volume",
            low <= ratio <= high,
            f"{volume_ml:.0f} mL is {ratio:.2f} times the standard liver volume of {expected:.0f} mL for the "
            f"height and weight in the DICOM header (plausible {low:g}-{high:g} times)",
        )
    low_ml, high_ml = ADULT_LIVER_ML
    share = body_share(image, liver)
    if share is None:
        return QualityCheck(
            "liver volume",
            low_ml <= volume_ml <= high_ml,
            f"{volume_ml:.0f} mL (adult livers: {low_ml:.0f}-{high_ml:.0f} mL); the body is cut by the field of "
            "view and no height and weight are given, so the volume is not compared with the body",
        )
    low, high = BODY_SHARE_RANGE
    passed = low <= share <= high and low_ml <= volume_ml <= high_ml
    return QualityCheck(
        "liver volume",
        passed,
        f"{volume_ml:.0f} mL, {100 * share:.0f} % of the body's volume across the liver's slices (plausible "
        f"{100 * low:.0f}-{100 * high:.0f} %; adult livers {low_ml:.0f}-{high_ml:.0f} mL)",
    )


def body_share(image: Volume, liver: np.ndarray) -> float | None:
    """The liver's share of the body volume (tissue above -300 HU, holes filled, slice by slice) across the axial
    slices that hold liver; None when the body reaches the field of view's edge (a crop: not measurable)."""
    lps = to_lps(image)
    mask = to_lps(image.with_array(liver.astype(np.uint8))).array > 0
    slices = np.flatnonzero(mask.any(axis=(1, 2)))
    if slices.size == 0:
        return None
    hu = lps.array[slices]
    body = ndimage.binary_erosion(hu > BODY_THRESHOLD_HU, iterations=2)
    labels, count = ndimage.label(body)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    body = ndimage.binary_dilation(labels == int(np.argmax(sizes)), iterations=2)
    body = np.stack([ndimage.binary_fill_holes(plane) for plane in body])
    edge = body[:, 0].sum() + body[:, -1].sum() + body[:, :, 0].sum() + body[:, :, -1].sum()
    if edge > 0.002 * body.sum():
        return None
    return float(mask[slices].sum() / max(1, body.sum()))


def _liver_coverage(image: Volume, liver: Volume) -> QualityCheck:
    mask = to_lps(liver).array > 0
    per_slice = mask.sum(axis=(1, 2))
    largest = max(1, int(per_slice.max()))
    ends = [name for name, count in (("first", per_slice[0]), ("last", per_slice[-1])) if count > 0.02 * largest]
    if ends:
        return QualityCheck(
            "liver coverage",
            False,
            f"the scan ends inside the liver (its {' and '.join(ends)} axial slice holds liver): the liver volume "
            "is a lower bound",
        )
    return QualityCheck("liver coverage", True, "the whole liver is inside the scan")


def _liver_outline(segmentation: Segmentation) -> QualityCheck:
    check = segmentation.liver_check
    if not check.excluded:
        return QualityCheck(
            "liver outline",
            True,
            f"no tissue unlike liver on the outside of the model's liver ({check.network_liver_ml:.0f} mL); "
            f"{check.added_ml:.0f} mL of its uncertain rim taken in as parenchyma",
        )
    largest = check.excluded[0]
    kind = "darker" if largest.darker else "brighter"
    return QualityCheck(
        "liver outline",
        check.excluded_ml < MAX_EXCLUDED_ML,
        f"the liver model took in {check.excluded_ml:.0f} mL of tissue unlike liver on its outside (largest piece "
        f"{largest.volume_ml:.0f} mL, {kind} than the parenchyma at {largest.mean_hu:.0f} HU, touching the liver "
        f"over {100 * largest.contact_fraction:.0f} % of its boundary); it was taken out of the liver"
        + (
            ": look at the outline (bowel, vessels or a mass against the liver)"
            if check.excluded_ml >= MAX_EXCLUDED_ML
            else ""
        ),
    )


def _parenchyma(segmentation: Segmentation) -> QualityCheck:
    parenchyma = segmentation.liver_check.parenchyma
    low, high = PARENCHYMA_HU
    plausible = low <= parenchyma.mode_hu <= high
    homogeneous = parenchyma.sd_hu <= MAX_PARENCHYMA_SD_HU
    detail = f"parenchyma at {parenchyma.mode_hu:.0f} HU (SD {parenchyma.sd_hu:.0f} HU after smoothing)"
    if not plausible:
        detail += f": outside {low:.0f}-{high:.0f} HU, not liver parenchyma on CT; check the series and the mask"
    elif not homogeneous:
        detail += f": heterogeneous (over {MAX_PARENCHYMA_SD_HU:.0f} HU), the liver and lesion checks are less sure"
    return QualityCheck("parenchyma", plausible and homogeneous, detail)


def _candidates(segmentation: Segmentation, lesions: LiverLesions) -> list[QualityCheck]:
    masses = [c for c in segmentation.candidates if c.decision == ADJACENT_MASS]
    below = [c for c in segmentation.candidates if c.decision == BELOW_THRESHOLD]
    review = {
        label: candidate
        for label, candidate in candidates_of_lesions(segmentation, lesions).items()
        if candidate.reasons
    }
    checks = [
        QualityCheck(
            "adjacent masses",
            not masses,
            "; ".join(f"candidate {c.number}: {c.evidence.volume_ml:.0f} mL, {c.reasons[0]}" for c in masses)
            or "no lesion candidate lies mostly outside the liver",
        ),
        QualityCheck(
            "lesions to review",
            not review,
            "; ".join(f"lesion {label}: {c.reasons[0]}" for label, c in sorted(review.items()))
            or f"{len(lesions.lesions)} lesion(s) at or above the operating point "
            f"{segmentation.operating_point:.2f}; {len(below)} candidate(s) below threshold, not reported",
        ),
    ]
    return checks


def candidates_of_lesions(segmentation: Segmentation, lesions: LiverLesions) -> dict[int, LesionCandidate]:
    """Each lesion's candidate (label -> `LesionCandidate`): the reported candidate it overlaps most."""
    if segmentation.candidate_labels is None:
        return {}
    numbers = segmentation.candidate_labels.array
    by_number = {c.number: c for c in segmentation.candidates if c.decision == LESION}
    found = {}
    for lesion in lesions.lesions:
        inside = numbers[lesion.box][lesion.local_mask]
        counts = np.bincount(inside[np.isin(inside, list(by_number))].astype(np.int64))
        if counts.size and counts.max() > 0:
            found[lesion.label] = by_number[int(np.argmax(counts))]
    return found


def _alignment(phases: StudyPhases) -> QualityCheck:
    if phases.failed:
        return QualityCheck(
            "phase alignment",
            False,
            "; ".join(
                f"{phase.label.lower()} phase left out of LI-RADS: {why}" for phase, why in phases.failed.items()
            ),
        )
    aligned = [p.label.lower() for p in phases.alignments]
    return QualityCheck(
        "phase alignment",
        True,
        f"aligned: {', '.join(aligned)}" if aligned else "one phase only: nothing to align",
    )
