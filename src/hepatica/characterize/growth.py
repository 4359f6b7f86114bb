"""Lesions of a prior study matched to the current study's, and their growth in LI-RADS terms.

The prior lesion labels are carried onto the current grid by the transform that aligns the prior series to the
current one (`align_prior_study`). A current lesion matches the prior lesion it overlaps most (Dice), when the
overlap covers at least 30 % of the smaller of the two; else the nearest unmatched prior lesion whose centre lies
within max(10 mm, half the larger diameter); a current lesion with neither is new.

Growth, as LI-RADS v2018 words it: *threshold growth* is a size increase of at least 50 % in at most 6 months;
an unequivocal increase that is not threshold growth is *subthreshold growth* (ancillary, favouring
malignancy); an unequivocal decrease is *size reduction*, and a size unchanged over at least 2 years is *size
stability >= 2 years* (both ancillary, favouring benignity). Sizes are longest diameters from the
segmentations; one measurement is taken to be uncertain by the largest voxel spacing, so "unequivocal" means a
change beyond twice the combined uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.characterize.features import Finding, normal_confidence

THRESHOLD_GROWTH = 0.5  # size increase, fraction of the prior size
THRESHOLD_GROWTH_DAYS = 182.6  # 6 months
STABILITY_DAYS = 730.5  # 2 years
MATCH_DISTANCE_MM = 10.0
MIN_OVERLAP_OF_SMALLER = 0.3


@dataclass(frozen=True)
class LesionMatch:
    """A current lesion and the prior lesion it was matched to (None: new), with their longest diameters (mm),
    their overlap (Dice) and the distance between their centres (mm) after alignment."""

    lesion: int
    prior_lesion: int | None
    size_mm: float
    prior_size_mm: float | None
    overlap: float
    distance_mm: float | None


@dataclass(frozen=True)
class Growth:
    """One lesion's change since the prior study in LI-RADS terms."""

    match: LesionMatch
    interval_days: float | None
    threshold_growth: Finding
    favor_malignancy: tuple[str, ...] = ()
    favor_benign: tuple[str, ...] = ()

    @property
    def change_percent(self) -> float | None:
        m = self.match
        return None if m.prior_size_mm is None else 100.0 * (m.size_mm - m.prior_size_mm) / m.prior_size_mm


def match_lesions(
    labels: np.ndarray,
    prior_labels: np.ndarray,
    spacing_mm,
    sizes_mm: dict[int, float],
    prior_sizes_mm: dict[int, float],
) -> list[LesionMatch]:
    """Match every current lesion (``labels``, 1..n) to a prior lesion (``prior_labels``: the prior study's
    labels moved onto the current grid; ``spacing_mm`` in (z, y, x)). Sizes are longest diameters by label."""
    spacing = np.asarray(spacing_mm, dtype=float)
    current_ids = [int(i) for i in np.unique(labels) if i]
    prior_ids = [int(i) for i in np.unique(prior_labels) if i]
    centres = _centres(labels, current_ids, spacing)
    prior_centres = _centres(prior_labels, prior_ids, spacing)
    counts = {i: int((labels == i).sum()) for i in current_ids}
    prior_counts = {j: int((prior_labels == j).sum()) for j in prior_ids}
    both = (labels > 0) & (prior_labels > 0)
    pairs = np.stack([labels[both], prior_labels[both]], axis=1).astype(np.int64)
    overlaps = {}
    if pairs.size:
        found, common = np.unique(pairs, axis=0, return_counts=True)
        overlaps = {
            (int(i), int(j)): float(2.0 * n / (counts[int(i)] + prior_counts[int(j)]))
            for (i, j), n in zip(found, common, strict=True)
            if n >= MIN_OVERLAP_OF_SMALLER * min(counts[int(i)], prior_counts[int(j)])
        }
    matched: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()
    for (i, j), dice in sorted(overlaps.items(), key=lambda item: -item[1]):
        if i not in matched and j not in taken:
            matched[i] = (j, dice)
            taken.add(j)
    candidates = []
    for i in current_ids:
        for j in prior_ids:
            if i in matched or j in taken:
                continue
            distance = float(np.linalg.norm(centres[i] - prior_centres[j]))
            if distance <= max(MATCH_DISTANCE_MM, 0.5 * max(sizes_mm[i], prior_sizes_mm[j])):
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
                prior_sizes_mm[j] if j is not None else None,
                round(dice, 3),
                round(float(np.linalg.norm(centres[i] - prior_centres[j])), 2) if j is not None else None,
            )
        )
    return result


def assess_growth(match: LesionMatch, interval_days: float | None, size_error_mm: float) -> Growth:
    """Threshold growth and the growth-related ancillary features of one matched lesion. ``size_error_mm`` is
    the uncertainty of one diameter measurement (the largest voxel spacing)."""
    if match.prior_lesion is None or match.prior_size_mm is None:
        return Growth(
            match,
            interval_days,
            Finding(
                False,
                "new since the prior study; LI-RADS v2018 does not count a new observation as threshold growth",
                0.5,
            ),
        )
    now, before = match.size_mm, match.prior_size_mm
    change = now - before
    change_error = float(np.hypot(size_error_mm, size_error_mm))
    when = f" in {interval_days:.0f} days" if interval_days is not None else ""
    evidence = f"{before:.0f} mm -> {now:.0f} mm ({100 * change / before:+.0f} %){when}"
    margin = now - (1 + THRESHOLD_GROWTH) * before
    margin_error = float(np.hypot(size_error_mm, (1 + THRESHOLD_GROWTH) * size_error_mm))
    if interval_days is None:
        return Growth(
            match,
            None,
            Finding(
                None, f"{evidence}; the interval between the studies is unknown (give it with --interval-days)", 0.0
            ),
        )
    within = interval_days <= THRESHOLD_GROWTH_DAYS
    present = within and margin >= 0
    if present:
        finding = Finding(
            True, f"size increase {evidence} (>= 50 % in <= 6 months)", normal_confidence(margin, margin_error)
        )
    elif not within:
        finding = Finding(False, f"{evidence}: over more than 6 months, so not threshold growth", 1.0)
    else:
        finding = Finding(False, f"{evidence}: less than 50 %", normal_confidence(margin, margin_error))
    unequivocal = abs(change) >= 2 * change_error
    malignancy = ("subthreshold growth",) if unequivocal and change > 0 and not present else ()
    benign = ()
    if unequivocal and change < 0:
        benign = ("size reduction",)
    elif not unequivocal and interval_days >= STABILITY_DAYS:
        benign = ("size stability >= 2 years",)
    return Growth(match, interval_days, finding, malignancy, benign)


def _centres(labels: np.ndarray, ids: list[int], spacing: np.ndarray) -> dict[int, np.ndarray]:
    if not ids:
        return {}
    points = ndimage.center_of_mass(np.ones(labels.shape, dtype=np.uint8), labels, ids)
    return {i: np.asarray(p) * spacing for i, p in zip(ids, points, strict=True)}
