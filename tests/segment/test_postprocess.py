"""Mask clean-up on shapes whose right answer is known."""

import numpy as np
from scipy import ndimage

from hepatica.segment.bundled import median_3x3x3
from hepatica.segment.postprocess import clean_liver, fill_holes, largest_component


def _ball(shape, centre, radius):
    grid = np.indices(shape).transpose(1, 2, 3, 0)
    return np.linalg.norm(grid - np.asarray(centre), axis=-1) <= radius


def test_fill_holes_fills_cavities_and_slice_holes_open_along_z():
    shape = (40, 40, 30)
    x, y, z = np.indices(shape)
    cylinder = ((x - 20) ** 2 + (y - 20) ** 2 <= 144) & (z >= 2) & (z <= 27)
    cavity = _ball(shape, (20, 20, 15), 4)  # closed in 3D
    vessel = (x >= 17) & (x < 21) & (y >= 10) & (y < 14)  # runs through every slice: open in 3D only
    ring = (abs(x - 20) <= 9) & (abs(y - 20) <= 9) & (z == 0) & ~((abs(x - 20) <= 5) & (abs(y - 20) <= 5))
    filled = fill_holes((cylinder & ~cavity & ~vessel) | ring)
    assert np.array_equal(filled, cylinder | ((abs(x - 20) <= 9) & (abs(y - 20) <= 9) & (z == 0)))


def test_fill_holes_agrees_with_scipy_slice_by_slice():
    rng = np.random.default_rng(3)
    mask = ndimage.binary_opening(rng.random((50, 45, 20)) > 0.45)
    expected = ndimage.binary_fill_holes(mask)
    for z in range(mask.shape[2]):
        expected[:, :, z] = ndimage.binary_fill_holes(expected[:, :, z])
    assert np.array_equal(fill_holes(mask), expected)


def test_liver_keeps_the_largest_part_and_drops_a_neighbour_joined_by_a_bridge():
    liver = _ball((60, 60, 40), (25, 30, 20), 15)
    spleen = _ball((60, 60, 40), (52, 30, 20), 6)
    bridge = np.zeros_like(liver)
    bridge[38:47, 30, 20] = True  # one voxel thick: gone after the erosion that judges components
    cleaned = clean_liver(liver | spleen | bridge)
    assert not cleaned[spleen].any()
    assert cleaned[liver].sum() > 0.995 * liver.sum() and not cleaned[~liver].any()  # the ball less a few tips
    assert np.array_equal(largest_component(liver | spleen), liver)


def test_median_matches_scipy():
    image = np.random.default_rng(0).normal(0, 100, (30, 25, 20)).astype(np.float32)
    assert np.array_equal(median_3x3x3(image), ndimage.median_filter(image, size=3))
