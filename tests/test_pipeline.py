"""The pipeline with the user's own masks: IRCAD patient 1 (real CT) with its expert liver and lesion masks gives
the expert's lesion table; a mask of another study is refused; a lesion mask alone keeps the bundled liver."""

import numpy as np
import pytest

from hepatica.io import load_dicom_series, scan_dicom_folder
from hepatica.io.files import read_image, write_image
from hepatica.io.masks import MaskMismatchError
from hepatica.options import AnalysisOptions
from hepatica.pipeline import analyze
from tests.conftest import shared

EXPERT_LESIONS = [f"livertumor0{n}" for n in range(1, 8)] + ["liverkyst"]
QUICK = AnalysisOptions(radiomics=False, pdf=False)


def _mask(folder):
    return load_dicom_series(scan_dicom_folder(folder).series[0])


@pytest.fixture(scope="module")
def expert_masks(ircad_masks, tmp_path_factory):
    """IRCAD 1's expert liver and its 8 lesions (7 tumours and the cyst, one value each) as NIfTI files."""
    folder = tmp_path_factory.mktemp("expert")
    liver = _mask(ircad_masks / "liver")
    labels = np.zeros(liver.array.shape, np.uint8)
    volumes = {}
    for value, name in enumerate(EXPERT_LESIONS, start=1):
        inside = _mask(ircad_masks / name).array > 0
        labels[inside] = value
        volumes[name] = float(inside.sum()) * liver.voxel_volume_ml
    liver_file = write_image(liver.with_array((liver.array > 0).astype(np.uint8)), folder / "liver.nii.gz")
    lesion_file = write_image(liver.with_array(labels), folder / "lesions.nii.gz")
    return liver_file, lesion_file, volumes, float((liver.array > 0).sum()) * liver.voxel_volume_ml


def test_the_expert_masks_give_the_expert_lesion_table(expert_masks, tmp_path):
    liver_file, lesion_file, volumes, liver_ml = expert_masks
    outputs = analyze(
        shared("ircad/3Dircadb1.1/PATIENT_DICOM"),
        tmp_path / "out",
        QUICK,
        liver_mask=liver_file,
        lesion_mask=lesion_file,
    )
    result = outputs.result
    seg = result.segmentation
    assert seg.liver_from == seg.lesions_from == "user mask" and seg.backend is None
    assert result.provenance.models == []  # no network ran
    assert sum(i.kind == "mask-file" for i in result.provenance.inputs) == 2
    assert seg.lesion_count == len(EXPERT_LESIONS) == 8
    expected = sorted(volumes.values(), reverse=True)
    assert [lesion.volume_ml for lesion in result.lesions] == pytest.approx(expected, rel=0.01)
    assert seg.liver_volume_ml == pytest.approx(liver_ml, rel=0.01)  # the lesions lie inside the expert liver
    assert all(lesion.lirads is not None and lesion.lirads.category == "LR-NC" for lesion in result.lesions)
    written = read_image(tmp_path / "out" / seg.files["lesions"])
    assert int(written.array.max()) == 8


def test_a_mask_of_another_study_is_refused_naming_the_mismatch(tmp_path):
    other = shared("totalsegmentator/example_seg.nii.gz")  # TotalSegmentator's abdomen CT labels
    with pytest.raises(MaskMismatchError) as refused:
        analyze(shared("ircad/3Dircadb1.1/PATIENT_DICOM"), tmp_path / "out", QUICK, liver_mask=other)
    message = str(refused.value)
    assert "example_seg.nii.gz" in message and "does not lie on this image" in message
    assert "size (512, 512, 129) vs (122, 101, 30) voxels" in message and "origin" in message
    assert not (tmp_path / "out" / "result.json").exists()


def test_a_lesion_mask_alone_keeps_the_segmented_liver(small_phantom, small_phantom_files, tmp_path):
    truth = small_phantom_files.root / "truth" / "lesions.nii.gz"
    result = analyze(
        small_phantom_files.dicom,
        tmp_path / "out",
        AnalysisOptions(radiomics=False, lirads=False, pdf=False),
        lesion_mask=truth,
    ).result
    seg = result.segmentation
    assert seg.liver_from == "bundled" and seg.lesions_from == "user mask"
    assert [m.name for m in result.provenance.models] == ["pyliverlesionseg-liver-unet"]  # no lesion network
    assert seg.lesion_count == len(small_phantom.lesions)
