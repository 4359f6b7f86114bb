"""Grey level size zone (IBSI 3.8) and distance zone (3.9) matrix features.

A zone is a connected group of ROI voxels with one grey level: 26-connected in 3D, 8-connected in a slice.
A zone's distance is the smallest distance to the ROI edge over its voxels, counted in steps between
face neighbours (6 in 3D, 4 in a slice) on the morphological mask, 1 for voxels on the edge."""

from __future__ import annotations

import cc3d
import numpy as np
from scipy import ndimage

from hepatica.radiomics.features.size_matrix_features import size_matrix_features
from hepatica.radiomics.features.texture import Matrix, size_matrix, undirected_features

_FACES_3D = ndimage.generate_binary_structure(3, 1)
_FACES_2D = np.zeros((3, 3, 3), dtype=bool)
_FACES_2D[1] = ndimage.generate_binary_structure(2, 1)


def zones(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label map of all zones, and each zone's grey level and size (index k for label k + 1).

    One multi-label pass of connected-components-3d (26-connected; on a one-slice volume that is the
    8-connectivity of the slice) instead of one scipy labelling per grey level: 30x faster on a liver."""
    labels = cc3d.connected_components(levels, connectivity=26)
    count = int(labels.max())
    grey = np.zeros(count + 1, dtype=np.int64)
    grey[labels.ravel()] = levels.ravel()
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    return labels, grey[1:], sizes


def edge_distance(mask: np.ndarray, in_plane: bool) -> np.ndarray:
    """Steps to the outside of ``mask`` (the image border counts as outside); 1 on the edge."""
    pad = ((0, 0), (1, 1), (1, 1)) if in_plane else 1
    distance = ndimage.distance_transform_cdt(np.pad(mask, pad), metric=_FACES_2D if in_plane else _FACES_3D)
    return distance[(slice(None),) + (slice(1, -1),) * 2] if in_plane else distance[1:-1, 1:-1, 1:-1]


def zone_features(
    levels: np.ndarray, n_levels: int, morphological_mask: np.ndarray, dimensions=("2D", "3D")
) -> dict[str, float]:
    """GLSZM (tags like ``szm_sze_3D``) and GLDZM (``dzm_sde_3D``) features in 2D, 2.5D and 3D, from one
    labelling of the zones per slice or volume; distances to the ROI edge come from ``morphological_mask``."""
    labelled, distances = {}, {}  # by slice index (None: the volume), each computed once

    def zones_of(part: np.ndarray, z: int | None):
        if z not in labelled:
            labelled[z] = zones(part)
        return labelled[z]

    def size_zones(part: np.ndarray, n: int, z: int | None) -> Matrix:
        _, grey, sizes = zones_of(part, z)
        return size_matrix(grey, sizes, n, np.count_nonzero(part))

    def distance_zones(part: np.ndarray, n: int, z: int | None) -> Matrix:
        key = "3D" if z is None else "2D"
        if key not in distances:
            distances[key] = edge_distance(morphological_mask, in_plane=z is not None)
        distance = distances[key] if z is None else distances[key][z : z + 1]
        labels, grey, _ = zones_of(part, z)
        labelled.pop(z)  # the size matrix was built first; free the labels
        zone_distance = np.full(grey.size + 1, np.iinfo(np.int64).max)
        inside = part > 0
        np.minimum.at(zone_distance, labels[inside], distance[inside].astype(np.int64))
        return size_matrix(grey, zone_distance[1:], n, np.count_nonzero(part))

    features = undirected_features(levels, n_levels, size_zones, lambda m: size_matrix_features(m, "szm"), dimensions)
    features.update(
        undirected_features(levels, n_levels, distance_zones, lambda m: size_matrix_features(m, "dzm"), dimensions)
    )
    return features
