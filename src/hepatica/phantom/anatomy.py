"""The phantom's anatomy: an axial abdomen with liver, spleen, kidneys, stomach, aorta, vena cava, portal and
hepatic veins, spine and back muscles, painted as tissue labels on a grid in LPS millimetres.

Organs are simple implicit shapes placed as in an adult abdomen (liver in the right upper quadrant under the
diaphragm, kidneys beside the spine, spleen left posterior). The liver is a sum of anisotropic Gaussian blobs
(right lobe, dome, caudate, left lobe) cut at the level that gives exactly the requested volume, which yields a
smooth organic outline. Vessels are tubes along polylines: the portal vein from the spleno-portal confluence to
the hilum and its right/left branches; three hepatic veins converging on the vena cava under the diaphragm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.phantom.kinetics import Tissue


@dataclass(frozen=True)
class Grid:
    """An axial grid: ``shape`` (slices, rows, columns), ``spacing`` (x, y, z) mm, ``origin`` (x, y, z) mm LPS."""

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]

    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """LPS coordinates (mm) of the voxel centres along x (columns), y (rows) and z (slices), float32."""
        nz, ny, nx = self.shape
        return tuple(
            (self.origin[a] + self.spacing[a] * np.arange(n)).astype(np.float32) for a, n in ((0, nx), (1, ny), (2, nz))
        )

    def box(self, low_mm, high_mm) -> tuple[slice, slice, slice]:
        """Index slices (z, y, x) of the voxels whose centres lie in the box [low_mm, high_mm] (x, y, z)."""
        out = []
        for a, n in ((2, self.shape[0]), (1, self.shape[1]), (0, self.shape[2])):
            lo = int(np.floor((low_mm[a] - self.origin[a]) / self.spacing[a]))
            hi = int(np.ceil((high_mm[a] - self.origin[a]) / self.spacing[a])) + 1
            out.append(slice(min(max(lo, 0), n), min(max(hi, 0), n)))
        return tuple(out)


@dataclass(frozen=True)
class Blob:
    """An anisotropic Gaussian blob: centre (x, y, z) mm relative to the body centre, radii (mm), weight."""

    centre: tuple[float, float, float]
    radii: tuple[float, float, float]
    weight: float = 1.0


# Liver lobes (centre relative to the body centre, radii), before per-seed jitter.
LIVER_BLOBS = (
    Blob((-75, 5, 15), (62, 68, 62)),  # right lobe
    Blob((-88, 30, -40), (45, 48, 45)),  # inferior right lobe (segments 5/6)
    Blob((-55, -5, 52), (55, 55, 32)),  # dome, under the right hemidiaphragm
    Blob((-22, 22, 20), (30, 32, 38)),  # caudate / medial
    Blob((20, -45, 35), (50, 30, 26)),  # left lobe (segments 2/3/4)
    Blob((68, -48, 40), (30, 18, 16), 0.8),  # left lateral tip
)

# (start, end, radius mm) relative to the body centre.
PORTAL_VEIN = (
    ((5, 15, -55), (-30, 0, -8), 7.0),  # main portal vein from the confluence to the hilum
    ((5, 15, -55), (80, 42, -35), 5.0),  # splenic vein
    ((-30, 0, -8), (-75, 5, 2), 5.5),  # right portal vein
    ((-75, 5, 2), (-98, -30, 22), 3.5),  # right anterior branch
    ((-75, 5, 2), (-102, 38, -18), 3.5),  # right posterior branch
    ((-30, 0, -8), (12, -28, 18), 4.5),  # left portal vein
    ((12, -28, 18), (62, -46, 36), 3.0),  # left lateral branch
)
HEPATIC_VEINS = (
    ((-22, 42, 58), (-112, 12, 0), 4.5),  # right hepatic vein
    ((-22, 42, 58), (-48, -48, 5), 4.0),  # middle hepatic vein
    ((-22, 42, 58), (25, -45, 28), 3.5),  # left hepatic vein
)
AORTA = ((18, 48), 11.0)  # (x, y) centre, radius; runs the whole length
VENA_CAVA = ((-24, 42), 11.0, 75.0)  # (x, y), radius, upper end z (enters the right atrium above)


@dataclass
class Anatomy:
    """Tissue labels of the phantom on its grid and the liver's organ mask (parenchyma plus its veins)."""

    grid: Grid
    tissue: np.ndarray  # uint8 labels (Tissue), shape grid.shape
    liver: np.ndarray  # bool, the liver as an organ (what a liver mask includes)
    body_centre: tuple[float, float, float]

    def mask(self, *tissues: Tissue) -> np.ndarray:
        """Boolean mask of the voxels labelled with any of ``tissues``."""
        return np.isin(self.tissue, [int(t) for t in tissues])


