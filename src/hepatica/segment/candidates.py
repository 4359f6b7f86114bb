"""Lesion candidates scored from what can be measured, and the operating point that decides which are reported.

Every connected piece of the lesion network's mask is a candidate. Its evidence:

* ``mean_probability``: the network's mean probability inside it;
* ``contrast_hu``: its mean HU minus the median HU of the parenchyma 2-6 mm around it, and ``contrast_sd``, the
  same in units of the parenchyma's voxel SD (noise and texture): a real lesion stands out of the noise
  (IRCAD patient 1's tumours: 2.4-2.9 SD; the phantom's visible lesions 2.3-7), a false one is noise-like;
* ``outside_fraction``: the share of it outside the checked liver (`hepatica.segment.refine`);
* ``at_surface``: the share of its boundary that lies on the liver's surface, and ``continues_outside``: the
  share of the tissue just outside the liver next to it that has the candidate's attenuation rather than fat's or
  the liver's: an exophytic tumour or a mass pressed against the liver continues there (both at least
  ``AT_SURFACE`` and ``CONTINUES_OUTSIDE``, and 10 mm or more, make a reason to review);
* ``diameter_mm``: its largest extent along an image axis.

``confidence = mean_probability x conspicuity x (1 - outside_fraction)``, the conspicuity a logistic step at 1 SD
of contrast (width 0.25 SD): at the default operating point a candidate of the network (mean probability 0.5 or
more) is reported when it stands out of the noise by about 1.3 SD or more and lies in the liver. These
are reasons, not a trained model: every factor is a property a radiologist would name, and each can be read in
result.json. A candidate is reported as a lesion when its confidence is at least the operating point (default
``DEFAULT_OPERATING_POINT``, an `AnalysisOptions` setting) and it measures at least ``MIN_REPORTABLE_MM`` both
across and as the sphere of its volume (a speck of a few voxels over two thick slices is not a 5 mm lesion); the
others are kept as candidates below threshold, with the reason. A candidate lying mostly outside the liver and at
least ``MIN_MASS_ML`` is a *mass adjacent to the liver, possibly extrahepatic*: it is never a liver lesion, and it
is reported for review (an exophytic liver tumour must not be silently dropped).

Minimum reportable size, 5 mm: below twice the usual 2.5-3 mm slice thickness a lesion's attenuation is diluted by
partial volume, so neither its contrast nor the LI-RADS features (hyperenhancement, washout, capsule) can be read,
and the lesion network's 1 x 1 x 3 mm grid resolves it over one or two slices only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.segment.refine import Parenchyma

DEFAULT_OPERATING_POINT = 0.5
MIN_REPORTABLE_MM = 5.0
MIN_MASS_ML = 10.0
MOSTLY_OUTSIDE = 0.5
CONTINUES_OUTSIDE = 0.5
AT_SURFACE = 0.25  # share of its boundary on the liver's surface; tuned on the exophytic phantom (0.27) and IRCAD 1
MIN_EXOPHYTIC_MM = 10.0  # (its subcapsular tumours: at most 0.20; LiTS 117's small ones reach 0.34 under 10 mm)
_CONNECTIVITY = ndimage.generate_binary_structure(3, 3)

LESION = "lesion"
BELOW_THRESHOLD = "below threshold"
ADJACENT_MASS = "adjacent mass"


@dataclass(frozen=True)
class CandidateEvidence:
    """What was measured on one candidate (see the module docstring)."""

    volume_ml: float
    diameter_mm: float
    mean_probability: float | None  # None: not found by the lesion network
    mean_hu: float
    contrast_hu: float
    contrast_sd: float
    outside_fraction: float
    at_surface: float
    continues_outside: float
    found_by: str = "lesion network"  # or the rule that found it, in the phase its HU are measured in

    @property
    def confidence(self) -> float:
        probability = 1.0 if self.mean_probability is None else self.mean_probability
        conspicuity = 1.0 / (1.0 + math.exp(-(abs(self.contrast_sd) - 1.0) / 0.25))
        return probability * conspicuity * (1.0 - self.outside_fraction)


@dataclass(frozen=True)
class Candidate:
    """One lesion candidate: where it lies (``box`` on the analysed array, ``local_mask`` in it), its evidence, what
    was decided (``LESION``, ``BELOW_THRESHOLD`` or ``ADJACENT_MASS``) and why, in words."""

    box: tuple[slice, slice, slice]
    local_mask: np.ndarray
    evidence: CandidateEvidence
    decision: str
    reasons: tuple[str, ...]

    @property
    def confidence(self) -> float:
        return self.evidence.confidence

    def paint(self, target: np.ndarray, value=True) -> None:
        target[self.box][self.local_mask] = value

    def mask_on(self, box: tuple[slice, ...]) -> np.ndarray:
        """This candidate's mask cut to ``box`` (a box of the same analysed array)."""
        mask = np.zeros([b.stop - b.start for b in box], dtype=bool)
        inner = tuple(slice(max(a.start, b.start), min(a.stop, b.stop)) for a, b in zip(self.box, box))
        if all(i.start < i.stop for i in inner):
            mine = tuple(slice(i.start - a.start, i.stop - a.start) for i, a in zip(inner, self.box))
            mask[tuple(slice(i.start - b.start, i.stop - b.start) for i, b in zip(inner, box))] = self.local_mask[mine]
        return mask


