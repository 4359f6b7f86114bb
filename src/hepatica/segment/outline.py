"""Lesion outlines redrawn at half contrast, so that diameters measure the lesion rather than the network's core.

The lesion network draws its outline inside the lesion's blurred edge (on the phantom the six largest lesions
measured 1-8 mm short). An edge blurred by the scanner's point-spread function lies where the attenuation is
half-way between the lesion and the tissue around it, so each lesion is regrown to that level: from its mask,
into neighbouring liver voxels (within 25 % of its size, 3 to 5 mm, so that it cannot run along a vessel; 3 mm
because an HCC's capsule is up to 3 mm thick; tuned on the phantom, seed 0, and IRCAD patient 1) whose lightly
smoothed HU differs from the surrounding parenchyma by more than half the lesion's contrast (or by ``EDGE_SD``
times the parenchyma's smoothed SD if that is more).
Tissue that differs the other way counts beyond ``EDGE_SD`` SDs: a lesion's rim can be brighter than the liver
while its core is darker (an HCC's capsule, a metastasis's rim, a hemangioma's filled periphery), and the rim is
the lesion's edge. A lesion does not grow into another or next to it (``blocked``, which the caller keeps up to
date), so lesions stay apart. Holes are filled; a lesion whose contrast is under ``EDGE_SD`` smoothed SDs
(nothing to find an edge on) keeps the network's outline. Arrays in any axis order, ``spacing`` (mm) in the same
order.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from hepatica.segment.candidates import LESION, Candidate
from hepatica.segment.postprocess import fill_holes
from hepatica.segment.refine import Parenchyma

MIN_GROWTH_MM = 3.0
MAX_GROWTH_MM = 5.0
GROWTH_FRACTION = 0.25
EDGE_SD = 2.5
SMOOTHING_MM = 0.7
_FACES = ndimage.generate_binary_structure(3, 1)


def redraw_outline(
    hu: np.ndarray,
    lesion: np.ndarray,
    liver: np.ndarray,
    blocked: np.ndarray,
    parenchyma: Parenchyma,
    spacing: tuple[float, float, float],
    surround_hu: float,
    contrast_hu: float,
    diameter_mm: float,
    also: tuple[tuple[np.ndarray, float, float], ...] = (),
) -> np.ndarray:
    """``lesion`` (a boolean mask of a box of the image: ``hu``, ``liver`` and ``blocked`` (other lesions) are the
    same box) regrown to its half-contrast edge; unchanged when its contrast is too low to find one.
    ``surround_hu`` and ``contrast_hu`` are as measured on the candidate (the parenchyma 2-6 mm around it).
    ``also`` adds other phases of the same box as (HU, parenchyma HU, step HU): a voxel that differs from the
    parenchyma by more than the step in any phase is lesion (an HCC found by its arterial enhancement has its
    capsule in the portal-venous phase)."""
    if abs(contrast_hu) < EDGE_SD * parenchyma.sd_hu or not lesion.any():
        return lesion
    sigma = [SMOOTHING_MM / s for s in spacing]
    noise_step = EDGE_SD * parenchyma.sd_hu
    deviation = ndimage.gaussian_filter(hu.astype(np.float32), sigma) - surround_hu
    same_sign = np.sign(deviation) == np.sign(contrast_hu)
    differs = np.where(
        same_sign, np.abs(deviation) > max(abs(contrast_hu) / 2.0, noise_step), np.abs(deviation) > noise_step
    )
    for image, surround, step in also:
        differs |= np.abs(ndimage.gaussian_filter(image.astype(np.float32), sigma) - surround) > step
    near = ndimage.distance_transform_edt(~lesion, sampling=spacing) <= growth_mm(diameter_mm)
    allowed = near & liver & ~blocked & differs
    labels, _ = ndimage.label(allowed | lesion, structure=_FACES)
    touching = np.unique(labels[lesion])
    grown = np.isin(labels, touching[touching > 0]) | lesion
    return fill_holes(grown) & (liver | lesion)


def growth_mm(diameter_mm: float) -> float:
    """How far (mm) a lesion of ``diameter_mm`` may grow: 25 % of its size, 3 to 5 mm."""
    return min(MAX_GROWTH_MM, max(MIN_GROWTH_MM, GROWTH_FRACTION * diameter_mm))


def redraw_lesions(
    candidates: list[Candidate],
    candidate_labels: np.ndarray,
    hu: np.ndarray,
    liver: np.ndarray,
    parenchyma: Parenchyma,
    spacing: tuple[float, float, float],
) -> np.ndarray:
    """The reported lesions (candidates decided ``LESION``; ``candidate_labels`` has candidate n painted n) with
    their outlines redrawn, largest first, each kept one voxel away from every other candidate and redrawn lesion."""
    lesions = np.zeros(liver.shape, dtype=bool)
    for number, candidate in enumerate(candidates, start=1):
        if candidate.decision != LESION:
            continue
        reach = [int(np.ceil(growth_mm(candidate.evidence.diameter_mm) / s)) + 2 for s in spacing]
        box = tuple(slice(max(0, b.start - r), min(n, b.stop + r)) for b, r, n in zip(candidate.box, reach, hu.shape))
        own = candidate_labels[box] == number
        others = ((candidate_labels[box] > 0) & ~own) | lesions[box]
        blocked = ndimage.binary_dilation(others, ndimage.generate_binary_structure(3, 3)) & ~own
        outline = redraw_outline(
            hu[box],
            own,
            liver[box],
            blocked,
            parenchyma,
            spacing,
            candidate.evidence.mean_hu - candidate.evidence.contrast_hu,
            candidate.evidence.contrast_hu,
            candidate.evidence.diameter_mm,
        )
        lesions[box] |= outline
    return lesions & liver
