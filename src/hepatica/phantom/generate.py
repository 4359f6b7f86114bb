"""Deterministic multi-phase liver CT phantoms with lesions of known type, size and kinetics.

``make_phantom_study(seed=...)`` returns the four contrast phases as `Volume` objects (HU, int16) together
with the ground truth: liver mask, one label per lesion, tissue map, and per lesion its type, size, position
and the LI-RADS features it was built to show. The same seed and parameters always give the same study.

Image formation: tissue HU per phase (see `kinetics`), a Gaussian point-spread function (0.7 mm in-plane,
1 mm along z, standard deviations), then correlated Gaussian noise whose standard deviation in HU is
``11 / sqrt(dose)`` (dose 1 = a standard portal-venous liver CT), independent for each phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.spatial.transform import Rotation

from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase
from hepatica.io.volume import Volume
from hepatica.phantom.anatomy import Anatomy, Grid, build_anatomy
from hepatica.phantom.kinetics import (
    EXPECTED_LIRADS_FEATURES,
    HEMANGIOMA_POOL_FRACTION,
    LESION_HU,
    PHASES,
    TISSUE_HU,
    Compartment,
    LesionType,
    Tissue,
    phase_index,
)

NOISE_SD_STANDARD_DOSE_HU = 11.0
PSF_SIGMA_MM = (0.7, 0.7, 1.0)  # x, y, z
MIN_DIAMETER_MM, MAX_DIAMETER_MM = 5.0, 60.0


@dataclass(frozen=True)
class LesionSpec:
    """A lesion to draw: its type and longest diameter (mm); ``centre_mm`` (LPS) and ``rotation`` (3x3) place it
    where a lesion of another study of the same phantom was (a prior or follow-up study), else it is placed at
    random."""

    type: LesionType
    diameter_mm: float
    centre_mm: tuple[float, float, float] | None = None
    rotation: tuple[tuple[float, ...], ...] | None = None
    exophytic: bool = False  # centred near the liver surface, about half of it bulging out of the liver

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", LesionType(self.type))
        if not MIN_DIAMETER_MM <= self.diameter_mm <= MAX_DIAMETER_MM:
            raise HepaticaInputError(
                f"Lesion diameter {self.diameter_mm} mm is outside the phantom's range "
                f"{MIN_DIAMETER_MM:.0f}-{MAX_DIAMETER_MM:.0f} mm."
            )


#: The demo's lesions: one of each type, a small HCC among them.
DEFAULT_LESIONS = (
    LesionSpec(LesionType.HCC, 28.0),
    LesionSpec(LesionType.HEMANGIOMA, 24.0),
    LesionSpec(LesionType.CYST, 15.0),
    LesionSpec(LesionType.METASTASIS, 22.0),
    LesionSpec(LesionType.FNH, 30.0),
    LesionSpec(LesionType.HCC, 12.0),
)


@dataclass
class PhantomLesion:
    """Ground truth of one lesion. Positions are LPS mm; ``label`` is its value in the lesion label map."""

    label: int
    type: LesionType
    diameter_mm: float
    radii_mm: tuple[float, float, float]
    centre_mm: tuple[float, float, float]
    rotation: list[list[float]]
    volume_ml: float = 0.0
    expected_features: dict = field(default_factory=dict)
    exophytic: bool = False
    outside_liver_fraction: float = 0.0  # of its volume, beyond the liver's own outline (exophytic lesions)


@dataclass(frozen=True)
class AdjacentMass:
    """Ground truth of a solid mass outside the liver that touches its under-surface (not a liver lesion)."""

    diameter_mm: float
    centre_mm: tuple[float, float, float]
    volume_ml: float
    contact_area_fraction: float  # share of the mass's surface voxels that touch the liver


@dataclass
class PhantomStudy:
    """A generated study: images per phase and the truth they were made from."""

    seed: int
    dose: float
    noise_sd_hu: float
    phases: dict[Phase, Volume]
    liver: Volume  # uint8 mask of the liver organ (parenchyma, intrahepatic veins, lesions)
    lesion_labels: Volume  # uint8, 0 background, n = lesion n
    tissue: Volume  # uint8 Tissue labels (before lesions)
    lesions: list[PhantomLesion]
    adjacent_mass: AdjacentMass | None = None

    @property
    def liver_volume_ml(self) -> float:
        return float(self.liver.array.sum()) * self.liver.voxel_volume_ml


def make_phantom_study(
    seed: int = 0,
    lesions: tuple[LesionSpec, ...] | list[LesionSpec] = DEFAULT_LESIONS,
    dose: float = 1.0,
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 2.5),
    field_of_view_mm: tuple[float, float, float] = (340.0, 280.0, 220.0),
    liver_volume_ml: float | None = None,
    adjacent_mass_mm: float | None = None,
) -> PhantomStudy:
    """Generate a four-phase liver CT phantom (see the module docstring).

    Parameters
    ----------
    seed : the study's random seed (anatomy jitter, lesion positions, noise).
    lesions : lesions to place in the liver, largest first.
    dose : relative radiation dose; noise SD is ``11 / sqrt(dose)`` HU.
    spacing_mm : voxel spacing (x, y, z) in mm.
    field_of_view_mm : extent (x, y, z) in mm, centred on the body.
    liver_volume_ml : liver volume; drawn from 1250-1750 mL when None.
    adjacent_mass_mm : diameter of a solid extrahepatic mass pressed against the right lobe's under-surface (the
        case a liver model must not take in); None for none. ``lesions=()`` gives a lesion-free liver.
    """
    if dose <= 0:
        raise HepaticaInputError(f"dose must be positive (1 = standard dose), got {dose}")
    rng = np.random.default_rng(seed)
    volume_ml = float(liver_volume_ml) if liver_volume_ml else float(rng.uniform(1250, 1750))
    shape = tuple(int(round(f / s)) for f, s in zip(field_of_view_mm[::-1], spacing_mm[::-1], strict=True))
    body_centre = np.array([0.0, 0.0, -150.0])
    # Centred in-plane; along z the body centre sits at 55 % of the field of view, leaving room above the dome.
    origin = tuple(
        body_centre - np.array([0.5, 0.5, 0.55]) * field_of_view_mm + np.array([spacing_mm[0], spacing_mm[1], 0.0]) / 2
    )
    grid = Grid(shape=shape, spacing=tuple(spacing_mm), origin=origin)
    anatomy = build_anatomy(grid, body_centre, volume_ml, rng)
    adjacent = _paint_adjacent_mass(anatomy, float(adjacent_mass_mm), rng) if adjacent_mass_mm else None

    lesion_map = np.zeros(shape, dtype=np.uint8)
    compartments = np.zeros(shape, dtype=np.uint8)
    fill_depth = np.zeros(shape, dtype=np.float32)  # hemangioma: fill order of each voxel (0 first)
    placed: list[PhantomLesion] = []
    specs = sorted(lesions, key=lambda s: -s.diameter_mm)
    room = _room_for_lesions(anatomy)
    for label, spec in enumerate(specs, start=1):
        lesion = _place_lesion(label, spec, room, anatomy.tissue, grid, placed, rng)
        _paint_lesion(lesion, grid, anatomy, lesion_map, compartments, fill_depth, rng)
        placed.append(lesion)
    voxel_ml = float(np.prod(spacing_mm)) / 1000.0
    for lesion in placed:
        inside = lesion_map == lesion.label
        lesion.volume_ml = float(inside.sum()) * voxel_ml
        lesion.outside_liver_fraction = float((inside & ~anatomy.liver).sum() / max(1, inside.sum()))
    texture = _smooth_noise(grid, rng, sigma_mm=2.5)  # lesion-internal heterogeneity, shared by phases

    noise_sd = NOISE_SD_STANDARD_DOSE_HU / np.sqrt(dose)
    phases = {}
    for phase in PHASES:
        hu = _phase_hu(phase, anatomy, placed, lesion_map, compartments, fill_depth, texture)
        hu = ndimage.gaussian_filter(hu, [s / v for s, v in zip(PSF_SIGMA_MM[::-1], spacing_mm[::-1], strict=True)])
        hu += noise_sd * _correlated_noise(grid, rng)
        image = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
        phases[phase] = Volume(
            image,
            spacing=grid.spacing,
            origin=grid.origin,
            metadata={"modality": "CT", "phase": phase.value, "source": "phantom"},
        )
    reference = phases[Phase.PORTAL_VENOUS]
    liver = anatomy.liver | (lesion_map > 0)
    return PhantomStudy(
        seed=seed,
        dose=dose,
        noise_sd_hu=float(noise_sd),
        phases=phases,
        liver=reference.with_array(liver.astype(np.uint8), phase=None, structure="liver"),
        lesion_labels=reference.with_array(lesion_map, phase=None, structure="lesions"),
        tissue=reference.with_array(anatomy.tissue, phase=None, structure="tissue"),
        lesions=sorted(placed, key=lambda lesion: lesion.label),
        adjacent_mass=adjacent,
    )


def _room_for_lesions(anatomy: Anatomy) -> np.ndarray:
    """Distance (mm) from each voxel to the nearest point outside the liver or inside the vena cava."""
    inside = anatomy.liver & (anatomy.tissue != Tissue.INFERIOR_VENA_CAVA)
    sx, sy, sz = anatomy.grid.spacing
    return ndimage.distance_transform_edt(inside, sampling=(sz, sy, sx)).astype(np.float32)


def _place_lesion(label, spec, room, tissue, grid: Grid, placed, rng) -> PhantomLesion:
    radius = spec.diameter_mm / 2
    radii = (radius, radius * rng.uniform(0.8, 1.0), radius * rng.uniform(0.8, 1.0))
    if spec.centre_mm is not None:
        rotation = (
            np.asarray(spec.rotation) if spec.rotation is not None else Rotation.random(random_state=rng).as_matrix()
        )
        return _lesion(label, spec, radii, spec.centre_mm, rotation)
    if spec.exophytic:
        return _place_exophytic(label, spec, radii, room, tissue, grid, placed, rng)
    candidates = np.flatnonzero(room.ravel() >= radius + 3.0)
    x, y, z = grid.axes()
    for _ in range(400):
        if candidates.size == 0:
            break
        k, j, i = np.unravel_index(rng.choice(candidates), room.shape)
        centre = np.array([x[i], y[j], z[k]], dtype=float)
        if all(np.linalg.norm(centre - np.asarray(p.centre_mm)) > radius + p.diameter_mm / 2 + 5 for p in placed):
            return _lesion(label, spec, radii, centre, Rotation.random(random_state=rng).as_matrix())
    raise HepaticaInputError(
        f"A {spec.diameter_mm:.0f} mm {spec.type.value} does not fit in the liver beside the other lesions; "
        "use fewer or smaller lesions, or a larger liver_volume_ml."
    )


#: Tissues an exophytic lesion or an adjacent mass may push aside (everything else stays where it is).
_DISPLACEABLE = (Tissue.FAT, Tissue.BOWEL)


def _place_exophytic(label, spec, radii, room, tissue, grid: Grid, placed, rng) -> PhantomLesion:
    """Centre the lesion just outside a point of the liver surface facing fat or bowel, so that 30-60 % of it lies
    beyond the liver's outline."""
    x, y, z = grid.axes()
    radius = spec.diameter_mm / 2
    surface = np.flatnonzero(((room > 0) & (room <= 1.5 * max(grid.spacing))).ravel())
    for _ in range(400):
        k, j, i = np.unravel_index(rng.choice(surface), room.shape)
        point = np.array([x[i], y[j], z[k]], dtype=float)
        box = grid.box(point - radius, point + radius)
        X, Y, Z = np.broadcast_arrays(x[box[2]][None, None, :], y[box[1]][None, :, None], z[box[0]][:, None, None])
        sphere = (X - point[0]) ** 2 + (Y - point[1]) ** 2 + (Z - point[2]) ** 2 <= radius**2
        liver = room[box] > 0
        free = np.isin(tissue[box], [int(t) for t in _DISPLACEABLE])
        outside = float((sphere & ~liver).sum() / sphere.sum())
        blocked = float((sphere & ~liver & ~free).sum() / sphere.sum())
        clear = all(np.linalg.norm(point - np.asarray(p.centre_mm)) > radius + p.diameter_mm / 2 + 5 for p in placed)
        if 0.3 <= outside <= 0.6 and blocked < 0.02 and clear:
            return _lesion(label, spec, radii, point, Rotation.random(random_state=rng).as_matrix())
    raise HepaticaInputError(f"no place on this liver's surface for an exophytic {spec.diameter_mm:.0f} mm lesion")


