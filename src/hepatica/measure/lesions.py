"""Lesion instances and their sizes.

Diameters are measured between points of the lesion surface as IBSI defines it for shape features: the
vertices a marching-cubes mesh of the mask would have, which for a binary mask lie half-way between an
inside voxel centre and its outside neighbour. The longest axial diameter is taken over every axial slice
(the image reoriented to LPS, so slices are patient-axial whatever the stored orientation); its short axis
is the longest chord perpendicular to it in that slice, as RECIST 1.1 measures it. Sizes are in mm, volumes
in mL, positions in LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from hepatica.io.volume import Volume, require_same_grid

CONNECTIVITY = ndimage.generate_binary_structure(3, 3)  # 26-connected voxels form one lesion


@dataclass(frozen=True)
class LesionMeasurement:
    """One lesion (a connected component of the lesion mask)."""

    label: int
    volume_ml: float
    longest_axial_diameter_mm: float
    short_axis_mm: float
    axial_slice_z_mm: float  # z (LPS) of the slice holding the longest axial diameter
    longest_3d_diameter_mm: float
    centroid_mm: tuple[float, float, float]
    voxel_count: int


@dataclass(frozen=True)
class LiverMeasurement:
    """Liver volume (lesions included), the lesions in it, and the share of the liver they take up."""

    liver_volume_ml: float
    lesion_volume_ml: float
    tumour_burden_percent: float
    lesions: tuple[LesionMeasurement, ...]


@dataclass(frozen=True)
class Lesion:
    """One lesion, labelled once for the whole analysis: its label (1 = largest), where it lies on the segmented
    grid (``box``, an index box in (z, y, x) order, and ``local_mask`` within it) and its measurements. Every later
    stage (LI-RADS, radiomics, the report, the SR, the viewer) refers to the lesion by ``label``."""

    label: int
    box: tuple[slice, slice, slice]
    local_mask: np.ndarray
    measurement: LesionMeasurement

    def mask(self, shape: tuple[int, int, int]) -> np.ndarray:
        """The lesion as a boolean array of the whole grid (``shape``, (z, y, x))."""
        full = np.zeros(shape, dtype=bool)
        full[self.box] = self.local_mask
        return full


@dataclass(frozen=True)
class LiverLesions:
    """The liver and its lesions on one grid: the liver mask (0/1), the lesion instances (``labels``: 0 outside,
    n inside lesion n) and each `Lesion`, largest first; volumes in mL (the liver's with its lesions)."""

    liver: Volume
    labels: Volume
    lesions: tuple[Lesion, ...]
    liver_volume_ml: float
    lesion_volume_ml: float
    tumour_burden_percent: float

    def mask(self, label: int) -> np.ndarray:
        """Boolean array of lesion ``label`` on the whole grid."""
        return self.labels.array == label

    def others(self, label: int) -> np.ndarray:
        """Boolean array of every lesion but ``label``."""
        return (self.labels.array > 0) & (self.labels.array != label)

    def lesion(self, label: int) -> Lesion:
        return self.lesions[label - 1]

    @property
    def measurements(self) -> tuple[LesionMeasurement, ...]:
        return tuple(lesion.measurement for lesion in self.lesions)


def find_lesions(liver: Volume, lesions: Volume) -> LiverLesions:
    """Label the lesions of ``lesions`` (a mask on ``liver``'s grid: binary, or one value per lesion) once, largest
    first, and measure them and the liver (`measure_liver_and_lesions`)."""
    labels = label_lesions(lesions)
    measured = measure_liver_and_lesions(liver, labels)
    boxes = ndimage.find_objects(labels.array.astype(np.int64))
    found = []
    for measurement in measured.lesions:
        box = boxes[measurement.label - 1]
        found.append(Lesion(measurement.label, box, labels.array[box] == measurement.label, measurement))
    return LiverLesions(
        liver=liver,
        labels=labels,
        lesions=tuple(found),
        liver_volume_ml=measured.liver_volume_ml,
        lesion_volume_ml=measured.lesion_volume_ml,
        tumour_burden_percent=measured.tumour_burden_percent,
    )


def label_lesions(lesions: Volume) -> Volume:
    """One label per 26-connected lesion, numbered by decreasing volume (1 = largest). A mask with several
    non-zero values (one per lesion, as 3D Slicer or an expert's label map gives) keeps lesions of different values
    apart even where they touch; a binary mask is split into its connected components."""
    values = np.unique(lesions.array)
    values = values[values != 0]
    if len(values) > 1:
        labels, count = _label_per_value(lesions.array, values)
    else:
        labels, count = ndimage.label(lesions.array > 0, structure=CONNECTIVITY)
    if count:
        sizes = np.bincount(labels.ravel())[1:]
        order = np.argsort(-sizes, kind="stable")
        remap = np.zeros(count + 1, dtype=np.uint16)
        remap[order + 1] = np.arange(1, count + 1, dtype=np.uint16)
        labels = remap[labels]
    return lesions.with_array(labels.astype(np.uint16), content="lesion instances")


def _label_per_value(array: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components of each value separately, numbered consecutively."""
    labels = np.zeros(array.shape, dtype=np.int32)
    count = 0
    for value in values:
        components, n = ndimage.label(array == value, structure=CONNECTIVITY)
        labels[components > 0] = components[components > 0] + count
        count += n
    return labels, count


def measure_liver_and_lesions(liver: Volume, lesion_labels: Volume) -> LiverMeasurement:
    """Liver volume (liver or lesion voxels), per-lesion measurements, tumour burden in % of liver volume."""
    require_same_grid(liver, lesion_labels, "lesion labels")
    liver_lps, labels_lps = (to_lps(v) for v in (liver, lesion_labels))
    voxel_ml = liver.voxel_volume_ml
    liver_ml = float(np.count_nonzero((liver_lps.array > 0) | (labels_lps.array > 0))) * voxel_ml
    measured = []
    objects = ndimage.find_objects(labels_lps.array.astype(np.int64))
    for label, box in enumerate(objects, start=1):
        if box is not None:
            measured.append(_measure_component(labels_lps, label, box))
    lesion_ml = sum(m.volume_ml for m in measured)
    burden = 100.0 * lesion_ml / liver_ml if liver_ml > 0 else 0.0
    return LiverMeasurement(liver_ml, lesion_ml, burden, tuple(measured))


def measure_lesion(mask: Volume, label: int = 1) -> LesionMeasurement:
    """Measure the voxels equal to ``label`` (default: a binary mask) as one lesion."""
    lps = to_lps(mask)
    box = ndimage.find_objects((lps.array == label).astype(np.uint8))
    if not box:
        raise ValueError(f"no voxel has label {label}")
    return _measure_component(lps, label, box[0])


def to_lps(volume: Volume) -> Volume:
    """``volume`` reoriented to LPS (itself when it already is)."""
    if volume.orientation_code() == "LPS" and np.allclose(volume.direction, np.eye(3)):
        return volume
    return Volume.from_sitk(sitk.DICOMOrient(volume.to_sitk(), "LPS"), metadata=volume.metadata)


def _measure_component(labels: Volume, label: int, box: tuple[slice, ...]) -> LesionMeasurement:
    pad = tuple(slice(max(0, s.start - 1), s.stop + 1) for s in box)
    component = labels.array[pad] == label
    offset = np.array([s.start for s in pad])  # (k, j, i)
    spacing_kji = np.array(labels.spacing[::-1])
    count = int(component.sum())
    centroid = labels.index_to_physical(np.argwhere(component).mean(axis=0)[::-1] + offset[::-1])
    points3d = _surface_points(component, spacing_kji, axes=(0, 1, 2)) + offset * spacing_kji
    longest3d = _feret(points3d)[0]
    best = (0.0, 0.0, int(offset[0]))
    for k in range(component.shape[0]):
        plane = component[k]
        if not plane.any():
            continue
        pts = _surface_points(plane[None], spacing_kji, axes=(1, 2))[:, 1:]
        diameter, (a, b) = _feret(pts)
        if diameter > best[0]:
            direction = (b - a) / diameter if diameter > 0 else np.array([1.0, 0.0])
            best = (diameter, _perpendicular_diameter(pts, direction, max(spacing_kji[1:])), k + int(offset[0]))
    z_mm = float(labels.index_to_physical(np.array([0.0, 0.0, best[2]]))[2])
    return LesionMeasurement(
        label=label,
        volume_ml=count * labels.voxel_volume_ml,
        longest_axial_diameter_mm=best[0],
        short_axis_mm=best[1],
        axial_slice_z_mm=z_mm,
        longest_3d_diameter_mm=longest3d,
        centroid_mm=tuple(float(c) for c in centroid),
        voxel_count=count,
    )


def _perpendicular_diameter(points: np.ndarray, direction: np.ndarray, tolerance_mm: float) -> float:
    """Longest chord perpendicular to ``direction``: the largest spread across it among surface points that lie
    within one voxel of each other along it (RECIST's short axis)."""
    along = points @ direction
    across = points @ np.array([-direction[1], direction[0]])
    bins = np.floor((along - along.min()) / tolerance_mm).astype(int)
    best = 0.0
    for b in np.unique(bins):
        chosen = across[(bins == b) | (bins == b + 1)]
        best = max(best, float(chosen.max() - chosen.min()))
    return best


def _surface_points(component: np.ndarray, spacing: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Mid-points between inside voxels and their outside face neighbours along ``axes`` (mm, array order)."""
    padded = np.pad(component, 1)
    points = []
    for axis in axes:
        for step in (-1, 1):
            neighbour_outside = ~np.roll(padded, -step, axis=axis)
            faces = np.argwhere(padded & neighbour_outside) - 1
            if faces.size:
                shift = np.zeros(3)
                shift[axis] = step * 0.5
                points.append((faces + shift) * spacing)
    return np.concatenate(points) if points else np.zeros((0, 3))


def _feret(points: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Largest distance between two points, and the pair."""
    if len(points) < 2:
        p = points[0] if len(points) else np.zeros(points.shape[1])
        return 0.0, (p, p)
    candidates = points
    if len(points) > 3 * points.shape[1]:
        try:
            candidates = points[ConvexHull(points).vertices]
        except QhullError:  # flat (single-slice) point sets
            candidates = np.unique(points, axis=0)
    differences = candidates[:, None, :] - candidates[None, :, :]
    distances = np.sqrt((differences**2).sum(-1))
    i, j = np.unravel_index(int(np.argmax(distances)), distances.shape)
    return float(distances[i, j]), (candidates[i], candidates[j])
