"""Lesions the portal-venous lesion network cannot see: found by their arterial-phase hyperenhancement.

The bundled lesion network looks at one phase, the portal venous. A lesion that is iso-attenuating there (an FNH,
a small HCC whose washout is mild) is invisible to it, yet it is what LI-RADS is about: arterial-phase
hyperenhancement. With the arterial phase aligned to the portal-venous one, a liver voxel is *hyperenhancing*
when its smoothed (1 mm) arterial HU exceeds the arterial parenchyma's mode by ``step = max(4 SD, 30 HU)``, and it
is not a vessel: a vessel (portal vein, artery) is bright in the portal-venous phase too, a hyperenhancing lesion is
not (it washes out or becomes iso). Hyperenhancing voxels that survive an opening by a 1 mm ball (in mm, so that a
thin vessel or a noise speck goes but a small lesion on 2.5 mm slices, one or two slices thick, stays) are *seeds*;
each seed grows over the connected non-vessel voxels above half the step (hysteresis, as in edge detection: the
seed proves the lesion is there, its half-contrast extent is its size, the definition ``segment/outline.py`` draws
outlines by). A piece whose grown volume is that of a sphere of at least ``MIN_REPORTABLE_MM`` is a lesion
candidate: measuring the seed instead made a 12 mm HCC, whose arterial core is 8 mm inside a 2 mm capsule, a
4.7 mm piece under the limit (phantom seed 23). A piece within ``NEAR_LESION_MM`` of a lesion already found is
that lesion's: its part above the full step extends it where it overlaps it, never a new lesion (a hemangioma's
peripheral nodules); the others are new lesions. Their evidence is measured in the arterial phase (HU, contrast
to the arterial parenchyma and its SD); their confidence is that conspicuity (no network probability: the
4 SD / 30 HU rule is their operating point).

Validated on the phantom only: the real cases in ``../shared/data`` have a single phase. Arrays are the segmented
grid's (any axis order), ``spacing`` (mm) in the same order.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import ndimage

from hepatica.boxes import bounding_box
from hepatica.io.volume import Volume
from hepatica.segment.candidates import LESION, MIN_REPORTABLE_MM, Candidate, CandidateEvidence, equivalent_diameter_mm
from hepatica.segment.conspicuous import ball
from hepatica.segment.outline import EDGE_SD, redraw_outline
from hepatica.segment.refine import Parenchyma, measure_liver_parenchyma
from hepatica.segment.types import LesionCandidate, Segmentation

HYPERENHANCING_SD = 4.0
HYPERENHANCING_MIN_HU = 30.0
SMOOTHING_MM = 1.0
SEED_OPENING_MM = 1.0
ARTERIAL_ENHANCEMENT = "arterial-phase hyperenhancement"
NEAR_LESION_MM = 3.0  # about the blur (PSF SD 1-1.5 mm) plus a voxel: closer than this, a piece is that lesion's
_FACES = ndimage.generate_binary_structure(3, 1)
_CORNERS = ndimage.generate_binary_structure(3, 3)


def hyperenhancing_candidates(
    arterial: np.ndarray,
    portal: np.ndarray,
    liver: np.ndarray,
    portal_parenchyma: Parenchyma,
    spacing: tuple[float, float, float],
    lesions: np.ndarray | None = None,
) -> tuple[list[Candidate], np.ndarray, Parenchyma]:
    """The hyperenhancing, non-vessel parts of ``liver`` (boolean; ``arterial`` and ``portal`` HU on its grid,
    aligned) split by their relation to ``lesions`` (boolean, the lesions already found; none when None):

    - new lesion candidates, largest first, each decided ``LESION`` with its evidence: seeded pieces grown to
      half the step, at least ``MIN_REPORTABLE_MM``, that come no nearer than ``NEAR_LESION_MM`` to ``lesions``;
    - the mask that extends ``lesions``: the pieces above the full step (opened by one voxel, at least
      ``MIN_REPORTABLE_MM``) that overlap one -- the enhancing part of a lesion already outlined, not the
      half-contrast halo of a hemangioma's peripheral nodules next to it;

    and the arterial parenchyma measured."""
    box = bounding_box(liver, 2)
    sigma = [SMOOTHING_MM / s for s in spacing]
    art = ndimage.gaussian_filter(arterial[box].astype(np.float32), sigma)
    pv = ndimage.gaussian_filter(portal[box].astype(np.float32), sigma)
    inside = liver[box]
    extension = np.zeros(liver.shape, dtype=bool)
    core = ndimage.binary_erosion(inside, _FACES, iterations=3)
    if core.sum() < 100:
        return [], extension, portal_parenchyma
    mode, sd = _mode_and_sd(art[core])
    arterial_parenchyma = Parenchyma(mode, sd, float(np.std(arterial[box][core])))
    step = max(HYPERENHANCING_SD * sd, HYPERENHANCING_MIN_HU)
    vessel = pv - portal_parenchyma.mode_hu > portal_parenchyma.unlike_hu
    hyper = inside & (art - mode > step) & ~vessel
    seeds = ndimage.binary_opening(hyper, ball(SEED_OPENING_MM, spacing))
    labels, _ = ndimage.label(inside & (art - mode > step / 2) & ~vessel, structure=_CORNERS)
    labels[~np.isin(labels, np.unique(labels[seeds]))] = 0
    if lesions is not None and lesions[box].any() and labels.any():
        near = ndimage.distance_transform_edt(~lesions[box], sampling=spacing) <= NEAR_LESION_MM
        labels[np.isin(labels, np.unique(labels[near & (labels > 0)]))] = 0
    voxel_ml = float(np.prod(spacing)) / 1000.0
    if lesions is not None:
        parts, _ = ndimage.label(ndimage.binary_opening(hyper, _FACES), structure=_CORNERS)
        least = np.pi / 6.0 * MIN_REPORTABLE_MM**3 / 1000.0 / voxel_ml  # voxels of a MIN_REPORTABLE_MM sphere
        large = np.bincount(parts.ravel()) >= least
        large[0] = False
        extension[box] = np.isin(parts, np.unique(parts[lesions[box] & large[parts]]))
    found = []
    for index, piece_box in enumerate(ndimage.find_objects(labels), start=1):
        if piece_box is None:  # no seed, or next to a lesion
            continue
        local = labels[piece_box] == index
        extents = [(b.stop - b.start) * s for b, s in zip(piece_box, spacing)]
        volume_ml = float(local.sum()) * voxel_ml
        if equivalent_diameter_mm(volume_ml) < MIN_REPORTABLE_MM:
            continue
        mean_hu = float(arterial[box][piece_box][local].mean())
        evidence = CandidateEvidence(
            volume_ml=volume_ml,
            diameter_mm=float(max(extents)),
            mean_probability=None,
            mean_hu=mean_hu,
            contrast_hu=mean_hu - mode,
            contrast_sd=(mean_hu - mode) / max(sd, 1.0),
            outside_fraction=0.0,
            at_surface=0.0,
            continues_outside=0.0,
            found_by=ARTERIAL_ENHANCEMENT,
        )
        full_box = tuple(slice(b.start + p.start, b.start + p.stop) for b, p in zip(box, piece_box))
        found.append(Candidate(full_box, local, evidence, LESION, ()))
    return sorted(found, key=lambda c: -c.evidence.volume_ml), extension, arterial_parenchyma


def _mode_and_sd(values: np.ndarray) -> tuple[float, float]:
    """Mode (2 HU bins, smoothed histogram) and robust SD (MAD) of ``values``."""
    edges = np.arange(-200.0, 600.0, 2.0)
    counts = ndimage.gaussian_filter1d(np.histogram(values, bins=edges)[0].astype(float), 2.0)
    mode = float(edges[int(np.argmax(counts))] + 1.0)
    return mode, float(1.4826 * np.median(np.abs(values - mode)))


def add_hyperenhancing_lesions(segmentation: Segmentation, arterial: Volume, portal: Volume) -> Segmentation:
    """``segmentation`` (of ``portal``) with the hyperenhancing lesions of ``arterial`` (aligned to it) added: a
    piece that overlaps a reported lesion extends it, the others are new candidates decided ``LESION``, their
    outlines redrawn at half arterial contrast. Unchanged when the backend did not score its candidates."""
    if segmentation.candidate_labels is None:
        return segmentation
    spacing = tuple(portal.spacing[::-1])
    liver = segmentation.liver.array > 0
    parenchyma = segmentation.liver_check.parenchyma if segmentation.liver_check else None
    if parenchyma is None:
        parenchyma = measure_liver_parenchyma(portal.array, liver, spacing)
    lesions = segmentation.lesions.array > 0
    found, extension, arterial_parenchyma = hyperenhancing_candidates(
        arterial.array, portal.array, liver, parenchyma, spacing, lesions
    )
    if not found and not (extension & ~lesions).any():
        return segmentation
    lesions |= extension  # the network's lesions, extended by their enhancing parts
    numbers = segmentation.candidate_labels.array.astype(np.uint16, copy=True)
    candidates = list(segmentation.candidates)
    for piece in found:
        own = np.zeros(liver.shape, dtype=bool)
        piece.paint(own)
        number = len(candidates) + 1
        box = bounding_box(own, 8)
        others = lesions[box] | ((numbers[box] > 0) & ~own[box])
        blocked = ndimage.binary_dilation(others, _CORNERS) & ~own[box]
        numbers[own & (numbers == 0)] = number
        lesions[box] |= redraw_outline(
            arterial.array[box],
            own[box],
            liver[box],
            blocked,
            arterial_parenchyma,
            spacing,
            arterial_parenchyma.mode_hu,
            piece.evidence.contrast_hu,
            piece.evidence.diameter_mm,
            also=((portal.array[box], parenchyma.mode_hu, EDGE_SD * parenchyma.sd_hu),),
        )
        candidates.append(LesionCandidate(number, piece.evidence, LESION, ()))
    return replace(
        segmentation,
        lesions=segmentation.lesions.with_array((lesions & liver).astype(np.uint8)),
        candidates=tuple(candidates),
        candidate_labels=segmentation.candidate_labels.with_array(numbers),
    )
