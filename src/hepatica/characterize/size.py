"""Lesion size as LI-RADS measures it: the longest outer-edge-to-outer-edge diameter, in the phase where the
lesion's margin is sharpest.

The segmentation outlines the lesion in one series (normally portal venous), where its margin may be faint or
the model's outline off by a voxel or two; the outline is re-drawn in the phase where the margin is sharpest (all
phases share the segmented grid after alignment): the highest edge contrast over noise, outside the arterial phase
when another phase shows a clear margin. Within a band of W mm either side of the segmented surface (W = 25 % of
the equivalent diameter, 2-5 mm) a voxel is lesion when the image, smoothed with a Gaussian of one in-plane voxel,
lies past half-way from the liver (median of the parenchyma 5-20 mm away) to the lesion's outer layer (median of
the voxels inside the outline, within W of it, that differ from liver by 3 x noise on the side of the lesion's
centre; a targetoid rim is weaker than the centre): the half-maximum edge of a blurred step; and when, in every
other phase, it lies within the range of the lesion's values and the liver's (+ 3 x noise): a vessel next to the
lesion matches it in one phase, not in all. In portal-venous and delayed phases an enhancing capsule, found as
the brightest one-voxel shell of the band (by distance to the segmented surface; brighter than liver and centre
by 3 x noise), also counts as lesion above half its height, so the size reaches its outer edge; it counts in
whichever of those phases shows it, also when the margin is sharpest in another (a 12 mm HCC whose washed-out
core is sharpest in the portal venous phase and whose capsule is clear only in the delayed one measured 6 mm,
its core, before: phantom seed 11). Voxels deeper
than W stay lesion; an opening with a 2 mm ball drops thin attachments; the outline is the part connected to the
deep voxels, holes filled slice by slice, kept off other lesions and, beyond the segmented outline, off the
liver's outermost voxel (where the blur of fat would look like a hypodense lesion).

When the margin's contrast is under 3 x the smoothed parenchyma's noise the edge cannot be placed reliably and
the segmented outline is kept; the evidence says which was used. Diameters are longest 3D diameters between
surface points, as in ``hepatica.measure.lesions``. Checked on synthetic lesions only (tests/characterize,
bench/lirads_phantom.py); no library offers edge re-delineation of a given outline, hence written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.boxes import bounding_box, margin_voxels
from hepatica.characterize.enhancement import LIVER_SHELL_MM
from hepatica.characterize.features import NAMES
from hepatica.io.phase import Phase
from hepatica.io.volume import Volume
from hepatica.measure.lesions import measure_lesion

BAND_FRACTION = 0.25
BAND_MM = (2.0, 5.0)
MIN_EDGE_CNR = 3.0
OPENING_RADIUS_MM = 2.0
OUTER_FRACTION = 0.2
CAPSULE_PHASES = (Phase.PORTAL_VENOUS, Phase.DELAYED)


@dataclass(frozen=True)
class LesionSize:
    """Longest diameter (mm) in ``phase``, the segmented outline's (mm), and whether the outline was re-drawn."""

    diameter_mm: float
    segmented_diameter_mm: float
    phase: Phase
    redrawn: bool
    evidence: str


@dataclass(frozen=True)
class _Edge:
    """One phase around the lesion (box): the smoothed image, the liver's median and noise (HU), the lesion's
    outer layer relative to liver (HU, signed), the range of the lesion's values (HU) and the capsule's height
    above liver (HU; None when there is no capsule)."""

    smoothed: np.ndarray
    liver_hu: float
    noise_hu: float
    outer_hu: float
    lesion_range_hu: tuple[float, float]
    capsule_hu: float | None

    @property
    def sharpness(self) -> float:
        """Edge contrast over noise."""
        return max(abs(self.outer_hu), self.capsule_hu or 0.0) / self.noise_hu


def band_width_mm(equivalent_diameter_mm: float) -> float:
    """How far (mm) the re-drawn outline may move from the segmented one."""
    return float(np.clip(BAND_FRACTION * equivalent_diameter_mm, *BAND_MM))


