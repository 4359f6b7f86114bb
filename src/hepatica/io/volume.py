"""The `Volume` type: a 3-D image with its physical geometry, in the DICOM patient frame (LPS, mm).

Conventions (the same as SimpleITK, so conversion is lossless):

- ``array`` is indexed ``[slice, row, column]`` (k, j, i);
- ``spacing``, ``origin`` and the columns of ``direction`` are given in index order (i, j, k), i.e. column step,
  row step, slice step, in millimetres;
- ``origin`` is the LPS position (mm) of the centre of voxel ``[0, 0, 0]``;
- ``direction[:, n]`` is the unit vector (LPS) along index axis n.

A physical point of voxel (i, j, k) is therefore ``origin + direction @ (spacing * (i, j, k))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import SimpleITK as sitk

from hepatica.errors import GridMismatchError

#: Grid comparisons tolerate this much difference in spacing and origin (mm) and direction cosines.
GRID_TOLERANCE_MM = 1e-3
DIRECTION_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Volume:
    """A 3-D image or mask on a physical grid (LPS, mm). See the module docstring for the conventions.

    ``metadata`` carries non-geometric facts about where the volume came from (modality, series UID,
    contrast phase, source file list); it never holds patient identifiers.
    """

    array: np.ndarray
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise ValueError(f"Volume needs a 3-D array, got shape {self.array.shape}")
        direction = np.asarray(self.direction, dtype=float).reshape(3, 3)
        if not np.allclose(direction.T @ direction, np.eye(3), atol=1e-3):
            raise ValueError(f"Volume direction must be orthonormal, got {direction.tolist()}")
        if min(self.spacing) <= 0:
            raise ValueError(f"Volume spacing must be positive, got {self.spacing}")
        object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "spacing", tuple(float(s) for s in self.spacing))
        object.__setattr__(self, "origin", tuple(float(o) for o in self.origin))

    # ------------------------------------------------------------------ geometry
    @property
    def size(self) -> tuple[int, int, int]:
        """Number of voxels in index order (columns, rows, slices)."""
        k, j, i = self.array.shape
        return (i, j, k)

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres (cm^3)."""
        return float(np.prod(self.spacing)) / 1000.0

    @property
    def affine(self) -> np.ndarray:
        """4x4 matrix mapping index (i, j, k, 1) to LPS millimetres."""
        m = np.eye(4)
        m[:3, :3] = self.direction * np.asarray(self.spacing)[None, :]
        m[:3, 3] = self.origin
        return m

    def index_to_physical(self, ijk: np.ndarray) -> np.ndarray:
        """LPS positions (mm) of voxel indices given as (..., 3) arrays in (i, j, k) order."""
        ijk = np.asarray(ijk, dtype=float)
        return ijk @ (self.direction * np.asarray(self.spacing)[None, :]).T + np.asarray(self.origin)

    def orientation_code(self) -> str:
        """Three letters naming where each index axis points in LPS terms, e.g. 'LPS' for a standard axial stack
        (the letter is the direction of increasing index: L=left, P=posterior, S=superior, R, A, I their opposites)."""
        letters = []
        for n in range(3):
            axis = self.direction[:, n]
            m = int(np.argmax(np.abs(axis)))
            letters.append(("LR", "PA", "SI")[m][0 if axis[m] > 0 else 1])
        return "".join(letters)

    def same_grid(self, other: Volume) -> bool:
        """True when ``other`` has the same size, spacing, origin and direction (within tolerance)."""
        return not grid_differences(self, other)

    def with_array(self, array: np.ndarray, **metadata: Any) -> Volume:
        """A volume on the same grid holding ``array``; ``metadata`` entries are added to the copy."""
        if array.shape != self.array.shape:
            raise ValueError(f"array shape {array.shape} differs from the grid's {self.array.shape}")
        return replace(self, array=array, metadata={**self.metadata, **metadata})

    # ------------------------------------------------------------------ SimpleITK
    def to_sitk(self) -> sitk.Image:
        """The volume as a SimpleITK image (metadata is not carried)."""
        image = sitk.GetImageFromArray(self.array)
        image.SetSpacing(self.spacing)
        image.SetOrigin(self.origin)
        image.SetDirection(tuple(self.direction.flatten()))
        return image

    @classmethod
    def from_sitk(cls, image: sitk.Image, metadata: dict[str, Any] | None = None) -> Volume:
        """A volume from a 3-D SimpleITK image (its geometry is already LPS)."""
        if image.GetDimension() != 3:
            raise ValueError(f"expected a 3-D image, got {image.GetDimension()}-D")
        return cls(
            array=sitk.GetArrayFromImage(image),
            spacing=image.GetSpacing(),
            origin=image.GetOrigin(),
            direction=np.asarray(image.GetDirection()).reshape(3, 3),
            metadata=dict(metadata or {}),
        )


def grid_differences(a: Volume, b: Volume) -> list[str]:
    """Human-readable differences between the grids of two volumes; empty when they match."""
    problems = []
    if a.size != b.size:
        problems.append(f"size {a.size} vs {b.size} voxels")
    if not np.allclose(a.spacing, b.spacing, atol=GRID_TOLERANCE_MM):
        problems.append(f"spacing {_fmt(a.spacing)} vs {_fmt(b.spacing)} mm")
    if not np.allclose(a.origin, b.origin, atol=max(GRID_TOLERANCE_MM, 1e-3 * min(a.spacing))):
        problems.append(f"origin {_fmt(a.origin)} vs {_fmt(b.origin)} mm")
    if not np.allclose(a.direction, b.direction, atol=DIRECTION_TOLERANCE):
        problems.append(f"orientation {a.orientation_code()} vs {b.orientation_code()}")
    return problems


def require_same_grid(image: Volume, mask: Volume, what: str = "mask") -> None:
    """Raise :class:`GridMismatchError` unless ``mask`` lies on the grid of ``image``."""
    problems = grid_differences(image, mask)
    if problems:
        raise GridMismatchError(
            f"The {what} is not on the image's voxel grid ({'; '.join(problems)}). "
            f"Resample the {what} onto the image grid with nearest-neighbour interpolation "
            f"(hepatica.io.resample_to_grid(..., interpolation='nearest')) or give the mask that belongs to this image."
        )


def resample_to_grid(moving: Volume, reference: Volume, interpolation: str = "linear", default: float = 0.0) -> Volume:
    """Resample ``moving`` onto the grid of ``reference`` (physical positions are matched, no registration).

    ``interpolation`` is 'nearest' (labels and masks), 'linear' or 'bspline'. Voxels outside ``moving`` get
    ``default``. The result keeps ``moving``'s metadata and dtype.
    """
    methods = {"nearest": sitk.sitkNearestNeighbor, "linear": sitk.sitkLinear, "bspline": sitk.sitkBSpline}
    if interpolation not in methods:
        raise ValueError(f"interpolation must be one of {sorted(methods)}, got {interpolation!r}")
    if moving.same_grid(reference):
        return moving.with_array(moving.array.copy())
    image = moving.to_sitk()
    out = sitk.Resample(
        image, reference.to_sitk(), sitk.Transform(), methods[interpolation], default, image.GetPixelID()
    )
    return Volume.from_sitk(out, moving.metadata)


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in values) + ")"
