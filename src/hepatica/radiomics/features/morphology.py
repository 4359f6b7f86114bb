"""Morphological features (IBSI 3.1): a marching-cubes mesh of the morphological mask, principal axes of its
voxel centres, and spatial autocorrelation of the intensities.

The mesh comes from scikit-image's marching cubes at level 0.5 on the zero-padded mask (IBSI's recipe);
volumes and areas are summed over its triangles. The minimum-volume enclosing ellipsoid and the oriented
bounding box are not standardised by IBSI and are left out."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.fft
from numpy.polynomial import legendre
from scipy.spatial import ConvexHull, distance
from skimage.measure import marching_cubes

from hepatica.boxes import bounding_box


def mesh(mask: np.ndarray, spacing_mm) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (mm, in the array's axis order) and triangles of the mask's surface."""
    vertices, faces, _, _ = marching_cubes(
        np.pad(mask, 1).astype(np.float32), level=0.5, spacing=tuple(float(s) for s in spacing_mm)
    )
    return vertices - np.asarray(spacing_mm, dtype=float), faces  # undo the padding's shift


def morphology_features(
    image: np.ndarray, intensity_mask: np.ndarray, morphological_mask: np.ndarray, spacing_mm
) -> dict[str, float]:
    """The 25 standardised morphological features."""
    spacing = np.asarray(spacing_mm, dtype=float)
    vertices, faces = mesh(morphological_mask, spacing)
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    volume = abs(np.sum(np.einsum("ij,ij->i", a, np.cross(b, c)))) / 6.0
    area = np.sum(np.linalg.norm(np.cross(b - a, c - a), axis=1)) / 2.0
    voxel_volume = float(np.prod(spacing))

    centre, covariance = _moments(morphological_mask.astype(np.float64), spacing)
    eigen = np.sort(np.linalg.eigvalsh(covariance))[::-1]
    major, minor, least = eigen
    values = image[intensity_mask]
    centre_of_mass, _ = _moments(np.where(intensity_mask, image, 0.0), spacing)

    hull = ConvexHull(vertices)
    hull_points = vertices[hull.vertices]
    extent = vertices.max(axis=0) - vertices.min(axis=0)
    semi_axes = 2.0 * np.sqrt(eigen)
    moran, geary = spatial_autocorrelation(values, intensity_mask, spacing)
    sphere = 36.0 * np.pi * volume**2
    return {
        "morph_volume": volume,
        "morph_vol_approx": morphological_mask.sum() * voxel_volume,
        "morph_area_mesh": area,
        "morph_av": area / volume,
        "morph_comp_1": volume / (np.sqrt(np.pi) * area**1.5),
        "morph_comp_2": sphere / area**3,
        "morph_sph_dispr": area / sphere ** (1 / 3),
        "morph_sphericity": sphere ** (1 / 3) / area,
        "morph_asphericity": (area**3 / sphere) ** (1 / 3) - 1.0,
        "morph_com": float(np.linalg.norm(centre - centre_of_mass)),
        "morph_diam": float(distance.pdist(hull_points).max()) if len(hull_points) > 1 else 0.0,
        "morph_pca_maj_axis": 4.0 * np.sqrt(major),
        "morph_pca_min_axis": 4.0 * np.sqrt(minor),
        "morph_pca_least_axis": 4.0 * np.sqrt(least),
        "morph_pca_elongation": np.sqrt(minor / major),
        "morph_pca_flatness": np.sqrt(least / major),
        "morph_vol_dens_aabb": volume / np.prod(extent),
        "morph_area_dens_aabb": area / (2.0 * (extent[0] * extent[1] + extent[1] * extent[2] + extent[0] * extent[2])),
        "morph_vol_dens_aee": volume / (4.0 * np.pi * np.prod(semi_axes) / 3.0),
        "morph_area_dens_aee": area / ellipsoid_area(*semi_axes),
        "morph_vol_dens_conv_hull": volume / hull.volume,
        "morph_area_dens_conv_hull": area / hull.area,
        "morph_integ_int": volume * values.mean(),
        "morph_moran_i": moran,
        "morph_geary_c": geary,
    }