def _paint_adjacent_mass(anatomy: Anatomy, diameter_mm: float, rng) -> AdjacentMass:
    """Paint a sphere of ``diameter_mm`` below the right lobe, pressed 2 mm into the liver's under-surface (the
    liver keeps its voxels: the mass fills fat and bowel only), as a retroperitoneal, adrenal or renal mass does."""
    grid = anatomy.grid
    x, y, z = grid.axes()
    radius = diameter_mm / 2
    sz, sy, sx = grid.spacing[2], grid.spacing[1], grid.spacing[0]
    distance = ndimage.distance_transform_edt(~anatomy.liver, sampling=(sz, sy, sx))
    cx, cy, cz = anatomy.body_centre
    liver_z = z[np.flatnonzero(anatomy.liver.any(axis=(1, 2)))]
    near = (np.abs(distance - (radius - 2.0)) <= 1.5 * max(grid.spacing)) & (
        x[None, None, :] < cx - 30
    )  # beside the right lobe
    near &= z[:, None, None] < np.median(liver_z)  # under it
    candidates = np.flatnonzero(near.ravel())
    if candidates.size == 0:
        raise HepaticaInputError(f"no room beside this liver for a {diameter_mm:.0f} mm mass")
    best = None
    for index in rng.choice(candidates, size=min(60, candidates.size), replace=False):
        k, j, i = np.unravel_index(index, near.shape)
        centre = np.array([x[i], y[j], z[k]], dtype=float)
        box = grid.box(centre - radius, centre + radius)
        X, Y, Z = np.broadcast_arrays(x[box[2]][None, None, :], y[box[1]][None, :, None], z[box[0]][:, None, None])
        sphere = (X - centre[0]) ** 2 + (Y - centre[1]) ** 2 + (Z - centre[2]) ** 2 <= radius**2
        free = np.isin(anatomy.tissue[box], [int(t) for t in _DISPLACEABLE])
        blocked = float((sphere & ~free & ~anatomy.liver[box]).sum() / sphere.sum())
        if best is None or blocked < best[0]:
            best = (blocked, centre, box, sphere & free)
    _, centre, box, paint = best
    anatomy.tissue[box][paint] = Tissue.EXTRAHEPATIC_MASS
    mass = anatomy.tissue == Tissue.EXTRAHEPATIC_MASS
    surface = mass & ~ndimage.binary_erosion(mass)
    touching = surface & ndimage.binary_dilation(anatomy.liver)
    return AdjacentMass(
        diameter_mm=diameter_mm,
        centre_mm=tuple(float(c) for c in centre),
        volume_ml=float(mass.sum()) * float(np.prod(grid.spacing)) / 1000.0,
        contact_area_fraction=float(touching.sum() / max(1, surface.sum())),
    )