def lesion_size(
    images: dict[Phase, np.ndarray],
    lesion: np.ndarray,
    liver: np.ndarray,
    grid: Volume,
    other_lesions: np.ndarray | None = None,
) -> LesionSize:
    """Longest diameter of ``lesion`` (bool mask on ``grid``) re-outlined in the phase of ``images`` (HU, aligned
    to ``grid``) where its margin is sharpest; ``other_lesions`` (bool) are kept out of the outline and the
    liver reference."""
    lesion = np.asarray(lesion, dtype=bool)
    segmented = measure_lesion(grid.with_array(lesion.astype(np.uint8))).longest_3d_diameter_mm
    spacing = np.asarray(grid.spacing[::-1], dtype=float)  # (z, y, x)
    width = band_width_mm((6.0 * float(lesion.sum()) * float(np.prod(spacing)) / np.pi) ** (1 / 3))
    box = bounding_box(lesion, margin_voxels(LIVER_SHELL_MM[1] + 2 * width, spacing))
    inside = lesion[box]
    outside = ndimage.distance_transform_edt(~inside, sampling=spacing)
    depth = ndimage.distance_transform_edt(inside, sampling=spacing)
    organ = np.asarray(liver, dtype=bool)[box]
    # beyond the segmented outline, only liver clear of its surface: the blur of fat would mimic a dark lesion
    allowed = inside | (ndimage.distance_transform_edt(organ, sampling=spacing) > float(min(spacing[1:])))
    if other_lesions is not None:
        allowed &= ~np.asarray(other_lesions, dtype=bool)[box]
    shell = allowed & ~inside & (outside > LIVER_SHELL_MM[0]) & (outside <= LIVER_SHELL_MM[1])
    if shell.sum() < 20:
        shell = allowed & ~inside
    core = inside & (depth > width)
    if not core.any():
        core = inside & (depth >= depth.max())
    band = allowed & ~core & (outside <= width)
    sigma = [float(min(spacing[1:])) / s for s in spacing]  # one in-plane voxel, in voxels per axis
    edges = {
        phase: _edge(
            phase,
            ndimage.gaussian_filter(np.asarray(image, dtype=np.float32)[box], sigma),
            shell,
            inside,
            core,
            band,
            outside - depth,
            float(min(spacing[1:])),
        )
        for phase, image in images.items()
    }
    phase = _sharpest(edges)
    edge, name = edges[phase], NAMES[phase]
    if edge.sharpness < MIN_EDGE_CNR:
        return LesionSize(
            segmented,
            segmented,
            phase,
            False,
            f"longest diameter {segmented:.0f} mm of the segmented outline; the margin is too faint "
            f"to re-draw it (at best {abs(edge.outer_hu):.0f} HU against {edge.noise_hu:.0f} HU "
            f"noise, {name} phase)",
        )

    lesion_like = np.zeros(inside.shape, dtype=bool)
    described = []
    if abs(edge.outer_hu) >= MIN_EDGE_CNR * edge.noise_hu:
        lesion_like = np.sign(edge.outer_hu) * (edge.smoothed - edge.liver_hu) >= 0.5 * abs(edge.outer_hu)
        for other in (e for p, e in edges.items() if p is not phase):  # a vessel differs from the lesion elsewhere
            low, high = other.lesion_range_hu
            margin = MIN_EDGE_CNR * other.noise_hu
            lesion_like &= (other.smoothed >= low - margin) & (other.smoothed <= high + margin)
        described.append(f"lesion edge {edge.outer_hu:+.0f} HU from liver")
    for capsule_phase, capsule in edges.items():  # the capsule is the outer edge, in whichever phase shows it
        if capsule.capsule_hu is not None:
            lesion_like |= capsule.smoothed - capsule.liver_hu >= 0.5 * capsule.capsule_hu
            where = "" if capsule_phase is phase else f" in the {NAMES[capsule_phase]} phase"
            described.append(f"capsule {capsule.capsule_hu:+.0f} HU{where}")
    redrawn = core | (band & lesion_like)
    # vessels touching the lesion are thin: an opening drops them, a lesion's edge survives it
    redrawn = ndimage.binary_opening(redrawn, structure=_ball(OPENING_RADIUS_MM, spacing)) | core
    components, _ = ndimage.label(redrawn, structure=np.ones((3, 3, 3), dtype=bool))
    redrawn = np.isin(components, np.unique(components[core]))
    redrawn = np.stack([ndimage.binary_fill_holes(plane) for plane in redrawn])
    full = np.zeros(lesion.shape, dtype=np.uint8)
    full[box] = redrawn
    diameter = measure_lesion(grid.with_array(full)).longest_3d_diameter_mm
    return LesionSize(
        diameter,
        segmented,
        phase,
        True,
        f"longest diameter {diameter:.0f} mm in the {name} phase, where the margin is sharpest "
        f"({', '.join(described)}; segmented outline {segmented:.0f} mm)",
    )


