"""LI-RADS imaging features of one lesion from its enhancement measurements, each with its evidence (the numbers,
in words) and a confidence, and a lesion-type estimate for decision support.

Thresholds are differences of median HU from the parenchyma around the lesion: "unequivocal" arterial
hyperenhancement is at least 20 HU above liver, washout and capsule at least 10 HU below / above it (peripheral
washout: a rim at least 10 HU below liver and 5 HU below the centre), a simple
cyst stays within -10..20 HU without enhancing (< 10 HU rise), a hemangioma's nodules reach blood-pool
attenuation (>= 100 HU above liver in the arterial phase). Each rule's confidence is the normal probability that
its decisive difference lies on the side found, given the medians' standard errors (0.5 = a coin toss).
Under 10 mm (equivalent diameter) the water-density evidence says that partial volume with the surrounding
liver pulls a small lesion's attenuation toward the liver's; the value stays what was measured.
Calibrated on the synthetic phantom only (bench/lirads_phantom.py); real-data validation is still to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf, sqrt

from hepatica.characterize.enhancement import LesionEnhancement, PhaseEnhancement
from hepatica.io.phase import Phase

APHE_HU = 20.0
WASHOUT_HU = 10.0
CAPSULE_HU = 10.0
CENTRAL_ENHANCEMENT_HU = 10.0
ENHANCING_RISE_HU = 15.0  # a lesion that rises less than this above pre-contrast does not "wash out"
WATER_HU = (-10.0, 20.0)
CYST_MAX_RISE_HU = 10.0
BLOOD_POOL_ABOVE_LIVER_HU = 100.0
FILL_IN_HU = 15.0
PARTIAL_VOLUME_DIAMETER_MM = 10.0

REQUIRED_PHASES = (Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)  # LI-RADS CT technique
NAMES = {
    Phase.PRE_CONTRAST: "pre-contrast",
    Phase.ARTERIAL: "arterial",
    Phase.PORTAL_VENOUS: "portal venous",
    Phase.DELAYED: "delayed",
}


@dataclass(frozen=True)
class Finding:
    """One feature: its value, the measurement behind it, and how sure the measurement is (0.5-1)."""

    value: str | bool | None  # None: cannot be assessed (phase missing)
    evidence: str
    confidence: float


@dataclass(frozen=True)
class LesionFeatures:
    """Measured LI-RADS features of one lesion and the lesion-type estimate."""

    aphe: Finding
    washout: Finding
    capsule: Finding
    delayed_central_enhancement: Finding
    water_density: Finding
    simple_cyst: Finding
    typical_hemangioma: Finding
    missing_phases: list[Phase]
    lesion_type: str
    lesion_type_pattern: str


def lesion_features(enhancement: LesionEnhancement) -> LesionFeatures:
    """Every measurable feature; features whose phases are missing are None with the reason as evidence."""
    e = enhancement.phases
    arterial, pre = e.get(Phase.ARTERIAL), e.get(Phase.PRE_CONTRAST)
    later = [e[p] for p in (Phase.PORTAL_VENOUS, Phase.DELAYED) if p in e]
    missing = [p for p in REQUIRED_PHASES if p not in e]

    hemangioma = _typical_hemangioma(arterial, later)
    aphe = _aphe(arterial, hemangioma)
    washout = _washout(arterial, later, pre, hemangioma)
    capsule = _capsule(arterial, later, hemangioma)
    central = _delayed_central(arterial, e.get(Phase.DELAYED))
    water = _water_density(e, enhancement.equivalent_diameter_mm)
    cyst = _simple_cyst(water, e, pre)
    kind, pattern = _lesion_type(aphe, washout, capsule, cyst, hemangioma, water, e)
    return LesionFeatures(aphe, washout, capsule, central, water, cyst, hemangioma, missing, kind, pattern)


def normal_confidence(margin_hu: float, error_hu: float) -> float:
    """P(the true difference is on the side of the threshold where the measurement is), normal errors."""
    z = abs(margin_hu) / max(error_hu, 1e-6)
    return round(0.5 * (1 + erf(z / sqrt(2))), 3)


def _absent(reason: str) -> Finding:
    return Finding(None, reason, 0.0)


def _typical_hemangioma(arterial: PhaseEnhancement | None, later: list[PhaseEnhancement]) -> Finding:
    if arterial is None or not later:
        return _absent("needs the arterial and a later phase")
    nodules = arterial.rim.p95_hu - arterial.liver.median_hu
    fill = max(p.relative("core") for p in later) - arterial.relative("core")
    core = arterial.relative("core")
    present = nodules >= BLOOD_POOL_ABOVE_LIVER_HU and fill >= FILL_IN_HU and core < APHE_HU
    margins = [
        (nodules - BLOOD_POOL_ABOVE_LIVER_HU, arterial.liver_noise_hu),
        (fill - FILL_IN_HU, max(arterial.relative_error("core"), 1.0)),
    ]
    evidence = (
        f"peripheral nodules {nodules:.0f} HU above liver in arterial phase (blood pool), centre "
        f"filling in by {fill:.0f} HU in later phases"
    )
    return Finding(present, evidence, _rule_confidence(present, margins))


def _rule_confidence(present: bool, margins: list[tuple[float, float]]) -> float:
    """A conjunction: when present, the least certain condition; when absent, the most certain failing one."""
    confidences = [(normal_confidence(m, s), m >= 0) for m, s in margins]
    if present:
        return min(c for c, _ in confidences)
    failing = [c for c, ok in confidences if not ok]
    return max(failing) if failing else 0.5


def _aphe(arterial: PhaseEnhancement | None, hemangioma: Finding) -> Finding:
    if arterial is None:
        return _absent("arterial phase missing")
    core, rim = arterial.relative("core"), arterial.relative("rim")
    core_error, rim_error = arterial.relative_error("core"), arterial.relative_error("rim")
    if core >= APHE_HU:
        return Finding(
            "nonrim",
            f"lesion {core:.0f} HU above liver in arterial phase",
            normal_confidence(core - APHE_HU, core_error),
        )
    if rim >= APHE_HU and rim - core >= APHE_HU and not hemangioma.value:
        return Finding(
            "rim",
            f"rim {rim:.0f} HU above liver, centre {core:+.0f} HU, in arterial phase",
            min(normal_confidence(rim - APHE_HU, rim_error), normal_confidence(rim - core - APHE_HU, core_error)),
        )
    strongest = max(core, rim) if not hemangioma.value else core
    return Finding(
        "none",
        f"lesion {core:+.0f} HU relative to liver in arterial phase (hyperenhancement needs >= {APHE_HU:.0f} HU)",
        normal_confidence(APHE_HU - strongest, core_error),
    )


def _enhances(
    arterial: PhaseEnhancement, later: list[PhaseEnhancement], pre: PhaseEnhancement | None, region: str
) -> bool:
    if pre is not None:
        peak = max(getattr(p, region).median_hu for p in [arterial, *later])
        return peak - getattr(pre, region).median_hu >= ENHANCING_RISE_HU
    return arterial.relative(region) > -WASHOUT_HU  # without pre-contrast: not hypoattenuating in the arterial phase


def _washout(
    arterial: PhaseEnhancement | None, later: list[PhaseEnhancement], pre: PhaseEnhancement | None, hemangioma: Finding
) -> Finding:
    if arterial is None or not later:
        return _absent("needs the arterial and the portal venous or delayed phase")
    if hemangioma.value:  # an unfilled centre is dark in the portal venous phase but fills in later
        return Finding("none", "progressive centripetal fill-in, not washout", hemangioma.confidence)
    best_peripheral, best_core = None, None
    for phase in later:
        rim, core = phase.relative("rim"), phase.relative("core")
        rim_drop = arterial.relative("rim") - rim
        core_drop = arterial.relative("core") - core
        error = max(phase.relative_error("rim"), phase.relative_error("core"))
        peripheral = min(-WASHOUT_HU - rim, core - rim - WASHOUT_HU / 2, rim_drop - WASHOUT_HU)
        nonperipheral = min(-WASHOUT_HU - core, core_drop - WASHOUT_HU)
        if best_peripheral is None or peripheral > best_peripheral[0]:
            best_peripheral = (peripheral, error, phase, rim, core)
        if best_core is None or nonperipheral > best_core[0]:
            best_core = (nonperipheral, error, phase, core, core_drop)
    margin, error, phase, rim, core = best_peripheral
    if margin >= 0 and _enhances(arterial, later, pre, "rim"):
        return Finding(
            "peripheral",
            f"rim {rim:.0f} HU below liver and {core - rim:.0f} HU below the centre in {NAMES[phase.phase]} phase",
            normal_confidence(margin, error),
        )
    margin, error, phase, core, drop = best_core
    if margin >= 0 and _enhances(arterial, later, pre, "core"):
        return Finding(
            "nonperipheral",
            f"lesion {-core:.0f} HU below liver in {NAMES[phase.phase]} phase, "
            f"{drop:.0f} HU less enhancement relative to liver than in arterial phase",
            normal_confidence(margin, error),
        )
    if margin >= 0:
        return Finding(
            "none",
            "hypoattenuating later but never enhancing (no rise above pre-contrast)",
            normal_confidence(margin, error),
        )
    return Finding(
        "none",
        f"no reduction to below liver (best {NAMES[phase.phase]}: {core:+.0f} HU, {drop:+.0f} HU change from arterial)",
        normal_confidence(margin, error),
    )


def _capsule(arterial: PhaseEnhancement | None, later: list[PhaseEnhancement], hemangioma: Finding) -> Finding:
    if not later:
        return _absent("needs the portal venous or delayed phase")
    best = None
    for phase in later:
        rim, core = phase.relative("rim"), phase.relative("core")
        margin = min(rim - CAPSULE_HU, rim - core - CAPSULE_HU)
        if best is None or margin > best[0]:
            best = (margin, phase, rim, core)
    margin, phase, rim, core = best
    error = phase.relative_error("rim")
    late_only = arterial is None or arterial.relative("rim") < max(APHE_HU, arterial.relative("core"))
    if margin >= 0 and late_only and not hemangioma.value:
        return Finding(
            True,
            f"rim {rim:.0f} HU above liver and {rim - core:.0f} HU above the centre in {NAMES[phase.phase]} phase",
            normal_confidence(margin, error),
        )
    return Finding(
        False,
        f"rim {rim:+.0f} HU relative to liver in {NAMES[phase.phase]} phase",
        normal_confidence(margin, error) if margin < 0 else 0.5,
    )


def _delayed_central(arterial: PhaseEnhancement | None, delayed: PhaseEnhancement | None) -> Finding:
    if arterial is None or delayed is None:
        return _absent("needs the arterial and delayed phases")
    core, rim = delayed.relative("core"), delayed.relative("rim")
    rise = core - arterial.relative("core")
    margin = min(core - rim - CENTRAL_ENHANCEMENT_HU, rise - CENTRAL_ENHANCEMENT_HU)
    error = delayed.relative_error("core")
    present = margin >= 0
    return Finding(
        present,
        f"centre {core - rim:+.0f} HU relative to the rim in delayed phase, {rise:+.0f} HU "
        "relative to liver since arterial phase",
        normal_confidence(margin, error),
    )


def _water_density(e: dict, diameter_mm: float) -> Finding:
    values = {phase: p.core.median_hu for phase, p in e.items()}
    listed = ", ".join(f"{v:.0f} HU {NAMES[phase]}" for phase, v in values.items())
    low, high = WATER_HU
    margins = [min(v - low, high - v) for v in values.values()]
    worst = min(margins)
    error = max(p.core.standard_error_hu for p in e.values())
    caveat = (
        f" ({diameter_mm:.1f} mm lesion: partial volume pulls its attenuation toward the liver's)"
        if diameter_mm < PARTIAL_VOLUME_DIAMETER_MM
        else ""
    )
    return Finding(worst >= 0, f"centre {listed}{caveat}", normal_confidence(worst, error))


def _simple_cyst(water: Finding, e: dict, pre: PhaseEnhancement | None) -> Finding:
    post = [p for phase, p in e.items() if phase is not Phase.PRE_CONTRAST]
    if pre is None or not post:
        return _absent("needs pre-contrast and a post-contrast phase to exclude enhancement")
    rise = max(p.core.median_hu for p in post) - pre.core.median_hu
    margin = CYST_MAX_RISE_HU - rise
    present = bool(water.value) and margin >= 0
    evidence = f"water density, {rise:+.0f} HU after contrast"
    return Finding(present, evidence, min(water.confidence, normal_confidence(margin, post[0].core.standard_error_hu)))


def _lesion_type(
    aphe: Finding, washout: Finding, capsule: Finding, cyst: Finding, hemangioma: Finding, water: Finding, e: dict
) -> tuple[str, str]:
    if cyst.value or (water.value and cyst.value is None and aphe.value in (None, "none")):
        return "cyst", "water density without enhancement"
    if hemangioma.value:
        return "hemangioma", "peripheral nodular enhancement at blood-pool attenuation, filling in"
    if aphe.value == "rim" or washout.value == "peripheral":
        return "metastasis", "targetoid: rim arterial enhancement and/or peripheral washout"
    if aphe.value == "nonrim" and (washout.value == "nonperipheral" or capsule.value):
        return "hcc", "arterial hyperenhancement with washout and/or an enhancing capsule"
    if aphe.value == "nonrim":
        return "fnh", "arterial hyperenhancement, then close to liver, no washout or capsule"
    if aphe.value == "none" and all(
        p.relative("core") < -WASHOUT_HU for p in e.values() if p.phase is not Phase.PRE_CONTRAST
    ):
        return "metastasis", "hypoenhancing in every phase"
    return "indeterminate", "no pattern typical of one type"