def _lesion(label: int, spec: LesionSpec, radii, centre, rotation: np.ndarray) -> PhantomLesion:
    """The truth of lesion ``label`` drawn from ``spec`` at ``centre`` (LPS mm) with its axes ``rotation``."""
    return PhantomLesion(
        label,
        spec.type,
        float(spec.diameter_mm),
        tuple(float(r) for r in radii),
        tuple(float(c) for c in centre),
        np.asarray(rotation).tolist(),
        expected_features=_expected_features(spec),
        exophytic=spec.exophytic,
    )


def _expected_features(spec: LesionSpec) -> dict:
    features = dict(EXPECTED_LIRADS_FEATURES[spec.type])
    if spec.type is LesionType.HCC and spec.diameter_mm < 10:
        features["capsule"] = False  # the phantom draws no capsule on HCC under 10 mm
    return features


def _paint_lesion(lesion, grid: Grid, anatomy: Anatomy, lesion_map, compartments, fill_depth, rng) -> None:
    """Label the lesion's voxels (within the liver) and its enhancement compartments."""
    centre = np.asarray(lesion.centre_mm)
    reach = max(lesion.radii_mm) + 1
    box = grid.box(centre - reach, centre + reach)
    x, y, z = grid.axes()
    P = (
        np.stack(
            np.broadcast_arrays(x[box[2]][None, None, :], y[box[1]][None, :, None], z[box[0]][:, None, None]), axis=-1
        )
        - centre
    )
    local = P @ np.asarray(lesion.rotation)  # coordinates along the lesion's axes
    rho = np.sqrt(((local / np.asarray(lesion.radii_mm)) ** 2).sum(-1))
    allowed = anatomy.liver[box]
    if lesion.exophytic:  # it grows out of the liver into the fat and bowel beside it
        allowed = allowed | np.isin(anatomy.tissue[box], [int(Tissue.FAT), int(Tissue.BOWEL)])
    inside = (rho <= 1.0) & allowed
    dist = np.linalg.norm(local, axis=-1)
    depth = np.where(rho > 1e-6, dist * (1 / np.maximum(rho, 1e-6) - 1), min(lesion.radii_mm))  # mm to surface
    radius = lesion.diameter_mm / 2
    part = np.full(rho.shape, Compartment.CORE, dtype=np.uint8)
    if lesion.type is LesionType.HCC and lesion.expected_features["capsule"]:
        part[depth < np.clip(0.1 * lesion.diameter_mm, 2.0, 3.0)] = Compartment.CAPSULE
    elif lesion.type is LesionType.METASTASIS:
        part[depth < max(2.5, 0.3 * radius)] = Compartment.RIM
    elif lesion.type is LesionType.FNH and lesion.diameter_mm >= 20:
        part[rho < 0.25] = Compartment.SCAR
    elif lesion.type is LesionType.HEMANGIOMA:
        directions = Rotation.random(7, random_state=rng).apply([1.0, 0.0, 0.0])
        unit = local / np.maximum(dist, 1e-6)[..., None]
        nodularity = np.max(np.exp(-(1 - unit @ directions.T) / 0.08), axis=-1)
        fill = (1 - rho) / (0.4 + 0.6 * nodularity)  # smaller fills earlier: periphery and nodules first
        fill_depth[box][inside] = fill[inside]
        part[nodularity > 0.5] = Compartment.NODULE  # marks where the arterial-phase nodules are
    lesion_map[box][inside] = lesion.label
    compartments[box][inside] = part[inside]


