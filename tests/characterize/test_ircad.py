"""Real single-phase CT (IRCAD patient 1, portal venous only), with the expert's liver, tumour and cyst masks.

Not asserted: that the cyst reads as water, because it does not. IRCAD's cyst is 4.7 mm (108 voxels at
0.57 x 0.57 x 1.6 mm, 3 slices) and measures 80 HU median (53 HU in its core) against 112 HU liver. A
partial-volume fit (a blurred sphere of free centre, radius and attenuation; in-plane blur 0.65 mm measured on the
body outline) gives a 4.0 mm sphere of 25-51 HU depending on the assumed slice profile (Gaussian sigma 1.0 to
0.68 mm), which is not water (<= 20 HU) either. The evidence says that partial volume biases small lesions."""

from types import SimpleNamespace

import numpy as np
import pytest

from hepatica.characterize.study import study_lirads
from hepatica.io import load_dicom_series, load_study, scan_dicom_folder
from hepatica.measure.lesions import find_lesions
from hepatica.report.results import characterization, lirads_summary
from tests.conftest import shared


def _mask(folder):
    return load_dicom_series(scan_dicom_folder(folder).series[0])


@pytest.fixture(scope="module")
def summary(ircad_masks):
    study = load_study(shared("ircad/3Dircadb1.1/PATIENT_DICOM"))
    reference = study.series[0].volume
    liver = _mask(ircad_masks / "liver")
    labels = np.zeros(reference.array.shape, dtype=np.uint8)
    labels[_mask(ircad_masks / "livertumor01").array > 0] = 1
    labels[_mask(ircad_masks / "liverkyst").array > 0] = 2
    lirads = study_lirads(study, reference, find_lesions(liver, reference.with_array(labels)), high_risk=True)
    summary = lirads_summary(lirads)  # as result.json holds it
    return SimpleNamespace(
        phases=summary.phases,
        missing_phases=summary.missing_phases,
        lesions=[SimpleNamespace(id=label, **dict(characterization(e))) for label, e in lirads.lesions.items()],
    )


def test_single_phase_study_names_the_missing_phases_and_gives_lr_nc(summary):
    assert summary.phases == ["portal_venous"]
    assert summary.missing_phases == ["arterial", "delayed"]
    assert summary.lesions and all(lesion.category == "LR-NC" for lesion in summary.lesions)
    assert all("required phases missing: arterial, delayed" in lesion.reasons[0] for lesion in summary.lesions)
    assert all(lesion.features["aphe"].value is None for lesion in summary.lesions)


def test_the_small_cyst_is_reported_with_its_attenuation_and_the_partial_volume_caveat(summary):
    cyst = next(lesion for lesion in summary.lesions if lesion.id == 2)  # label 2: the expert's cyst
    water = cyst.features["water_density"]
    assert "portal venous" in water.evidence
    assert "partial volume pulls its attenuation toward the liver" in water.evidence
