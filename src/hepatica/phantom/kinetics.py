"""CT attenuation (HU) of each tissue and lesion compartment in each contrast phase.

Values are typical of a multiphase liver CT at 120 kVp with an iodinated bolus (late arterial about 35 s,
portal venous about 70 s, delayed about 3 min after injection), after Brancatelli/Bolog et al. and the
LI-RADS v2018 CT technique: liver 55 -> 75 -> 110 -> 90 HU, aorta 40 -> 300 -> 160 -> 115 HU.

Lesion patterns follow their textbook kinetics:

- HCC: non-rim arterial hyperenhancement, non-peripheral washout (portal venous and delayed), an enhancing capsule;
- hemangioma: peripheral, nodular, discontinuous enhancement at blood-pool attenuation filling in centripetally;
- simple cyst: water attenuation, no enhancement;
- metastasis (hypovascular): rim enhancement, hypo-attenuating core, peripheral washout (the periphery becomes
  darker than the centre in the delayed phase);
- FNH: intense homogeneous arterial enhancement, iso-attenuating to liver afterwards (no washout), a central scar
  that is dark early and enhances late.
"""

from __future__ import annotations

from enum import Enum

from hepatica.io.phase import Phase

PHASES = (Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)

#: Seconds after contrast bolus start at which each phase is acquired in the phantom's DICOM headers.
PHASE_DELAY_S = {Phase.PRE_CONTRAST: None, Phase.ARTERIAL: 35.0, Phase.PORTAL_VENOUS: 70.0, Phase.DELAYED: 180.0}


class Tissue(int, Enum):
    """Labels of the phantom's tissue map."""

    AIR = 0
    FAT = 1
    MUSCLE = 2
    BOWEL = 3
    LIVER = 4
    SPLEEN = 5
    KIDNEY_CORTEX = 6
    KIDNEY_MEDULLA = 7
    AORTA = 8
    INFERIOR_VENA_CAVA = 9
    PORTAL_VEIN = 10
    HEPATIC_VEIN = 11
    CORTICAL_BONE = 12
    CANCELLOUS_BONE = 13
    SPINAL_CANAL = 14
    STOMACH_WALL = 15
    STOMACH_CONTENT = 16
    GAS = 17
    DISC = 18
    EXTRAHEPATIC_MASS = 19  # a solid mass outside the liver touching it (adrenal, kidney, retroperitoneum)


#: Mean HU per tissue in (pre-contrast, arterial, portal venous, delayed).
TISSUE_HU: dict[Tissue, tuple[float, float, float, float]] = {
    Tissue.AIR: (-1000, -1000, -1000, -1000),
    Tissue.FAT: (-100, -100, -100, -100),
    Tissue.MUSCLE: (50, 55, 62, 60),
    Tissue.BOWEL: (35, 55, 75, 65),
    Tissue.LIVER: (55, 75, 110, 90),
    Tissue.SPLEEN: (45, 115, 120, 100),
    Tissue.KIDNEY_CORTEX: (32, 180, 170, 130),
    Tissue.KIDNEY_MEDULLA: (32, 70, 160, 140),
    Tissue.AORTA: (40, 300, 160, 115),
    Tissue.INFERIOR_VENA_CAVA: (40, 90, 150, 115),
    Tissue.PORTAL_VEIN: (40, 140, 175, 120),
    Tissue.HEPATIC_VEIN: (40, 55, 150, 115),
    Tissue.CORTICAL_BONE: (800, 800, 800, 800),
    Tissue.CANCELLOUS_BONE: (220, 225, 230, 228),
    Tissue.SPINAL_CANAL: (15, 15, 18, 18),
    Tissue.STOMACH_WALL: (40, 90, 95, 80),
    Tissue.STOMACH_CONTENT: (10, 10, 10, 10),
    Tissue.GAS: (-950, -950, -950, -950),
    Tissue.DISC: (85, 88, 92, 92),
    Tissue.EXTRAHEPATIC_MASS: (38, 70, 80, 76),  # a moderately enhancing soft-tissue tumour
}


class LesionType(str, Enum):
    """Lesion types the phantom draws, each with its typical enhancement pattern."""

    HCC = "hcc"
    HEMANGIOMA = "hemangioma"
    CYST = "cyst"
    METASTASIS = "metastasis"
    FNH = "fnh"


class Compartment(int, Enum):
    """Parts of a lesion that enhance differently."""

    CORE = 1
    RIM = 2  # metastasis: the enhancing periphery
    CAPSULE = 3  # HCC: enhancing capsule (outer shell)
    NODULE = 4  # hemangioma: enhancing (blood-pool) part, grows phase by phase
    SCAR = 5  # FNH: central scar


#: HU of lesion compartments per phase (pre, arterial, portal venous, delayed); hemangioma nodules use the
#: aorta's blood-pool values and are not listed.
LESION_HU: dict[LesionType, dict[Compartment, tuple[float, float, float, float]]] = {
    LesionType.HCC: {Compartment.CORE: (42, 125, 88, 68), Compartment.CAPSULE: (45, 62, 135, 130)},
    LesionType.HEMANGIOMA: {Compartment.CORE: (38, 40, 45, 50)},
    LesionType.CYST: {Compartment.CORE: (5, 5, 6, 6)},
    LesionType.METASTASIS: {Compartment.CORE: (38, 48, 58, 78), Compartment.RIM: (42, 110, 88, 62)},
    LesionType.FNH: {Compartment.CORE: (52, 150, 114, 92), Compartment.SCAR: (35, 50, 75, 112)},
}

#: Blood-pool fraction reached by a hemangioma's enhancing nodules (of the aortic HU above pre-contrast).
HEMANGIOMA_POOL_FRACTION = 0.9


#: The LI-RADS v2018 features each type shows, as named in hepatica's LI-RADS input (issue #5's schema).
EXPECTED_LIRADS_FEATURES: dict[LesionType, dict[str, object]] = {
    LesionType.HCC: {
        "aphe": "nonrim",
        "washout": "nonperipheral",
        "capsule": True,
        "benign": None,
        "lr_m_features": [],
    },
    LesionType.HEMANGIOMA: {
        "aphe": "none",
        "washout": "none",
        "capsule": False,
        "benign": "definite",
        "lr_m_features": [],
    },
    LesionType.CYST: {"aphe": "none", "washout": "none", "capsule": False, "benign": "definite", "lr_m_features": []},
    LesionType.METASTASIS: {
        "aphe": "rim",
        "washout": "peripheral",
        "capsule": False,
        "benign": None,
        "lr_m_features": ["rim APHE", "peripheral washout", "delayed central enhancement"],
    },
    LesionType.FNH: {"aphe": "nonrim", "washout": "none", "capsule": False, "benign": None, "lr_m_features": []},
}


def phase_index(phase: Phase) -> int:
    """Position of ``phase`` in the tuples above."""
    return PHASES.index(phase)