def _edge(
    phase: Phase,
    smoothed: np.ndarray,
    shell: np.ndarray,
    inside: np.ndarray,
    core: np.ndarray,
    band: np.ndarray,
    signed_distance_mm: np.ndarray,
    step_mm: float,
) -> _Edge:
    reference = smoothed[shell]
    liver_hu = float(np.median(reference))
    noise = max(float(1.4826 * np.median(np.abs(reference - liver_hu))), 1.0)
    contrast = float(np.median(smoothed[core])) - liver_hu
    # the outer layer: the median of the voxels just inside the outline that clearly differ from liver on the
    # centre's side; when too few differ (under a fifth: an iso-attenuating lesion, or noise), the centre's contrast
    sign = 1.0 if contrast >= 0 else -1.0
    near_surface = sign * (smoothed[band & inside] - liver_hu)
    differing = near_surface[near_surface >= MIN_EDGE_CNR * noise]
    outer = contrast
    if differing.size >= max(10, OUTER_FRACTION * near_surface.size):
        outer = sign * float(np.median(differing))
    values = smoothed[inside]
    low, high = np.percentile(values, (2, 98))
    capsule = _brightest_shell_hu(smoothed, band, signed_distance_mm, step_mm) - liver_hu
    is_capsule = (
        phase in CAPSULE_PHASES and capsule >= MIN_EDGE_CNR * noise and capsule >= contrast + MIN_EDGE_CNR * noise
    )
    return _Edge(
        smoothed,
        liver_hu,
        noise,
        outer,
        (min(float(low), liver_hu), max(float(high), liver_hu)),
        capsule if is_capsule else None,
    )


def _sharpest(edges: dict[Phase, _Edge]) -> Phase:
    """The phase with the highest edge contrast over noise; not the arterial phase when another shows a clear
    margin (LI-RADS measures outside the arterial phase where it can)."""
    clear = {p: e.sharpness for p, e in edges.items() if p is not Phase.ARTERIAL and e.sharpness >= MIN_EDGE_CNR}
    pool = clear or {p: e.sharpness for p, e in edges.items()}
    return max(pool, key=pool.get)


def _brightest_shell_hu(
    smoothed: np.ndarray, band: np.ndarray, signed_distance_mm: np.ndarray, step_mm: float
) -> float:
    """Highest median HU over the shells (one in-plane voxel thick, by distance to the segmented surface) of the
    band: a capsule shows as a shell brighter than liver and lesion, vessels touch too little of a shell to."""
    shells = np.round(signed_distance_mm[band] / step_mm).astype(int)
    values = smoothed[band]
    medians = [float(np.median(values[shells == k])) for k in np.unique(shells) if (shells == k).sum() >= 10]
    return max(medians) if medians else float("-inf")


def _ball(radius_mm: float, spacing: np.ndarray) -> np.ndarray:
    """A ball of ``radius_mm`` on the voxel grid (``spacing`` in mm per axis), for morphology."""
    reach = [int(radius_mm // s) for s in spacing]
    offsets = np.indices([2 * r + 1 for r in reach]).reshape(3, -1).T - reach
    inside = ((offsets * spacing) ** 2).sum(axis=1) <= radius_mm**2
    ball = np.zeros([2 * r + 1 for r in reach], dtype=bool)
    ball[tuple((offsets[inside] + reach).T)] = True
    return ball
