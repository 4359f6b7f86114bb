"""Per-lesion detection the way LiTS reports it.

Lesions are 26-connected components of each mask. A predicted lesion is a true positive when it overlaps a
reference lesion by at least one voxel; a reference lesion is detected when any predicted lesion overlaps it (its
`LesionMatch` names the one it overlaps most, with their Dice and centre distance).
Predicted lesions that touch no reference lesion are false positives, except those that lie inside an
``ignore`` mask (for example a cyst the reference marks separately): those are neither hits nor false
positives. Sensitivity is reported by the reference lesion's longest axial diameter: < 10, 10-20, > 20 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepatica.io.volume import Volume, require_same_grid
from hepatica.measure.lesions import label_lesions, measure_liver_and_lesions
from hepatica.measure.matching import LesionMatch

SIZE_BINS = ("<10 mm", "10-20 mm", ">20 mm")


def size_bin(diameter_mm: float) -> str:
    """The LiTS size class of a lesion's longest axial diameter."""
    if diameter_mm < 10:
        return SIZE_BINS[0]
    return SIZE_BINS[1] if diameter_mm <= 20 else SIZE_BINS[2]


@dataclass(frozen=True)
class DetectionResult:
    """Each reference lesion matched to the predicted lesion it overlaps most (`LesionMatch`: ``lesion`` the
    reference label, ``matched`` the predicted label or None when missed, sizes the longest axial diameters), and
    the predicted lesions that matched nothing."""

    matches: tuple[LesionMatch, ...]
    false_positives: int
    ignored_predictions: int
    predicted_lesions: int

    def sensitivity(self, size_class: str | None = None, min_diameter_mm: float | None = None) -> float:
        """Detected / reference lesions in a size class (or at least ``min_diameter_mm``); nan if none."""
        chosen = [
            m
            for m in self.matches
            if (size_class is None or size_bin(m.size_mm) == size_class)
            and (min_diameter_mm is None or m.size_mm >= min_diameter_mm)
        ]
        return sum(m.found for m in chosen) / len(chosen) if chosen else float("nan")

    def count(self, size_class: str) -> tuple[int, int]:
        """(detected, total) reference lesions in a size class."""
        chosen = [m for m in self.matches if size_bin(m.size_mm) == size_class]
        return sum(m.found for m in chosen), len(chosen)


def detect_lesions(predicted: Volume, reference: Volume, ignore: Volume | None = None) -> DetectionResult:
    """Match predicted to reference lesions (binary or labelled masks on the same grid)."""
    require_same_grid(reference, predicted, "predicted lesions")
    reference_labels = label_lesions(reference)
    predicted_labels = label_lesions(predicted)
    ref, pred = reference_labels.array, predicted_labels.array
    measured = measure_liver_and_lesions(reference.with_array((ref > 0).astype(np.uint8)), reference_labels)
    predictions = {
        m.label: m
        for m in measure_liver_and_lesions(predicted.with_array((pred > 0).astype(np.uint8)), predicted_labels).lesions
    }
    matches = []
    for lesion in measured.lesions:
        inside = ref == lesion.label
        hits = np.bincount(pred[inside].ravel(), minlength=1)[1:]
        best = int(np.argmax(hits)) + 1 if hits.any() else None
        match = predictions.get(best) if best is not None else None
        overlap = 2.0 * hits[best - 1] / (lesion.voxel_count + match.voxel_count) if match else 0.0
        distance = float(np.linalg.norm(np.subtract(lesion.centroid_mm, match.centroid_mm))) if match else None
        matches.append(
            LesionMatch(
                lesion=lesion.label,
                matched=best,
                size_mm=lesion.longest_axial_diameter_mm,
                matched_size_mm=match.longest_axial_diameter_mm if match else None,
                overlap=round(float(overlap), 3),
                distance_mm=round(distance, 2) if distance is not None else None,
            )
        )
    ignore_mask = None
    if ignore is not None:
        require_same_grid(reference, ignore, "ignore mask")
        ignore_mask = ignore.array > 0
    false_positives = ignored = 0
    for label in range(1, int(pred.max()) + 1):
        voxels = pred == label
        if np.any(ref[voxels] > 0):
            continue
        if ignore_mask is not None and np.any(ignore_mask[voxels]):
            ignored += 1
        else:
            false_positives += 1
    return DetectionResult(tuple(matches), false_positives, ignored, int(pred.max()))