#: Hemangioma fill front per phase: a voxel enhances once its fill order is below this value.
HEMANGIOMA_FILL_FRONT = {Phase.PRE_CONTRAST: -1.0, Phase.ARTERIAL: 0.45, Phase.PORTAL_VENOUS: 0.9, Phase.DELAYED: 2.6}


def _phase_hu(phase, anatomy, lesions, lesion_map, compartments, fill_depth, texture) -> np.ndarray:
    p = phase_index(phase)
    lut = np.zeros(256, dtype=np.float32)
    for tissue, values in TISSUE_HU.items():
        lut[int(tissue)] = values[p]
    hu = lut[anatomy.tissue]
    aorta = TISSUE_HU[Tissue.AORTA]
    for lesion in lesions:
        inside = lesion_map == lesion.label
        table = LESION_HU[lesion.type]
        part = compartments[inside]
        values = np.full(part.shape, table[Compartment.CORE][p], dtype=np.float32)
        for compartment, hus in table.items():
            values[part == compartment] = hus[p]
        if lesion.type is LesionType.HEMANGIOMA:
            pool = table[Compartment.CORE][0] + HEMANGIOMA_POOL_FRACTION * (aorta[p] - aorta[0])
            enhanced = fill_depth[inside] < HEMANGIOMA_FILL_FRONT[phase]
            if phase is Phase.ARTERIAL:
                enhanced &= part == Compartment.NODULE  # discontinuous: only the peripheral nodules
            values[enhanced] = pool
        if lesion.type in (LesionType.HCC, LesionType.METASTASIS):
            values += 6.0 * texture[inside]
        hu[inside] = values
    return hu


def _smooth_noise(grid: Grid, rng, sigma_mm: float) -> np.ndarray:
    """Unit-variance Gaussian noise smoothed over ``sigma_mm``."""
    return _normalise(
        ndimage.gaussian_filter(
            rng.standard_normal(grid.shape).astype(np.float32), [sigma_mm / s for s in grid.spacing[::-1]]
        )
    )


def _correlated_noise(grid: Grid, rng) -> np.ndarray:
    """Unit-variance noise with CT-like in-plane correlation (about 0.6 mm), white along z."""
    sigma = (0.0, 0.6 / grid.spacing[1], 0.6 / grid.spacing[0])
    return _normalise(ndimage.gaussian_filter(rng.standard_normal(grid.shape).astype(np.float32), sigma))


def _normalise(field: np.ndarray) -> np.ndarray:
    return field / max(float(field.std()), 1e-6)
