"""Real single-phase CT (IRCAD patient 1, portal venous only), with the expert's liver, tumour and cyst masks.

Not asserted yet: that the cyst reads as water. IRCAD's cyst is 4.7 mm (108 voxels at 0.57 x 0.57 x 1.6 mm) and
measures 80 HU median (53 HU in its core) against 112 HU liver: partial volume and ~20 HU noise keep every part
of it far from water, and a partial-volume correction from the expert's mask gives 65-71 HU."""

import numpy as np
import pytest

from hepatica.characterize.study import study_lirads
from hepatica.io import load_dicom_series, load_study, scan_dicom_folder
from hepatica.measure.lesions import label_lesions, measure_liver_and_lesions
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
    lesions = reference.with_array(labels)
    instances = label_lesions(lesions)
    sizes = {m.label: m.longest_3d_diameter_mm for m in measure_liver_and_lesions(liver, instances).lesions}
    return study_lirads(study, reference, liver, lesions, sizes, high_risk=True)


def test_single_phase_study_names_the_missing_phases_and_gives_lr_nc(summary):
    assert summary.phases == ["portal_venous"]
    assert summary.missing_phases == ["arterial", "delayed"]
    assert summary.lesions and all(lesion.category == "LR-NC" for lesion in summary.lesions)
    assert all("required phases missing: arterial, delayed" in lesion.reasons[0] for lesion in summary.lesions)
    assert all(lesion.features["aphe"].value is None for lesion in summary.lesions)
