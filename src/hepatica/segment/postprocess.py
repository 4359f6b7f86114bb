"""Clean-up of network masks: one liver without holes."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from hepatica.boxes import bounding_box

_FACES = ndimage.generate_binary_structure(3, 1)
_EDGES = ndimage.generate_binary_structure(3, 2)
_IN_PLANE = np.zeros((3, 3, 3), dtype=bool)
_IN_PLANE[:, :, 1] = ndimage.generate_binary_structure(2, 1)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 6-connected component of a boolean mask (empty stays empty)."""
    labels, count = ndimage.label(mask, structure=_FACES)
    if count <= 1:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes in 3D and in every axial slice (axis 2 is z).

    A hole is background not connected to the array's border: in 3D through faces, in a slice through its
    four in-plane neighbours (labelling once is much faster than binary_fill_holes slice by slice)."""
    filled = mask | _enclosed(~mask, _FACES, border_axes=(0, 1, 2))
    return filled | _enclosed(~filled, _IN_PLANE, border_axes=(0, 1))


def _enclosed(background: np.ndarray, structure: np.ndarray, border_axes: tuple[int, ...]) -> np.ndarray:
    labels, _ = ndimage.label(background, structure=structure)
    outside = set()
    for axis in border_axes:
        outside.update(np.unique(np.take(labels, [0, -1], axis=axis)).tolist())
    return (labels > 0) & ~np.isin(labels, list(outside))


def _within_box(operation, mask: np.ndarray, *others: np.ndarray, margin: int = 2) -> np.ndarray:
    """Apply ``operation`` to the mask's bounding box (plus ``margin``) only: the same result, much faster."""
    if not mask.any():
        return np.zeros_like(mask, dtype=bool)
    box = bounding_box(mask, margin)
    result = np.zeros(mask.shape, dtype=bool)
    result[box] = operation(mask[box], *(o[box] for o in others))
    return result


def clean_liver(mask: np.ndarray) -> np.ndarray:
    """Keep the largest component, judged after a one-voxel erosion so thin bridges to the spleen or
    heart do not join it, then fill holes (vessels and lesions belong to the liver volume)."""

    def clean(box: np.ndarray) -> np.ndarray:
        core = largest_component(ndimage.binary_erosion(box, _EDGES))
        if not core.any():
            core = largest_component(box)
        return fill_holes(largest_component(ndimage.binary_dilation(core, _EDGES) & box))

    return _within_box(clean, mask)
