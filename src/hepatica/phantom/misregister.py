"""Random rigid misregistration of a phantom's phases, as patients breathe and move between acquisitions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from scipy.spatial.transform import Rotation

from hepatica.io.phase import Phase
from hepatica.io.volume import Volume


@dataclass(frozen=True)
class Misregistration:
    """The rigid motion applied to one phase: translation (mm, LPS) and rotation (degrees) about ``centre_mm``."""

    translation_mm: tuple[float, float, float]
    rotation_deg: float
    axis: tuple[float, float, float]
    centre_mm: tuple[float, float, float]

    def transform(self) -> sitk.Euler3DTransform:
        """The transform from the reference grid's points to the moved phase's points."""
        euler = sitk.Euler3DTransform()
        euler.SetCenter(self.centre_mm)
        matrix = Rotation.from_rotvec(np.radians(self.rotation_deg) * np.asarray(self.axis)).as_matrix()
        euler.SetMatrix(matrix.ravel().tolist())
        euler.SetTranslation(self.translation_mm)
        return euler


def misregister(
    phases: dict[Phase, Volume],
    centre_mm,
    rng: np.random.Generator,
    max_shift_mm: float = 5.0,
    max_rotation_deg: float = 5.0,
    reference: Phase = Phase.PORTAL_VENOUS,
) -> tuple[dict[Phase, Volume], dict[Phase, Misregistration]]:
    """Every phase but ``reference`` moved by a random rigid motion (shift up to ``max_shift_mm`` in a random
    direction, rotation up to ``max_rotation_deg`` about a random axis through ``centre_mm``), resampled on its
    own grid (air fills what moves in from outside)."""
    moved, motions = {}, {}
    for phase, volume in phases.items():
        if phase is reference:
            moved[phase] = volume
            continue
        motion = random_motion(centre_mm, rng, max_shift_mm, max_rotation_deg)
        moved[phase] = move_volume(volume, motion)
        motions[phase] = motion
    return moved, motions


def random_motion(centre_mm, rng: np.random.Generator, max_shift_mm: float, max_rotation_deg: float) -> Misregistration:
    """A rigid motion: shift up to ``max_shift_mm`` in a random direction, rotation up to ``max_rotation_deg``
    about a random axis through ``centre_mm``."""
    direction = rng.normal(size=3)
    axis = rng.normal(size=3)
    return Misregistration(
        tuple(float(v) for v in direction / np.linalg.norm(direction) * rng.uniform(0, max_shift_mm)),
        float(rng.uniform(0, max_rotation_deg)),
        tuple(float(v) for v in axis / np.linalg.norm(axis)),
        tuple(float(c) for c in centre_mm),
    )


def move_volume(volume: Volume, motion: Misregistration, mask: bool = False) -> Volume:
    """``volume`` moved by ``motion`` on its own grid: cubic for images (air fills what moves in), nearest
    neighbour for masks (``mask=True``)."""
    image = volume.to_sitk()
    interpolator, fill = (sitk.sitkNearestNeighbor, 0.0) if mask else (sitk.sitkBSpline, -1000.0)
    resampled = sitk.Resample(image, image, motion.transform(), interpolator, fill, image.GetPixelID())
    return Volume.from_sitk(resampled, dict(volume.metadata))
