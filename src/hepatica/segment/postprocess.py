"""Clean-up of network masks: one liver without holes, lesions only inside it."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_FACES = ndimage.generate_binary_structure(3, 1)
_EDGES = ndimage.generate_binary_structure(3, 2)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 6-connected component of a boolean mask (empty stays empty)."""
    labels, count = ndimage.label(mask, structure=_FACES)
    if count <= 1:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes in 3D and in every axial slice (axis 2 is z)."""
    filled = ndimage.binary_fill_holes(mask)
    for z in np.flatnonzero(filled.any(axis=(0, 1))):
        filled[:, :, z] = ndimage.binary_fill_holes(filled[:, :, z])
    return filled


def clean_liver(mask: np.ndarray) -> np.ndarray:
    """Keep the largest component, judged after a one-voxel erosion so thin bridges to the spleen or
    heart do not join it, then fill holes (vessels and lesions belong to the liver volume)."""
    core = largest_component(ndimage.binary_erosion(mask, _EDGES))
    if not core.any():
        core = largest_component(mask)
    liver = largest_component(ndimage.binary_dilation(core, _EDGES) & mask)
    return fill_holes(liver)


def clean_lesions(mask: np.ndarray, liver: np.ndarray) -> np.ndarray:
    """Lesion voxels inside the liver, holes filled."""
    return fill_holes(mask & liver) & liver
