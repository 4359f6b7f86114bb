"""Growth of lesions matched to a prior study's, in LI-RADS terms.

The prior lesion labels are carried onto the current grid by the transform that aligns the prior series to the
current one (`align_prior_study`) and matched there (`hepatica.measure.matching`: overlap, then distance); a
current lesion without a match is new. In a `LesionMatch` here, ``matched`` is the prior lesion.

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

from hepatica.characterize.features import Finding, normal_confidence
from hepatica.measure.matching import LesionMatch

THRESHOLD_GROWTH = 0.5  # size increase, fraction of the prior size
THRESHOLD_GROWTH_DAYS = 182.6  # 6 months
STABILITY_DAYS = 730.5  # 2 years


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
        return None if m.matched_size_mm is None else 100.0 * (m.size_mm - m.matched_size_mm) / m.matched_size_mm


def assess_growth(match: LesionMatch, interval_days: float | None, size_error_mm: float) -> Growth:
    """Threshold growth and the growth-related ancillary features of one matched lesion. ``size_error_mm`` is
    the uncertainty of one diameter measurement (the largest voxel spacing)."""
    if match.matched is None or match.matched_size_mm is None:
        return Growth(
            match,
            interval_days,
            Finding(
                False,
                "new since the prior study; LI-RADS v2018 does not count a new observation as threshold growth",
                0.5,
            ),
        )
    now, before = match.size_mm, match.matched_size_mm
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