def _moments(weights: np.ndarray, spacing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean position (mm) of the voxels and the sample covariance of their positions (as np.cov with
    unit weights), from the 2D projections of ``weights`` instead of a list of every voxel's coordinates."""
    positions = [np.arange(n) * s for n, s in zip(weights.shape, spacing)]
    total = weights.sum()
    centre = (
        np.array([np.dot(weights.sum(axis=tuple(b for b in range(3) if b != a)), positions[a]) for a in range(3)])
        / total
    )
    covariance = np.empty((3, 3))
    for a, b in itertools.combinations_with_replacement(range(3), 2):
        u, v = positions[a] - centre[a], positions[b] - centre[b]
        if a == b:
            value = np.dot(weights.sum(axis=tuple(c for c in range(3) if c != a)), u * u)
        else:
            plane = weights.sum(axis=3 - a - b)  # axes (a, b) remain, in order
            value = u @ plane @ v
        covariance[a, b] = covariance[b, a] = value / (total - 1)
    return centre, covariance


def ellipsoid_area(a: float, b: float, c: float, terms: int = 20) -> float:
    """Surface area of an ellipsoid with semi-axes a >= b >= c: IBSI's Legendre series to ``terms``.

    (alpha beta)^nu P_nu((alpha^2 + beta^2) / (2 alpha beta)) is expanded in powers so that it stays defined
    when alpha or beta is 0 (two equal axes)."""
    alpha, beta = np.sqrt(max(0.0, 1 - b**2 / a**2)), np.sqrt(max(0.0, 1 - c**2 / a**2))
    half_sum, product = (alpha**2 + beta**2) / 2, alpha * beta
    total = 0.0
    for nu in range(terms + 1):
        power_coefficients = legendre.leg2poly([0] * nu + [1])
        term = sum(
            coefficient * half_sum**k * product ** (nu - k)
            for k, coefficient in enumerate(power_coefficients)
            if coefficient
        )
        total += term / (1 - 4 * nu**2)
    return float(4 * np.pi * a * b * total)


def spatial_autocorrelation(values: np.ndarray, mask: np.ndarray, spacing_mm) -> tuple[float, float]:
    """Moran's I and Geary's C with inverse-distance weights between all voxel pairs of ``mask``, exactly.

    The weight depends only on the offset between two voxels, so each double sum over pairs is a correlation
    with the kernel 1/distance, which FFTs give in O(n log n) instead of IBSI's O(n^2) (no subsampling, even
    for a whole liver). The grid is twice the ROI's box per axis so that offsets do not wrap around; the
    padding's zero rows are never transformed, and the last axis' frequencies are handled a block at a time,
    so memory stays near three copies of the box. The kernel is even, so its transform is real: a type-I DCT
    of one octant gives it. Transforms run in single precision (relative error about 1e-6, far below IBSI's
    tolerances), sums in double."""
    n = values.size
    deviation = values - values.mean()
    denominator = np.sum(deviation**2)
    if n < 2 or denominator == 0:
        return 1.0, 1.0  # constant intensities: perfectly autocorrelated
    inside = mask[bounding_box(mask)]
    shape = [_even_fast_length(2 * k - 1) for k in inside.shape]
    kernel = _inverse_distance_spectrum(shape, spacing_mm)

    def row_spectra(placed) -> np.ndarray:  # rfft along the last axis of the zero-padded box
        rows = np.zeros(inside.shape[:2] + (shape[2],), dtype=np.float32)
        rows[:, :, : inside.shape[2]][inside] = placed
        return scipy.fft.rfft(rows, axis=2, workers=-1)

    mask_rows, deviation_rows = row_spectra(1.0), row_spectra(deviation)
    near_rows = np.empty_like(mask_rows)  # the kernel applied to the mask, before the last inverse transform
    cross = 0.0  # sum_ij d_i d_j w_ij = sum_k |D(k)|^2 K(k) / N over the full spectrum (Parseval)
    weights = np.full(shape[2] // 2 + 1, 2.0, dtype=np.float32)  # one-sided last axis: mirrored bins count twice
    weights[0] = weights[-1] = 1.0  # (the last is the Nyquist bin: shape[2] is even)
    k0, k1 = inside.shape[:2]
    for start in range(0, weights.size, 32):
        block = slice(start, min(weights.size, start + 32))
        factor = _unfolded(kernel[:, :, block], shape)
        spectrum = _spectrum_block(mask_rows[:, :, block], shape)
        spectrum.view(np.float32).reshape(factor.shape + (2,))[...] *= factor[..., None]  # real x complex
        _store(scipy.fft.ifft(spectrum, axis=0, workers=-1, overwrite_x=True), spectrum)
        near_rows[:, :, block] = scipy.fft.ifft(spectrum[:k0], axis=1, workers=-1, overwrite_x=True)[:, :k1]
        parts = _spectrum_block(deviation_rows[:, :, block], shape).view(np.float32)
        parts *= parts
        factor *= parts[..., 0::2] + parts[..., 1::2]  # K(k) |D(k)|^2
        cross += float(np.dot(np.sum(factor, axis=(0, 1), dtype=np.float64), weights[block]))
    cross /= np.prod(shape)
    near_mask = scipy.fft.irfft(near_rows, n=shape[2], axis=2, workers=-1)[:, :, : inside.shape[2]]
    near_mask = near_mask[inside].astype(np.float64)
    weight_sum = np.sum(near_mask)  # sum_ij m_i m_j w_ij
    squares_near_mask = np.sum(deviation**2 * near_mask)  # sum_ij d_i^2 m_j w_ij
    moran = n / weight_sum * cross / denominator
    geary = (n - 1) / (2 * weight_sum) * (2 * squares_near_mask - 2 * cross) / denominator
    return float(moran), float(geary)


def _spectrum_block(rows: np.ndarray, shape) -> np.ndarray:
    """The 3D spectrum on a block of last-axis frequencies, from the row spectra of the box (zero-padded to
    ``shape`` on the first two axes; the second axis is transformed on the box's planes only)."""
    spectrum = np.zeros((shape[0], shape[1], rows.shape[2]), dtype=np.complex64)
    spectrum[: rows.shape[0], : rows.shape[1]] = rows
    planes = spectrum[: rows.shape[0]]
    _store(scipy.fft.fft(planes, axis=1, workers=-1, overwrite_x=True), planes)
    _store(scipy.fft.fft(spectrum, axis=0, workers=-1, overwrite_x=True), spectrum)
    return spectrum


def _store(result: np.ndarray, target: np.ndarray) -> None:
    """Keep an FFT's result in ``target`` (scipy transforms contiguous complex input in place when allowed to
    overwrite it; copy if it did not)."""
    if not np.may_share_memory(result, target):
        target[...] = result


def _quadrants(shape):
    """(spectrum block, octant block) index pairs covering the first two axes: the spectrum of an even kernel
    at frequency k equals the octant's at min(k, M - k), so the upper half of each axis reads the octant
    reversed."""
    halves = [
        ((slice(0, m // 2 + 1), slice(0, m // 2 + 1)), (slice(m // 2 + 1, m), slice(m // 2 - 1, 0, -1)))
        for m in shape[:2]
    ]
    for (grid0, octant0), (grid1, octant1) in itertools.product(*halves):
        yield (grid0, grid1), (octant0, octant1)


def _unfolded(octant: np.ndarray, shape) -> np.ndarray:
    """The kernel's spectrum over the full first two axes of ``shape``, from its octant."""
    full = np.empty((shape[0], shape[1], octant.shape[2]), dtype=octant.dtype)
    for grid, part in _quadrants(shape):
        full[grid] = octant[part]
    return full


def _even_fast_length(minimum: int) -> int:
    length = scipy.fft.next_fast_len(minimum, real=True)
    while length % 2:
        length = scipy.fft.next_fast_len(length + 1, real=True)
    return length


def _inverse_distance_spectrum(shape, spacing_mm) -> np.ndarray:
    """Real DFT (one octant, frequencies 0..M/2 per axis) of the periodic kernel 1 / distance, with the offset
    on each axis taken as the shorter way round the period M (0 at offset 0)."""
    squares = [(np.arange(m // 2 + 1, dtype=np.float32) * s) ** 2 for m, s in zip(shape, spacing_mm)]
    octant = np.add.outer(np.add.outer(squares[0], squares[1]), squares[2])
    octant[0, 0, 0] = 1.0
    np.sqrt(octant, out=octant)
    np.reciprocal(octant, out=octant)
    octant[0, 0, 0] = 0.0  # no weight between a voxel and itself
    return scipy.fft.dctn(octant, type=1, workers=-1, overwrite_x=True)
