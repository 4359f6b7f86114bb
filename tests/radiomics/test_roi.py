"""ROI construction and IBSI discretisation on values with known bins."""

import numpy as np
import pytest

from hepatica.radiomics import RadiomicsInputError, Roi, discretise


def _roi(values):
    image = np.asarray(values, dtype=float).reshape(1, 1, -1)
    return Roi.from_arrays(image, np.ones_like(image), (1.0, 1.0, 1.0))


def test_fixed_bin_number_spreads_minimum_to_maximum():
    result = discretise(_roi(np.arange(10)), "fixed_bin_number", bins=5)
    assert result.values.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5] and result.n_levels == 5


def test_fixed_bin_size_starts_at_the_lower_bound():
    result = discretise(_roi([-500, -476, -475, 0, 24, 25]), "fixed_bin_size", bin_width=25, lower_bound=-500)
    assert result.values.tolist() == [1, 1, 2, 21, 21, 22]


def test_constant_roi_is_one_grey_level():
    assert discretise(_roi([7, 7, 7]), "fixed_bin_number", bins=32).values.tolist() == [1, 1, 1]


def test_bad_input_says_what_to_fix():
    with pytest.raises(RadiomicsInputError, match="empty"):
        Roi.from_arrays(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), (1, 1, 1))
    with pytest.raises(RadiomicsInputError, match="below the lower bound"):
        discretise(_roi([-600, 0]), "fixed_bin_size", bin_width=25, lower_bound=-500)
    with pytest.raises(RadiomicsInputError, match="integer"):
        discretise(_roi([1.5, 2]), "none")
    with pytest.raises(RadiomicsInputError, match="unknown discretisation"):
        discretise(_roi([1, 2]), "equal_probability")
