"""Dice, surface distances and volume error on shapes with known answers."""

import numpy as np
import pytest

from hepatica.evaluate import overlap_metrics
from hepatica.io import Volume


def box(shape, start, stop):
    a = np.zeros(shape, np.uint8)
    a[tuple(slice(s, e) for s, e in zip(start, stop))] = 1
    return a


def test_identical_masks():
    a = Volume(box((20, 30, 30), (5, 5, 5), (15, 20, 20)), (1.0, 1.0, 2.0), (0.0, 0.0, 0.0))
    m = overlap_metrics(a, a)
    assert (m.dice, m.hd95_mm, m.average_surface_distance_mm, m.volume_error_percent) == (1.0, 0.0, 0.0, 0.0)


def test_shifted_box_on_an_anisotropic_grid():
    spacing = (0.8, 0.8, 3.0)  # x, y, z
    shape = (20, 40, 40)
    reference = Volume(box(shape, (5, 10, 10), (15, 30, 30)), spacing, (0.0, 0.0, 0.0))
    predicted = Volume(box(shape, (6, 10, 10), (16, 30, 30)), spacing, (0.0, 0.0, 0.0))  # one slice up: 3 mm
    m = overlap_metrics(predicted, reference)
    assert m.dice == pytest.approx(2 * 9 / 20)
    assert m.hd95_mm == pytest.approx(3.0)
    assert 0 < m.average_surface_distance_mm < 3.0
    assert m.volume_error_percent == 0.0


def test_sphere_against_a_larger_sphere():
    spacing = (1.0, 1.0, 1.0)
    k, j, i = np.mgrid[:60, :60, :60]
    r = np.sqrt((i - 30) ** 2 + (j - 30) ** 2 + (k - 30) ** 2)
    small, large = (r <= 15).astype(np.uint8), (r <= 18).astype(np.uint8)
    m = overlap_metrics(Volume(small, spacing, (0.0,) * 3), Volume(large, spacing, (0.0,) * 3))
    assert m.dice == pytest.approx(2 * 15**3 / (15**3 + 18**3), rel=0.02)
    assert m.hd95_mm == pytest.approx(3.0, abs=0.5)
    assert m.average_surface_distance_mm == pytest.approx(3.0, abs=0.5)
    assert m.volume_error_percent == pytest.approx(100 * (15**3 - 18**3) / 18**3, rel=0.03)


def test_empty_prediction_has_infinite_distance():
    ref = Volume(box((10, 10, 10), (2, 2, 2), (5, 5, 5)), (1.0, 1.0, 1.0), (0.0,) * 3)
    m = overlap_metrics(ref.with_array(np.zeros((10, 10, 10), np.uint8)), ref)
    assert m.dice == 0.0 and m.hd95_mm == float("inf")