def build_anatomy(grid: Grid, body_centre, liver_volume_ml: float, rng: np.random.Generator) -> Anatomy:
    """Paint the abdomen on ``grid`` with a liver of ``liver_volume_ml`` (the shape jitters with ``rng``)."""
    x, y, z = grid.axes()
    cx, cy, cz = body_centre
    X, Y, Z = x[None, None, :] - cx, y[None, :, None] - cy, z[:, None, None] - cz
    tissue = np.full(grid.shape, Tissue.AIR, dtype=np.uint8)

    def ellipse(ax, ay, x0=0.0, y0=0.0):
        return ((X - x0) / ax) ** 2 + ((Y - y0) / ay) ** 2 <= 1.0

    body = np.broadcast_to(ellipse(165, 125), grid.shape)
    tissue[body] = Tissue.FAT
    tissue[np.broadcast_to(ellipse(152, 112), grid.shape) & ~np.broadcast_to(ellipse(142, 102), grid.shape)] = (
        Tissue.MUSCLE
    )
    cavity = np.broadcast_to(ellipse(142, 102), grid.shape)
    tissue[cavity & _bowel_pattern(grid, rng)] = Tissue.BOWEL

    # Spine: vertebral bodies with discs every 32 mm, canal and posterior elements, back muscles.
    for side in (-1, 1):
        tissue[np.broadcast_to(ellipse(24, 17, side * 38, 104), grid.shape)] = Tissue.MUSCLE
    vertebra = np.broadcast_to(ellipse(19, 17, 0, 74), grid.shape)
    disc = np.broadcast_to(np.abs(((Z + 8) % 32.0) - 16.0) > 12.5, grid.shape)
    tissue[vertebra] = Tissue.CORTICAL_BONE
    tissue[np.broadcast_to(ellipse(16.5, 14.5, 0, 74), grid.shape)] = Tissue.CANCELLOUS_BONE
    tissue[vertebra & disc] = Tissue.DISC
    tissue[np.broadcast_to(ellipse(15, 12, 0, 101) & ~ellipse(9, 8, 0, 100), grid.shape)] = Tissue.CORTICAL_BONE
    tissue[np.broadcast_to(ellipse(9, 8, 0, 100), grid.shape)] = Tissue.SPINAL_CANAL
    tissue[np.broadcast_to(ellipse(4, 10, 0, 118), grid.shape)] = Tissue.CORTICAL_BONE

    # Organs around the liver, painted before it so that the liver fills what remains of the upper right cavity.
    shift = rng.normal(0, 3, size=(4, 3))
    kidneys = np.zeros(grid.shape, dtype=bool)
    for (kx, ky, kz), d in zip(((-72, 68, -72), (74, 66, -58)), shift[:2], strict=True):
        outer = _ellipsoid(X, Y, Z, (kx + d[0], ky + d[1], kz + d[2]), (27, 22, 52))
        inner = _ellipsoid(X, Y, Z, (kx + d[0], ky + d[1], kz + d[2]), (19, 14, 43))
        tissue[outer] = Tissue.KIDNEY_CORTEX
        tissue[inner] = Tissue.KIDNEY_MEDULLA
        kidneys |= outer
    spleen = _ellipsoid(X, Y, Z, (96 + shift[2, 0], 42 + shift[2, 1], 12 + shift[2, 2]), (26, 50, 52), rot_z=-35)
    tissue[spleen] = Tissue.SPLEEN
    stomach_centre = (62 + shift[3, 0], 2 + shift[3, 1], 18 + shift[3, 2])
    stomach = _ellipsoid(X, Y, Z, stomach_centre, (34, 28, 42))
    tissue[stomach] = Tissue.STOMACH_WALL
    content = _ellipsoid(X, Y, Z, stomach_centre, (29, 23, 37))
    tissue[content] = Tissue.STOMACH_CONTENT
    tissue[content & np.broadcast_to(Y < stomach_centre[1] - 12, grid.shape)] = Tissue.GAS  # supine: gas anterior
    aorta = np.broadcast_to(ellipse(AORTA[1], AORTA[1], *AORTA[0]), grid.shape)
    (vx, vy), vr, vtop = VENA_CAVA
    cava = np.broadcast_to(ellipse(vr, vr, vx, vy), grid.shape) & np.broadcast_to(Z <= vtop, grid.shape)

    # Liver: blobs jittered per seed, cut at the level that gives the requested volume inside the free cavity.
    field = np.zeros(grid.shape, dtype=np.float32)
    for blob in LIVER_BLOBS:
        c = np.asarray(blob.centre) + rng.normal(0, 4, 3)
        r = np.asarray(blob.radii) * rng.uniform(0.94, 1.06, 3)
        q = ((X - c[0]) / r[0]) ** 2 + ((Y - c[1]) / r[1]) ** 2 + ((Z - c[2]) / r[2]) ** 2
        field += blob.weight * np.exp(-q).astype(np.float32)
    free = cavity & ~kidneys & ~spleen & ~stomach & ~aorta & ~cava & (tissue != Tissue.MUSCLE)
    free &= ~np.broadcast_to(ellipse(24, 22, 0, 74), grid.shape)  # keep clear of the spine
    voxel_ml = float(np.prod(grid.spacing)) / 1000.0
    wanted = int(round(liver_volume_ml / voxel_ml))
    candidates = field[free]
    if wanted >= candidates.size:
        raise ValueError(f"a liver of {liver_volume_ml:.0f} mL does not fit in this field of view")
    level = np.partition(candidates, candidates.size - wanted)[candidates.size - wanted]
    liver = free & (field >= level)
    liver = _largest_component(ndimage.binary_opening(liver))
    tissue[liver] = Tissue.LIVER

    # Vessels: aorta and vena cava outside the liver mask; portal and hepatic veins inside it belong to the organ.
    tissue[aorta] = Tissue.AORTA
    tissue[cava] = Tissue.INFERIOR_VENA_CAVA
    for start, end, radius in PORTAL_VEIN:
        _paint_tube(tissue, grid, body_centre, start, end, radius, Tissue.PORTAL_VEIN)
    for start, end, radius in HEPATIC_VEINS:
        _paint_tube(tissue, grid, body_centre, start, end, radius, Tissue.HEPATIC_VEIN, only_in=liver)
    tissue[cava] = Tissue.INFERIOR_VENA_CAVA
    organ = liver | (liver_hull(liver) & np.isin(tissue, [Tissue.PORTAL_VEIN, Tissue.HEPATIC_VEIN]))
    organ &= ~cava
    return Anatomy(grid=grid, tissue=tissue, liver=organ, body_centre=tuple(body_centre))


