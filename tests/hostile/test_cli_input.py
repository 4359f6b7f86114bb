"""Odd input given to the command line and the pipeline: each case once gave a confident result (or a traceback)
and now gives a specific error (exit 2) or a warning in the result. Files are made at test time."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from hepatica.errors import ImageValuesError, ModalityError
from hepatica.io.dicom import load_dicom_series, scan_dicom_folder
from hepatica.io.files import read_image, write_image
from hepatica.io.seg import read_dicom_seg, write_dicom_seg
from hepatica.io.study import load_study
from hepatica.io.values import replace_non_finite, require_ct_values
from hepatica.options import AnalysisOptions
from hepatica.pipeline import run_analysis
from tests.conftest import shared


def _hepatica(*args):
    return subprocess.run([sys.executable, "-m", "hepatica", *args], capture_output=True, text=True)


def test_an_all_nan_image_is_refused_with_exit_2(small_phantom, tmp_path):
    image = small_phantom.phases[next(iter(small_phantom.phases))]
    path = write_image(image.with_array(np.full(image.array.shape, np.nan, np.float32)), tmp_path / "pv.nii.gz")
    run = _hepatica("analyze", f"portal_venous={path}", "--out", str(tmp_path / "out"), "--quiet")
    assert run.returncode == 2, run.stderr
    assert "100.0 % of its voxels are not numbers" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "out" / "result.json").exists()
    print(f"exit {run.returncode}: " + " ".join((run.stdout + run.stderr).split()))


def test_a_nan_block_is_set_aside_and_reported_with_its_slices(small_phantom, tmp_path):
    image = small_phantom.phases[next(iter(small_phantom.phases))]
    array = image.array.astype(np.float32)
    array[10:13, 50:60, 40:50] = np.nan  # 300 voxels, slices 11-13
    write_image(image.with_array(array), tmp_path / "portal_venous.nii.gz")
    study = load_study([tmp_path / "portal_venous.nii.gz"])
    values = study.series[0].volume.array
    assert np.isfinite(values).all()
    assert values[10:13, 50:60, 40:50].max() == values.min()  # the lowest value (air): nothing found there
    assert len(study.warnings) == 1
    assert "300 voxels" in study.warnings[0] and "slices 11-13 of" in study.warnings[0]
    print(study.warnings[0])


def test_an_image_mostly_of_nan_is_refused(small_phantom):
    image = small_phantom.phases[next(iter(small_phantom.phases))]
    array = image.array.astype(np.float32)
    array[: array.shape[0] // 10] = np.inf
    with pytest.raises(ImageValuesError, match="not numbers"):
        replace_non_finite(image.with_array(array), "the image")


def test_a_crop_through_the_liver_warns_that_the_volume_is_partial(small_phantom, tmp_path):
    """Five slices through the liver (the user's masks, so that only the check is tested): the result's top-level
    warnings and its QC say the field of view does not cover the liver."""
    liver_slices = np.flatnonzero(small_phantom.liver.array.any(axis=(1, 2)))
    middle = int(liver_slices[len(liver_slices) // 2])
    crop = slice(middle - 2, middle + 3)
    files = {}
    for name, volume in {
        "portal_venous": next(iter(small_phantom.phases.values())),
        "liver": small_phantom.liver,
        "lesions": small_phantom.lesion_labels,
    }.items():
        cropped = type(volume)(
            volume.array[crop].copy(),
            volume.spacing,
            volume.index_to_physical(np.array([0, 0, crop.start])),
            volume.direction,
        )
        files[name] = write_image(cropped, tmp_path / f"{name}.nii.gz")
    analysis = run_analysis(
        {"portal_venous": files["portal_venous"]},
        AnalysisOptions(lirads=False, radiomics=False),
        liver_mask=files["liver"],
        lesion_mask=files["lesions"],
    )
    assert any("does not cover the whole liver" in w and "lower bound" in w for w in analysis.warnings)
    assert "liver coverage" in [check.name for check in analysis.quality.flags]
    print(next(w for w in analysis.warnings if "does not cover" in w))


def test_an_mr_image_given_as_ct_is_refused_with_what_it_looks_like(tmp_path):
    mr = shared("totalsegmentator/example_mr_sm.nii.gz")
    run = _hepatica("analyze", f"portal_venous={mr}", "--out", str(tmp_path / "out"), "--quiet")
    assert run.returncode == 2, run.stderr
    message = " ".join((run.stdout + run.stderr).split())
    assert "does not hold CT Hounsfield units" in message and "looks like an MR image" in message
    print(f"exit {run.returncode}: {message}")
    with pytest.raises(ModalityError):
        require_ct_values(read_image(mr), "the MR example")
    # the real CT examples pass the same check
    require_ct_values(read_image(shared("totalsegmentator/example_ct_sm.nii.gz")), "the CT example")


def test_an_mr_dicom_series_is_refused_by_its_modality(small_phantom):
    image = next(iter(small_phantom.phases.values()))
    with pytest.raises(ModalityError, match="is MR"):
        require_ct_values(image.with_array(image.array, modality="MR"), "Series S1")


def test_a_seg_is_written_for_dicom_files_with_an_empty_sop_class_uid(tmp_path):
    """TotalSegmentator's example CT has SOPClassUID '' in every file (its file meta names CT Image Storage); the
    SEG once crashed inside highdicom with KeyError ''."""
    folder = shared("totalsegmentator/example_ct_dicom")
    copy = shutil.copytree(folder, tmp_path / "ct")
    ct = load_dicom_series(scan_dicom_folder(copy).series[0])
    mask = ct.with_array((ct.array > 100).astype(np.uint8))
    seg = write_dicom_seg({"liver": mask}, ct, tmp_path / "seg.dcm")
    back = read_dicom_seg(seg, ct)
    assert np.array_equal(back["liver"].array > 0, mask.array > 0)
    files = sum(1 for path in copy.rglob("*") if path.is_file())
    print(f"SEG of {files} files whose SOPClassUID is empty: {seg.stat().st_size} bytes, liver read back equal")


def test_serving_beyond_this_machine_from_a_missing_folder_says_what_to_do(tmp_path):
    """`hepatica serve --data NEW --host 0.0.0.0` once printed a traceback; it exits 2 naming the token command and
    starts no server (nothing listens)."""
    done = _hepatica("serve", "--data", str(tmp_path / "new"), "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "hepatica token create" in done.stderr + done.stdout
    print((done.stderr + done.stdout).strip())


def test_a_ct_with_a_wrong_rescale_is_refused_as_not_calibrated(small_phantom, tmp_path):
    """A CT written with its values multiplied by 1000 still holds 'air', but its body is nowhere near soft tissue:
    refused (exit 2) instead of segmented."""
    image = small_phantom.phases[next(iter(small_phantom.phases))]
    path = write_image(image.with_array(image.array.astype(np.float32) * 1000), tmp_path / "pv.nii.gz")
    run = _hepatica("analyze", f"portal_venous={path}", "--out", str(tmp_path / "out"), "--quiet")
    message = " ".join((run.stdout + run.stderr).split())
    assert run.returncode == 2, run.stderr
    assert "is not calibrated in Hounsfield units" in message and "Traceback" not in message
    require_ct_values(image, "the phantom as written")  # the same image in HU passes
    print(f"exit {run.returncode}: {message}")
