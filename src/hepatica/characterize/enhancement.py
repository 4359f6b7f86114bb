"""Per-lesion enhancement in each contrast phase, relative to nearby liver parenchyma.

Regions, from distances (mm) to the lesion's surface on the portal-venous grid that every phase is aligned to:

- *core*: the central half of the lesion by depth, at least a voxel deeper than the rim (all of the lesion when
  it is too small to have one);
- *rim*: lesion voxels within the rim width of the surface (15 % of the diameter, 1.5-3 mm, at most 40 % of the
  deepest point's depth): where capsules, rims and hemangioma nodules lie;
- *ring*: liver voxels outside the lesion within 3 mm of it;
- *liver*: parenchyma 5-20 mm from the lesion, other lesions (and 5 mm around them) left out.

Medians make the values robust to vessels in the parenchyma and to noise; the parenchyma's spread (1.4826 x
median absolute deviation) gives each median a standard error, from which each feature gets a confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.boxes import bounding_box, margin_voxels
from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase

RING_MM = 3.0
LIVER_SHELL_MM = (5.0, 20.0)
OTHER_LESION_MARGIN_MM = 5.0
NOISE_CORRELATION_VOXELS = 4.0  # in-plane noise correlation of CT: about this many voxels per independent sample


@dataclass(frozen=True)
class Region:
    """One region in one phase: median HU, its standard error (HU) and the voxel count."""

    median_hu: float
    standard_error_hu: float
    voxels: int
    p95_hu: float


@dataclass(frozen=True)
class PhaseEnhancement:
    """The regions of one lesion in one phase, and the parenchyma's noise (HU)."""

    phase: Phase
    core: Region
    rim: Region
    ring: Region | None
    liver: Region
    liver_noise_hu: float

    def relative(self, region: str) -> float:
        """Median HU of ``region`` minus the liver's (HU)."""
        return getattr(self, region).median_hu - self.liver.median_hu

    def relative_error(self, region: str) -> float:
        """Standard error of ``relative(region)`` (HU)."""
        return float(np.hypot(getattr(self, region).standard_error_hu, self.liver.standard_error_hu))


@dataclass(frozen=True)
class LesionEnhancement:
    """A lesion's regions in every available phase, with the rim width used (mm)."""

    phases: dict[Phase, PhaseEnhancement]
    rim_width_mm: float
    equivalent_diameter_mm: float


def rim_width_mm(equivalent_diameter_mm: float) -> float:
    """Width of the rim region: 15 % of the diameter, between 1.5 and 3 mm."""
    return float(np.clip(0.15 * equivalent_diameter_mm, 1.5, 3.0))


def measure_enhancement(
    phases: dict[Phase, np.ndarray],
    lesion: np.ndarray,
    liver: np.ndarray,
    spacing_mm,
    other_lesions: np.ndarray | None = None,
) -> LesionEnhancement:
    """Region statistics of one lesion (bool mask) in each phase (HU arrays on the same grid, (z, y, x));
    ``spacing_mm`` in (z, y, x). ``other_lesions`` marks lesions to keep out of the parenchyma reference."""
    lesion = np.asarray(lesion, dtype=bool)
    if not lesion.any():
        raise HepaticaInputError("the lesion mask is empty")
    spacing = tuple(float(s) for s in spacing_mm)
    reach = LIVER_SHELL_MM[1] + 2 * max(spacing)
    box = bounding_box(lesion, margin_voxels(reach, spacing))
    inside, organ = lesion[box], np.asarray(liver, dtype=bool)[box]
    depth = ndimage.distance_transform_edt(inside, sampling=spacing)  # mm to the nearest outside voxel
    outside = ndimage.distance_transform_edt(~inside, sampling=spacing)  # mm to the nearest lesion voxel
    volume_mm3 = float(inside.sum()) * float(np.prod(spacing))
    diameter = float((6.0 * volume_mm3 / np.pi) ** (1 / 3))
    deepest = float(depth.max())
    width = min(rim_width_mm(diameter), 0.4 * deepest)
    rim = inside & (depth <= width + 1e-6)
    # the central half by depth, a voxel clear of the rim: blur across the rim does not reach it
    core = inside & (depth >= max(0.5 * deepest, width + min(spacing)))
    for fallback in (inside & (depth >= 0.5 * deepest), inside):
        if core.sum() >= 3:
            break
        core = fallback
    parenchyma = organ & ~inside
    if other_lesions is not None:
        others = np.asarray(other_lesions, dtype=bool)[box] & ~inside
        if others.any():
            near_other = ndimage.distance_transform_edt(~others, sampling=spacing) <= OTHER_LESION_MARGIN_MM
            parenchyma &= ~near_other
    ring = parenchyma & (outside <= RING_MM)
    shell = parenchyma & (outside > LIVER_SHELL_MM[0]) & (outside <= LIVER_SHELL_MM[1])
    if shell.sum() < 20:
        shell = parenchyma & (outside > 1.0)
    if shell.sum() < 20:
        raise HepaticaInputError("too little liver parenchyma around the lesion to compare its enhancement with")

    measured = {}
    for phase, image in phases.items():
        values = np.asarray(image)[box].astype(np.float32)
        liver_values = values[shell]
        median = float(np.median(liver_values))
        noise = float(1.4826 * np.median(np.abs(liver_values - median)))
        measured[phase] = PhaseEnhancement(
            phase,
            _region(values[core], noise),
            _region(values[rim] if rim.any() else values[core], noise),
            _region(values[ring], noise) if ring.sum() >= 3 else None,
            _region(liver_values, noise),
            noise,
        )
    return LesionEnhancement(measured, width, diameter)


def _region(values: np.ndarray, noise_hu: float) -> Region:
    """Median with the standard error of a median of correlated noise (1.25 sigma / sqrt(n_independent))."""
    independent = max(1.0, values.size / NOISE_CORRELATION_VOXELS)
    return Region(
        float(np.median(values)),
        float(1.2533 * noise_hu / np.sqrt(independent)),
        int(values.size),
        float(np.percentile(values, 95)),
    )