def liver_hull(liver: np.ndarray) -> np.ndarray:
    """The liver with its holes filled slice by slice (where intrahepatic vessels run)."""
    out = np.zeros_like(liver)
    for k in range(liver.shape[0]):
        out[k] = ndimage.binary_fill_holes(liver[k])
    return out


def _ellipsoid(X, Y, Z, centre, radii, rot_z: float = 0.0) -> np.ndarray:
    dx, dy, dz = X - centre[0], Y - centre[1], Z - centre[2]
    if rot_z:
        a = np.radians(rot_z)
        dx, dy = dx * np.cos(a) + dy * np.sin(a), -dx * np.sin(a) + dy * np.cos(a)
    return (dx / radii[0]) ** 2 + (dy / radii[1]) ** 2 + (dz / radii[2]) ** 2 <= 1.0


def _paint_tube(tissue, grid: Grid, body_centre, start, end, radius, label, only_in=None) -> None:
    """Label the voxels within ``radius`` mm of the segment start-end (mm relative to the body centre)."""
    p0 = np.asarray(start, float) + body_centre
    p1 = np.asarray(end, float) + body_centre
    box = grid.box(np.minimum(p0, p1) - radius, np.maximum(p0, p1) + radius)
    x, y, z = grid.axes()
    X, Y, Z = x[box[2]][None, None, :], y[box[1]][None, :, None], z[box[0]][:, None, None]
    d = p1 - p0
    t = np.clip(((X - p0[0]) * d[0] + (Y - p0[1]) * d[1] + (Z - p0[2]) * d[2]) / float(d @ d), 0, 1)
    dist2 = (X - p0[0] - t * d[0]) ** 2 + (Y - p0[1] - t * d[1]) ** 2 + (Z - p0[2] - t * d[2]) ** 2
    inside = dist2 <= radius**2
    if only_in is not None:
        inside &= only_in[box]
    tissue[box][inside] = label


def _bowel_pattern(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Smooth random blobs: where the abdominal cavity holds bowel loops rather than mesenteric fat."""
    noise = rng.standard_normal(grid.shape).astype(np.float32)
    sigma = [8.0 / s for s in (grid.spacing[2], grid.spacing[1], grid.spacing[0])]
    smooth = ndimage.gaussian_filter(noise, sigma)
    return smooth > np.quantile(smooth, 0.45)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))
