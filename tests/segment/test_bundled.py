"""The bundled backend on real CT against expert and reference masks, and its input errors."""

import numpy as np
import pytest

from hepatica.errors import SegmentationInputError
from hepatica.evaluate import detect_lesions, overlap_metrics
from hepatica.io import Volume, load_dicom_series, scan_dicom_folder
from hepatica.segment import segment
from hepatica.segment.totalsegmentator import labels_on_grid, liver_from_total
from tests.conftest import shared


def _series(folder):
    return load_dicom_series(scan_dicom_folder(folder).series[0])


@pytest.fixture(scope="module")
def ircad(ircad_masks):
    """IRCAD patient 1, its segmentation by the bundled backend, and the expert masks."""
    ct = _series(shared("ircad/3Dircadb1.1/PATIENT_DICOM"))
    masks = {}
    for name in ["liver", "liverkyst"] + [f"livertumor0{n}" for n in range(1, 8)]:
        masks[name] = _series(ircad_masks / name).array > 0
    return ct, segment(ct), masks


@pytest.fixture(scope="session")
def ircad_masks(tmp_path_factory):
    import zipfile

    target = tmp_path_factory.mktemp("ircad_all_masks")
    with zipfile.ZipFile(shared("ircad/3Dircadb1.1/MASKS_DICOM.zip")) as z:
        z.extractall(
            target,
            members=[
                n
                for n in z.namelist()
                if n.startswith(("MASKS_DICOM/liver/", "MASKS_DICOM/liverkyst/", "MASKS_DICOM/livertumor0"))
            ],
        )
    return target / "MASKS_DICOM"


def test_ircad_liver_against_the_expert_mask(ircad):
    ct, result, masks = ircad
    metrics = overlap_metrics(result.liver, ct.with_array(masks["liver"].astype(np.uint8)))
    assert metrics.dice >= 0.95  # measured 0.971
    assert metrics.hd95_mm < 10
    assert abs(metrics.volume_error_percent) < 5


def test_ircad_tumours_detected_at_least_80_percent_from_10_mm_without_false_positives(ircad):
    ct, result, masks = ircad
    tumours = np.any([masks[f"livertumor0{n}"] for n in range(1, 8)], axis=0)
    detection = detect_lesions(
        result.lesions,
        ct.with_array(tumours.astype(np.uint8)),
        ignore=ct.with_array(masks["liverkyst"].astype(np.uint8)),
    )
    assert len(detection.matches) == 7
    assert detection.sensitivity(min_diameter_mm=10) >= 0.8  # measured 5/6
    assert detection.false_positives <= 1  # measured 0 (the prediction on the cyst is ignored)
    assert overlap_metrics(result.lesions, ct.with_array(tumours.astype(np.uint8))).dice >= 0.8  # measured 0.853
    assert not np.any((result.lesions.array > 0) & (result.liver.array == 0))  # lesions lie in the liver


def test_totalsegmentator_contrast_ct_liver_against_totalsegmentator():
    ct = _series(shared("totalsegmentator/example_ct_dicom"))
    reference = liver_from_total(labels_on_grid(shared("totalsegmentator/example_seg_dicom.nii.gz"), ct))
    result = segment(ct, lesions=False)
    assert overlap_metrics(result.liver, reference).dice >= 0.95  # measured 0.970 on this 40 mm slab
    assert result.liver.same_grid(ct)


def test_non_ct_is_refused():
    mr = Volume(np.zeros((4, 8, 8), np.int16), (1.0, 1.0, 1.0), (0.0,) * 3, metadata={"modality": "MR"})
    with pytest.raises(SegmentationInputError, match="segments CT; this series is MR"):
        segment(mr)


def test_image_without_a_body_is_refused():
    air = Volume(np.full((10, 40, 40), -1000, np.int16), (1.0, 1.0, 3.0), (0.0,) * 3, metadata={"modality": "CT"})
    with pytest.raises(SegmentationInputError, match="no body found"):
        segment(air)
