"""From measured lesion features to the LI-RADS algorithm's input, carrying the measurements as evidence."""

from __future__ import annotations

from hepatica.characterize.features import NAMES, LesionFeatures
from hepatica.characterize.growth import Growth
from hepatica.lirads import Observation
from hepatica.lirads.observation import Ancillary


def observation_from_features(
    features: LesionFeatures,
    size_mm: float,
    high_risk: bool = True,
    observation_id: str | None = None,
    growth: Growth | None = None,
    size_evidence: str | None = None,
) -> Observation:
    """The LI-RADS observation Hepatica measured (``growth``: its change since a prior study; ``size_evidence``:
    how ``size_mm`` was measured). Missing required
    phases make it LR-NC; a feature that cannot be assessed counts as absent, as LI-RADS asks when unsure."""
    f = features
    benign, entity, benign_evidence = None, None, None
    if f.simple_cyst.value:
        benign, entity, benign_evidence = "definite", "simple cyst", f.simple_cyst.evidence
    elif f.typical_hemangioma.value:
        benign, entity, benign_evidence = "definite", "typical hemangioma", f.typical_hemangioma.evidence
    evidence = {
        name: finding.evidence
        for name, finding in (("aphe", f.aphe), ("washout", f.washout), ("capsule", f.capsule))
        if finding.value is not None
    }
    if benign_evidence:
        evidence["benign"] = benign_evidence
    if size_evidence:
        evidence["size_mm"] = size_evidence
    ancillary = Ancillary()
    if growth is not None:
        if growth.threshold_growth.value is not None:
            evidence["threshold_growth"] = growth.threshold_growth.evidence
        ancillary = Ancillary(favor_malignancy=list(growth.favor_malignancy), favor_benign=list(growth.favor_benign))
    return Observation(
        id=observation_id,
        high_risk=high_risk,
        missing_phases=[NAMES[p] for p in f.missing_phases],
        benign=benign,
        benign_entity=entity,
        lr_m_features=["delayed central enhancement"] if f.delayed_central_enhancement.value else [],
        size_mm=size_mm,
        aphe=f.aphe.value or "none",
        washout=f.washout.value or "none",
        capsule=bool(f.capsule.value),
        evidence=evidence,
        ancillary=ancillary,
        threshold_growth=bool(growth is not None and growth.threshold_growth.value),
    )
