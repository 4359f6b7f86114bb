"""TotalSegmentator backend: label mapping checked on TotalSegmentator's own output, and a clear message when
TotalSegmentator or its weights are missing (its weights cannot be downloaded here)."""

import importlib.util

import numpy as np
import pytest

from hepatica.errors import BackendUnavailableError
from hepatica.io import Volume, load_dicom_series, scan_dicom_folder
from hepatica.segment import get_backend
from hepatica.segment.totalsegmentator import (
    couinaud_from_segments,
    labels_on_grid,
    liver_from_total,
    vessels_and_tumour,
)
from tests.conftest import shared


def test_total_task_liver_maps_onto_the_dicom_grid():
    ct = load_dicom_series(scan_dicom_folder(shared("totalsegmentator/example_ct_dicom")).series[0])
    labels = labels_on_grid(shared("totalsegmentator/example_seg_dicom.nii.gz"), ct)  # stored LAS, CT is LPS
    liver = liver_from_total(labels)
    assert liver.same_grid(ct) and set(np.unique(liver.array)) == {0, 1}
    assert int(liver.array.sum()) == 366_708
    assert 60 < np.median(ct.array[liver.array > 0]) < 120  # enhanced liver parenchyma, in HU
    assert np.median(ct.array[labels.array == 52]) > 140  # aorta lands on contrast-filled blood


def test_vessel_tumour_and_segment_labels():
    labels = Volume(np.array([0, 1, 2, 3, 8, 9], np.uint8).reshape(1, 1, 6), (1.0, 1.0, 1.0), (0.0,) * 3)
    vessels, tumour = vessels_and_tumour(labels)
    assert vessels.array.ravel().tolist() == [0, 1, 0, 0, 0, 0]
    assert tumour.array.ravel().tolist() == [0, 0, 1, 0, 0, 0]
    assert couinaud_from_segments(labels).array.ravel().tolist() == [0, 1, 2, 3, 8, 0]


@pytest.mark.skipif(importlib.util.find_spec("totalsegmentator") is not None, reason="TotalSegmentator installed")
def test_missing_totalsegmentator_says_what_to_install():
    with pytest.raises(BackendUnavailableError, match=r"pip install 'hepatica\[totalsegmentator\]'"):
        get_backend("totalsegmentator")


def test_unknown_backend_is_named():
    with pytest.raises(BackendUnavailableError, match="choose one of bundled, totalsegmentator"):
        get_backend("nnunet")
