"""The liver check on shapes whose right answer is known: a mass taken in from outside goes, a lesion inside stays,
the uncertain rim is taken in only where it is parenchyma."""

import numpy as np
from scipy import ndimage

from hepatica.segment.refine import check_liver, contact_fraction, median_3_at, median_filter_3, refine_liver

SPACING = (1.5, 1.5, 1.5)


def _ball(shape, centre, radius):
    grid = np.indices(shape).transpose(1, 2, 3, 0)
    return np.linalg.norm(grid - np.asarray(centre), axis=-1) <= radius


def _image(shape, regions, background=-100.0, noise=10.0, seed=0):
    """HU: ``regions`` is a list of (mask, HU) painted in order, blurred like a CT (0.8 voxel), plus noise."""
    hu = np.full(shape, background, dtype=np.float32)
    for mask, value in regions:
        hu[mask] = value
    hu = ndimage.gaussian_filter(hu, 0.8)
    return hu + np.random.default_rng(seed).normal(0, noise, shape).astype(np.float32)


def test_a_mass_taken_in_from_outside_is_removed_and_a_lesion_inside_kept():
    shape = (90, 70, 60)
    liver = _ball(shape, (35, 35, 30), 22)
    mass = _ball(shape, (70, 35, 30), 14) & ~liver  # pressed against the liver, outside it
    lesion = _ball(shape, (30, 35, 30), 7)  # inside the liver
    hu = _image(shape, [(liver, 110.0), (mass, 75.0), (lesion, 60.0)])
    refined = refine_liver(hu, liver | mass, SPACING)
    assert refined.liver[mass].mean() < 0.1  # the mass is out
    assert refined.liver[liver].mean() > 0.97  # the liver, and the lesion in it, stay
    assert refined.liver[lesion].all()
    assert len(refined.excluded) == 1 and refined.excluded[0].darker
    assert abs(refined.excluded[0].volume_ml - mass.sum() * 1.5**3 / 1000) < 0.4 * mass.sum() * 1.5**3 / 1000
    assert abs(refined.parenchyma.mode_hu - 110) <= 3


def test_a_mask_of_liver_only_is_left_as_it_is():
    shape = (60, 60, 50)
    liver = _ball(shape, (30, 30, 25), 20)
    hu = _image(shape, [(liver, 100.0)])
    refined = refine_liver(hu, liver, SPACING)
    assert refined.excluded == () and np.array_equal(refined.liver, liver)


def test_contact_fraction_of_a_piece_inside_and_of_one_at_the_edge():
    shape = (40, 40, 40)
    mask = _ball(shape, (20, 20, 20), 15)
    inner = _ball(shape, (20, 20, 20), 5)
    assert contact_fraction(inner, mask & ~inner, mask) == 1.0
    edge = _ball(shape, (20, 20, 35), 6) & mask  # a cap at the mask's edge: half of its boundary faces outside
    assert contact_fraction(edge, mask & ~edge, mask) < 0.6


def test_the_uncertain_rim_is_taken_in_only_where_it_is_parenchyma():
    shape = (70, 60, 50)
    liver = _ball(shape, (35, 30, 25), 18)
    rim = _ball(shape, (35, 30, 25), 22) & ~liver
    like_liver = rim & (np.indices(shape)[0] < 35)  # half the rim is parenchyma, the other half fat
    hu = _image(shape, [(liver | like_liver, 105.0)])
    probability = np.where(liver, 0.9, np.where(rim, 0.4, 0.0)).astype(np.float32)
    checked = check_liver(hu, probability, liver, SPACING)
    inner = like_liver & _ball(shape, (35, 30, 25), 20)  # away from the partial volume at the rim's outer edge
    assert checked.liver[inner].mean() > 0.9
    assert checked.liver[rim & ~like_liver].mean() < 0.2
    assert checked.added_ml > 0


def test_the_median_at_chosen_voxels_is_the_median_filter_there_edges_included():
    values = np.random.default_rng(0).normal(0, 50, (30, 35, 40)).astype(np.float32)
    where = np.random.default_rng(1).random(values.shape) < 0.2
    where[0], where[:, :, -1] = True, True  # the array's faces: edge voxels repeated, as SimpleITK's filter does
    assert np.array_equal(median_3_at(values, where), median_filter_3(values)[where])
