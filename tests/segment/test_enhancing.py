"""Lesions found by their arterial-phase hyperenhancement: a hyperenhancing nodule is found, a vessel is not."""

import numpy as np
from scipy import ndimage

from hepatica.segment.enhancing import hyperenhancing_candidates
from hepatica.segment.refine import Parenchyma


def test_a_hyperenhancing_nodule_is_a_lesion_and_a_vessel_bright_in_both_phases_is_not():
    shape = (60, 80, 80)  # z, y, x; 1 mm voxels
    z, y, x = np.indices(shape)
    liver = (x - 40) ** 2 + (y - 40) ** 2 + (z - 30) ** 2 <= 28**2
    nodule = (x - 30) ** 2 + (y - 40) ** 2 + (z - 30) ** 2 <= 5**2  # 10 mm, washes out to iso
    vessel = ((x - 52) ** 2 + (y - 40) ** 2 <= 3**2) & liver  # a portal branch, bright in both phases
    rng = np.random.default_rng(0)
    arterial = np.where(liver, 75.0, -100.0) + np.where(nodule, 60.0, 0) + np.where(vessel, 70.0, 0)
    portal = np.where(liver, 110.0, -100.0) + np.where(vessel, 60.0, 0)
    arterial = ndimage.gaussian_filter(arterial, 0.8) + rng.normal(0, 10, shape)
    portal = ndimage.gaussian_filter(portal, 0.8) + rng.normal(0, 10, shape)
    found, arterial_parenchyma = hyperenhancing_candidates(
        arterial, portal, liver, Parenchyma(110.0, 4.0, 10.0), (1.0, 1.0, 1.0)
    )
    assert abs(arterial_parenchyma.mode_hu - 75) <= 3
    assert len(found) == 1
    piece = np.zeros(shape, dtype=bool)
    found[0].paint(piece)
    assert (piece & nodule).sum() > 0.5 * piece.sum() and not (piece & vessel).any()
    assert found[0].evidence.mean_probability is None and found[0].evidence.contrast_hu > 30
