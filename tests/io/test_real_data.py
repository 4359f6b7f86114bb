"""Study I/O on the real files in ../shared/data (skipped with a reason where they are absent)."""

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from hepatica.errors import GridMismatchError
from hepatica.io import (
    Phase,
    load_dicom_series,
    load_study,
    read_dicom_seg,
    read_image,
    read_mask,
    resample_to_grid,
    scan_dicom_folder,
)
from tests.conftest import shared


def test_ircad_ct_and_liver_mask_share_one_grid_and_give_the_liver_volume(ircad_masks):
    study = load_study(shared("ircad/3Dircadb1.1/PATIENT_DICOM"))
    ct = study.series[0].volume
    assert ct.size == (512, 512, 129)
    assert ct.spacing == pytest.approx((0.57, 0.57, 1.6), abs=1e-6)
    assert ct.orientation_code() == "LPS"
    mask = load_dicom_series(scan_dicom_folder(ircad_masks / "liver").series[0])
    assert mask.same_grid(ct)
    hepatica_ml = float((mask.array > 0).sum()) * mask.voxel_volume_ml

    # Independent computation: raw 8-bit pixel bytes of every mask file, pixel area and slice step from headers.
    voxels, z_positions = 0, []
    for path in (ircad_masks / "liver").iterdir():
        ds = pydicom.dcmread(path)
        assert ds.BitsAllocated == 8
        voxels += int(np.count_nonzero(np.frombuffer(ds.PixelData, dtype=np.uint8)))
        z_positions.append(float(ds.ImagePositionPatient[2]))
        row_mm, col_mm = (float(v) for v in ds.PixelSpacing)
    step_mm = (max(z_positions) - min(z_positions)) / (len(z_positions) - 1)
    independent_ml = voxels * row_mm * col_mm * step_mm / 1000.0
    assert independent_ml == pytest.approx(1489.41, abs=0.05)
    assert hepatica_ml == pytest.approx(independent_ml, rel=1e-6)
    # The expert liver mask sits on enhanced liver parenchyma (portal-venous CT): median about 112 HU.
    assert 90 < np.median(ct.array[mask.array > 0]) < 130


def test_ircad_single_series_has_unknown_phase_unless_told(ircad_masks):
    study = load_study(shared("ircad/3Dircadb1.1/PATIENT_DICOM"))
    assert study.series[0].phase.phase is Phase.UNKNOWN
    assert study.missing_phases() == [Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED]
    told = load_study(shared("ircad/3Dircadb1.1/PATIENT_DICOM"), phases={"S1": "portal venous"})
    assert told.series[0].phase.phase is Phase.PORTAL_VENOUS and told.series[0].phase.source == "user"


def test_totalsegmentator_dicom_agrees_in_orientation_with_its_nifti_segmentation():
    study = load_study(shared("totalsegmentator/example_ct_dicom"))
    ct = study.series[0].volume  # JPEG 2000 compressed, every UID emptied by anonymisation
    assert ct.size == (512, 512, 20)
    assert ct.spacing == pytest.approx((0.9765625, 0.9765625, 2.0))  # slice step from positions, not thickness 3
    assert ct.orientation_code() == "LPS"
    assert study.series[0].phase.phase is Phase.PORTAL_VENOUS  # 96 s after the bolus
    seg_path = shared("totalsegmentator/example_seg_dicom.nii.gz")
    seg = read_image(seg_path)
    assert seg.orientation_code() == "LAS"
    with pytest.raises(GridMismatchError, match="orientation LPS vs LAS"):
        read_mask(seg_path, ct)
    on_ct = resample_to_grid(seg, ct, interpolation="nearest")
    raw = sitk.GetArrayFromImage(sitk.ReadImage(str(seg_path)))  # NIfTI storage order, no reorientation
    assert np.array_equal(on_ct.array, raw[:, ::-1, :])  # the same voxels with the row axis flipped
    liver, aorta = on_ct.array == 5, on_ct.array == 52
    assert liver.sum() == 366708
    assert 80 < ct.array[liver].mean() < 100  # enhanced liver
    assert ct.array[aorta].mean() > 150  # contrast in the aorta
    # Read without the flip, the same labels would fall on fat and air:
    assert ct.array[raw == 52].mean() < -100


def test_dcmqi_three_slice_ct_and_its_dicom_seg_align():
    ct = load_study(shared("dcmqi_liver/ct-3slice")).series[0].volume
    assert ct.size == (512, 512, 3)
    liver = read_dicom_seg(shared("dcmqi_liver/liver.dcm"), reference=ct)["Liver"]
    assert liver.same_grid(ct)
    assert liver.array.sum(axis=(1, 2)).tolist() == [36233, 35645, 35220]  # inferior to superior
    nrrd = read_mask(shared("dcmqi_liver/liver_seg.nrrd"), ct)
    assert np.array_equal(nrrd.array > 0, liver.array > 0)
    # Without a reference, the SEG's own grid (slices ordered superior to inferior) maps to the same voxels.
    own = read_dicom_seg(shared("dcmqi_liver/liver.dcm"))["Liver"]
    assert own.orientation_code() == "LPI"
    assert np.array_equal(resample_to_grid(own, ct, "nearest").array, liver.array)