def find_candidates(
    probability: np.ndarray,
    hu: np.ndarray,
    raw_liver: np.ndarray,
    liver: np.ndarray,
    parenchyma: Parenchyma,
    spacing: tuple[float, float, float],
    operating_point: float = DEFAULT_OPERATING_POINT,
    threshold: float = 0.5,
) -> list[Candidate]:
    """Score every piece of ``probability > threshold`` inside ``raw_liver`` (the network's liver, before the
    check) against ``liver`` (after it) and decide on each; largest first."""
    pieces, _ = ndimage.label((probability > threshold) & raw_liver, structure=_CONNECTIVITY)
    voxel_ml = float(np.prod(spacing)) / 1000.0
    candidates = []
    others = pieces > 0
    for index, box in enumerate(ndimage.find_objects(pieces), start=1):
        if box is None:
            continue
        local = pieces[box] == index
        evidence = measure_candidate(box, local, probability, hu, liver, others, parenchyma, spacing, voxel_ml)
        decision, reasons = decide(evidence, operating_point)
        candidates.append(Candidate(box, local, evidence, decision, reasons))
    return sorted(candidates, key=lambda c: -c.evidence.volume_ml)


def measure_candidate(box, local, probability, hu, liver, others, parenchyma: Parenchyma, spacing, voxel_ml):
    """The `CandidateEvidence` of the candidate ``local`` (a mask of ``box``); ``probability`` None: found
    without the network."""
    reach = [int(math.ceil(6.0 / s)) + 1 for s in spacing]
    grown = tuple(slice(max(0, b.start - r), min(n, b.stop + r)) for b, r, n in zip(box, reach, hu.shape))
    inside = np.zeros([g.stop - g.start for g in grown], dtype=bool)
    inside[tuple(slice(b.start - g.start, b.stop - g.start) for b, g in zip(box, grown))] = local
    distance = ndimage.distance_transform_edt(~inside, sampling=spacing)
    values = hu[grown].astype(np.float32)
    in_liver, other = liver[grown], others[grown] & ~inside
    ring = (distance > 2.0) & (distance <= 6.0) & in_liver & ~other
    surround = float(np.median(values[ring])) if ring.sum() >= 10 else parenchyma.mode_hu
    mean_hu = float(values[inside].mean())
    contrast = mean_hu - surround
    outside = float((inside & ~in_liver).sum() / inside.sum())
    shell = (distance > 0) & (distance <= 1.5 * max(spacing))
    at_surface = float((shell & ~in_liver).sum() / max(1, shell.sum()))
    beyond = (distance > 0) & (distance <= 3.0) & ~in_liver
    continues = 0.0
    if beyond.sum() >= 10:
        similar = np.abs(values[beyond] - mean_hu) <= max(20.0, 0.5 * abs(contrast))
        unlike_liver = np.abs(values[beyond] - parenchyma.mode_hu) > parenchyma.unlike_hu
        continues = float((similar & unlike_liver).mean())
    extents = [(b.stop - b.start) * s for b, s in zip(box, spacing)]
    return CandidateEvidence(
        volume_ml=float(local.sum()) * voxel_ml,
        diameter_mm=float(max(extents)),
        mean_probability=None if probability is None else float(probability[box][local].mean()),
        mean_hu=mean_hu,
        contrast_hu=contrast,
        contrast_sd=contrast / max(parenchyma.voxel_sd_hu, 1.0),
        outside_fraction=outside,
        at_surface=at_surface,
        continues_outside=continues,
    )


def equivalent_diameter_mm(volume_ml: float) -> float:
    """Diameter (mm) of the sphere of ``volume_ml``."""
    return float((6.0 * volume_ml * 1000.0 / math.pi) ** (1.0 / 3.0))


def decide(evidence: CandidateEvidence, operating_point: float) -> tuple[str, tuple[str, ...]]:
    """Lesion, below threshold or adjacent mass, with the reasons in words."""
    if evidence.outside_fraction >= MOSTLY_OUTSIDE:
        where = f"{100 * evidence.outside_fraction:.0f} % of it lies outside the liver"
        if evidence.volume_ml >= MIN_MASS_ML:
            return ADJACENT_MASS, (f"mass adjacent to the liver, possibly extrahepatic: review ({where})",)
        return BELOW_THRESHOLD, (f"not a liver lesion: {where}",)
    reasons = []
    equivalent = equivalent_diameter_mm(evidence.volume_ml)
    if min(evidence.diameter_mm, equivalent) < MIN_REPORTABLE_MM:
        reasons.append(
            f"{evidence.diameter_mm:.0f} mm across, {evidence.volume_ml:.2f} mL (a sphere of {equivalent:.1f} mm): "
            f"under the minimum reportable size of {MIN_REPORTABLE_MM:.0f} mm"
        )
    if evidence.confidence < operating_point:
        reasons.append(
            f"confidence {evidence.confidence:.2f} under the operating point {operating_point:.2f} (network "
            f"probability {evidence.mean_probability or 0:.2f}, contrast {evidence.contrast_hu:+.0f} HU = "
            f"{evidence.contrast_sd:+.1f} SD)"
        )
    if reasons:
        return BELOW_THRESHOLD, tuple(reasons)
    if (
        evidence.at_surface >= AT_SURFACE
        and evidence.continues_outside >= CONTINUES_OUTSIDE
        and evidence.diameter_mm >= MIN_EXOPHYTIC_MM
    ):
        return LESION, (
            "at the liver surface, with tissue of its attenuation continuing outside the liver: an exophytic "
            "lesion or a mass adjacent to the liver; review",
        )
    return LESION, ()
