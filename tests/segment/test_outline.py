"""Outlines redrawn at half contrast on a blurred lesion of known size."""

import numpy as np
from scipy import ndimage

from hepatica.segment.outline import redraw_outline
from hepatica.segment.refine import Parenchyma

SPACING = (1.0, 1.0, 1.0)


def _ball(shape, centre, radius):
    grid = np.indices(shape).transpose(1, 2, 3, 0)
    return np.linalg.norm(grid - np.asarray(centre), axis=-1) <= radius


def _diameter(mask):
    return float(mask.any(axis=(1, 2)).sum())  # extent along axis 0, voxels of 1 mm


def test_a_network_core_grows_to_the_lesions_blurred_edge():
    shape = (50, 50, 50)
    truth = _ball(shape, (25, 25, 25), 10)  # 21 voxels across
    hu = np.where(truth, 60.0, 110.0).astype(np.float32)
    hu = ndimage.gaussian_filter(hu, 1.2) + np.random.default_rng(1).normal(0, 8, shape).astype(np.float32)
    core = _ball(shape, (25, 25, 25), 7)
    liver = np.ones(shape, dtype=bool)
    redrawn = redraw_outline(
        hu, core, liver, np.zeros(shape, bool), Parenchyma(110.0, 4.0, 8.0), SPACING, 110.0, -50.0, 14.0
    )
    assert abs(_diameter(redrawn) - _diameter(truth)) <= 2
    assert (redrawn & ~truth).sum() < 0.15 * truth.sum()


def test_a_lesion_without_contrast_keeps_its_outline():
    shape = (30, 30, 30)
    core = _ball(shape, (15, 15, 15), 5)
    hu = np.random.default_rng(2).normal(100, 8, shape).astype(np.float32)
    same = redraw_outline(
        hu, core, np.ones(shape, bool), np.zeros(shape, bool), Parenchyma(100.0, 4.0, 8.0), SPACING, 100.0, 3.0, 10.0
    )
    assert np.array_equal(same, core)
