"""Lesions of one set matched to those of another on the same grid: a study's lesions to a prior study's (carried
onto this grid by the alignment), or predicted lesions to reference lesions (`hepatica.evaluate.detection`).

A lesion matches the other lesion it overlaps most (Dice), when the overlap covers at least 30 % of the smaller of
the two; else the nearest unmatched other lesion whose centre lies within max(10 mm, half the larger diameter);
a lesion with neither has no match (new since the prior study, or a missed reference lesion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

MATCH_DISTANCE_MM = 10.0
MIN_OVERLAP_OF_SMALLER = 0.3


@dataclass(frozen=True)
class LesionMatch:
    """A lesion and the lesion of the other set it was matched to (``matched``; None: none), their longest
    diameters (mm), their overlap (Dice; 0 when matched by distance only) and the distance between their centres
    (mm; None without a match)."""

    lesion: int
    matched: int | None
    size_mm: float
    matched_size_mm: float | None
    overlap: float
    distance_mm: float | None

    @property
    def found(self) -> bool:
        """Whether the lesion has a counterpart in the other set."""
        return self.matched is not None


def match_lesions(
    labels: np.ndarray,
    other_labels: np.ndarray,
    spacing_mm,
    sizes_mm: dict[int, float],
    other_sizes_mm: dict[int, float],
) -> list[LesionMatch]:
    """Match every lesion of ``labels`` (1..n) to a lesion of ``other_labels`` on the same grid (the prior
    study's labels moved onto the current grid, say; ``spacing_mm`` in (z, y, x)). Sizes are longest diameters
    (mm) by label."""
    spacing = np.asarray(spacing_mm, dtype=float)
    current_ids = [int(i) for i in np.unique(labels) if i]
    other_ids = [int(i) for i in np.unique(other_labels) if i]
    centres = _centres(labels, current_ids, spacing)
    other_centres = _centres(other_labels, other_ids, spacing)
    counts = {i: int((labels == i).sum()) for i in current_ids}
    other_counts = {j: int((other_labels == j).sum()) for j in other_ids}
    both = (labels > 0) & (other_labels > 0)
    pairs = np.stack([labels[both], other_labels[both]], axis=1).astype(np.int64)
    overlaps = {}
    if pairs.size:
        found, common = np.unique(pairs, axis=0, return_counts=True)
        overlaps = {
            (int(i), int(j)): float(2.0 * n / (counts[int(i)] + other_counts[int(j)]))
            for (i, j), n in zip(found, common, strict=True)
            if n >= MIN_OVERLAP_OF_SMALLER * min(counts[int(i)], other_counts[int(j)])
        }
    matched: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()
    for (i, j), dice in sorted(overlaps.items(), key=lambda item: -item[1]):
        if i not in matched and j not in taken:
            matched[i] = (j, dice)
            taken.add(j)
    candidates = []
    for i in current_ids:
        for j in other_ids:
            if i in matched or j in taken:
                continue
            distance = float(np.linalg.norm(centres[i] - other_centres[j]))
            if distance <= max(MATCH_DISTANCE_MM, 0.5 * max(sizes_mm[i], other_sizes_mm[j])):
                candidates.append((distance, i, j))
    for _, i, j in sorted(candidates):
        if i not in matched and j not in taken:
            matched[i] = (j, 0.0)
            taken.add(j)
    result = []
    for i in current_ids:
        j, dice = matched.get(i, (None, 0.0))
        result.append(
            LesionMatch(
                i,
                j,
                sizes_mm[i],
                other_sizes_mm[j] if j is not None else None,
                round(dice, 3),
                round(float(np.linalg.norm(centres[i] - other_centres[j])), 2) if j is not None else None,
            )
        )
    return result


def _centres(labels: np.ndarray, ids: list[int], spacing: np.ndarray) -> dict[int, np.ndarray]:
    if not ids:
        return {}
    points = ndimage.center_of_mass(np.ones(labels.shape, dtype=np.uint8), labels, ids)
    return {i: np.asarray(p) * spacing for i, p in zip(ids, points, strict=True)}
