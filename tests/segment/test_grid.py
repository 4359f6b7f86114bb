"""Centred-grid resampling: the grid the bundled models were trained on."""

import numpy as np
import pytest

from hepatica.segment.grid import CentredAxis, centred_back, resample_centred


def test_new_grid_shares_the_centre_and_rounds_the_size_up():
    axis = CentredAxis(old_size=10, old_spacing=0.7, new_spacing=3.0)
    assert axis.new_size == 3  # ceil(7 mm / 3 mm)
    assert axis.new_to_old_index(1) == pytest.approx(4.5)  # middle new voxel on the old centre
    assert axis.new_to_old_index(0) == pytest.approx(4.5 - 3 / 0.7)


def test_downsampling_averages_boxes_and_keeps_constants():
    array = np.arange(12, dtype=np.float32).reshape(12, 1, 1) * np.ones((1, 2, 2), np.float32)
    out = resample_centred(array, (1.0, 1.0, 1.0), (3.0, 1.0, 1.0))
    assert out.shape == (4, 2, 2)
    assert out[:, 0, 0] == pytest.approx([1, 4, 7, 10])  # means of 0-2, 3-5, 6-8, 9-11
    flat = resample_centred(np.full((7, 5, 9), 42.0, np.float32), (0.8, 0.8, 2.5), (1.5, 1.5, 1.5))
    assert flat == pytest.approx(42.0)  # partly covered edge voxels are renormalised, not darkened


def test_linear_ramp_survives_a_round_trip():
    x = np.linspace(-1, 1, 40, dtype=np.float32)
    ramp = x[:, None, None] * np.ones((1, 3, 3), np.float32)
    coarse = resample_centred(ramp, (1.0, 1.0, 1.0), (2.0, 1.0, 1.0))
    back = centred_back(coarse, ramp.shape, (1.0, 1.0, 1.0), (2.0, 1.0, 1.0))
    assert back.shape == ramp.shape
    assert back[2:-2] == pytest.approx(ramp[2:-2], abs=1e-5)  # linear data, linear interpolation: exact inside
