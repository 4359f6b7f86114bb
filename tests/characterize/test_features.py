"""Feature rules on a synthetic lesion in uniform liver, one kinetic pattern per test (values of the phantom's
kinetics table, textbook patterns; small noise)."""

import numpy as np
import pytest

from hepatica.characterize.enhancement import measure_enhancement
from hepatica.characterize.features import lesion_features
from hepatica.characterize.observation import observation_from_features
from hepatica.io.phase import Phase
from hepatica.lirads import categorize

PHASES = (Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)
LIVER = (55, 75, 110, 90)
SPACING = (2.5, 1.0, 1.0)


def lesion_study(core, shell=None, shell_mm=2.5, radius_mm=9.0, phases=PHASES, noise=4.0, seed=0):
    shape = (24, 64, 64)
    z, y, x = np.indices(shape) * np.asarray(SPACING)[:, None, None, None]
    distance = np.sqrt((z - 30) ** 2 + (y - 32) ** 2 + (x - 32) ** 2)
    lesion = distance <= radius_mm
    rim = lesion & (distance > radius_mm - shell_mm)
    rng = np.random.default_rng(seed)
    images = {}
    for phase in phases:
        p = PHASES.index(phase)
        image = np.full(shape, LIVER[p], dtype=np.float32)
        image[lesion] = core[p]
        if shell is not None:
            image[rim] = shell[p]
        images[phase] = image + rng.normal(0, noise, shape).astype(np.float32)
    liver = np.ones(shape, dtype=bool)
    return images, lesion, liver


def characterize(images, lesion, liver, size_mm=18.0):
    features = lesion_features(measure_enhancement(images, lesion, liver, SPACING))
    return features, categorize(observation_from_features(features, size_mm))


def test_hcc_has_nonrim_aphe_washout_and_capsule():
    features, result = characterize(*lesion_study(core=(42, 125, 88, 68), shell=(45, 62, 135, 130)))
    assert (features.aphe.value, features.washout.value, features.capsule.value) == ("nonrim", "nonperipheral", True)
    above = int(features.aphe.evidence.split()[1])  # "lesion 49 HU above liver in arterial phase"
    assert 45 <= above <= 55 and features.aphe.evidence.endswith("above liver in arterial phase")
    assert features.aphe.confidence > 0.99
    assert result.category == "LR-5" and features.lesion_type == "hcc"
    assert "Non-rim APHE: lesion" in " ".join(result.reasons)


def test_metastasis_is_targetoid_lr_m():
    features, result = characterize(*lesion_study(core=(38, 48, 58, 78), shell=(42, 110, 88, 62), shell_mm=3.0))
    assert (features.aphe.value, features.washout.value) == ("rim", "peripheral")
    assert result.category == "LR-M" and features.lesion_type == "metastasis"


def test_fnh_has_aphe_without_washout_or_capsule():
    features, result = characterize(*lesion_study(core=(52, 150, 114, 92)), size_mm=25.0)
    assert (features.aphe.value, features.washout.value, features.capsule.value) == ("nonrim", "none", False)
    assert result.category == "LR-4" and features.lesion_type == "fnh"


def test_simple_cyst_is_water_without_enhancement_and_lr1():
    features, result = characterize(*lesion_study(core=(5, 5, 6, 6)))
    assert features.water_density.value and features.simple_cyst.value
    assert features.washout.value == "none"  # hypoattenuating later, but it never enhanced
    assert result.category == "LR-1" and "simple cyst" in result.reasons[0]


def test_single_portal_venous_phase_gives_lr_nc_and_still_water_density():
    features, result = characterize(*lesion_study(core=(5, 5, 6, 6), phases=(Phase.PORTAL_VENOUS,)))
    assert [p.value for p in features.missing_phases] == ["arterial", "delayed"]
    assert features.aphe.value is None and features.water_density.value
    assert result.category == "LR-NC" and "arterial, delayed" in result.reasons[0]


@pytest.mark.parametrize("noise", [2.0, 20.0])
def test_confidence_falls_with_noise(noise):
    features, _ = characterize(*lesion_study(core=(42, 100, 88, 68), noise=noise))
    assert features.aphe.value == "nonrim"
    assert (features.aphe.confidence > 0.99) if noise == 2.0 else (features.aphe.confidence < 0.99)
