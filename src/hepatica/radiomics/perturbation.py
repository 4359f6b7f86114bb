"""Image and mask perturbations for feature reproducibility (after Zwanenburg et al., Sci Rep 2019): added noise,
small rotations and sub-voxel translations of the image with its mask, mask growth and shrinkage (volume
adaptation), and contour randomisation. Features extracted on several perturbed copies of each ROI give the
per-feature ICC (`hepatica.model.reliability`) that unstable features are filtered on before modelling.

Contour randomisation here perturbs the mask's signed distance map with a smooth random field (about one voxel
in amplitude) instead of Zwanenburg's supervoxel resampling: the same kind of boundary uncertainty without a
supervoxel library."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.radiomics.extract import extract_all
from hepatica.radiomics.settings import ExtractionSettings


@dataclass(frozen=True)
class Perturbation:
    """How far one copy is moved: rotation about z (degrees), translation (fractions of a voxel, (z, y, x)),
    noise SD (image units), volume change by moving the boundary (mm, + grows) and contour noise (mm)."""

    rotation_deg: float = 0.0
    translation_voxels: tuple[float, float, float] = (0.0, 0.0, 0.0)
    noise_sd: float = 0.0
    boundary_shift_mm: float = 0.0
    contour_noise_mm: float = 0.0


def random_perturbation(
    rng: np.random.Generator,
    noise_sd: float,
    spacing_mm,
    max_rotation_deg: float = 10.0,
    max_boundary_mm: float | None = None,
) -> Perturbation:
    """One random chain of all five perturbations: rotation up to +-``max_rotation_deg``, translation up to half
    a voxel, noise of SD ``noise_sd``, boundary shift up to +-one in-plane voxel (default), contour noise of one
    in-plane voxel."""
    voxel = float(min(spacing_mm))
    bound = voxel if max_boundary_mm is None else max_boundary_mm
    return Perturbation(
        float(rng.uniform(-max_rotation_deg, max_rotation_deg)),
        tuple(float(v) for v in rng.uniform(-0.5, 0.5, 3)),
        noise_sd,
        float(rng.uniform(-bound, bound)),
        voxel,
    )


def noise_sd_estimate(image: np.ndarray, mask: np.ndarray) -> float:
    """Image noise SD inside a margin around the ROI, from the median absolute deviation of the in-plane
    Laplacian (robust to structure; 1.4826 MAD / the Laplacian's noise gain)."""
    region = ndimage.binary_dilation(mask, iterations=3)
    laplace = ndimage.laplace(image.astype(np.float64), mode="nearest")  # noise gain sqrt(42) in 3D
    values = laplace[region]
    return float(1.4826 * np.median(np.abs(values - np.median(values))) / np.sqrt(42.0))


def apply_perturbation(
    image: np.ndarray, mask: np.ndarray, spacing_mm, perturbation: Perturbation, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The perturbed (image, mask), (z, y, x) on the same grid: image by linear interpolation, mask by its
    perturbed signed distance map (> 0 inside)."""
    spacing = np.asarray(spacing_mm, dtype=float)
    centre = np.asarray(ndimage.center_of_mass(mask))
    angle = np.deg2rad(perturbation.rotation_deg)
    rotation = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    # in mm: p_out = R (p_in - c) + c + t; map output voxels back to input voxels
    matrix = np.diag(1 / spacing) @ rotation.T @ np.diag(spacing)
    shift = np.asarray(perturbation.translation_voxels)
    offset = centre - matrix @ (centre + shift)
    moved = ndimage.affine_transform(image.astype(np.float64), matrix, offset, order=1, mode="nearest")
    inside = ndimage.distance_transform_edt(mask, sampling=spacing)
    outside = ndimage.distance_transform_edt(~mask, sampling=spacing)
    half = 0.5 * float(spacing.min())  # the boundary half-way between the last voxel in and the first out
    signed = np.where(mask, inside - half, half - outside)
    signed = ndimage.affine_transform(signed, matrix, offset, order=1, mode="nearest")
    signed += perturbation.boundary_shift_mm
    if perturbation.contour_noise_mm:
        field = ndimage.gaussian_filter(rng.standard_normal(mask.shape), 2.0 / spacing * spacing.min())
        signed += perturbation.contour_noise_mm * field / max(float(field.std()), 1e-9)
    if perturbation.noise_sd:
        moved += rng.normal(0.0, perturbation.noise_sd, moved.shape)
    new_mask = signed > 0
    if not new_mask.any():
        new_mask = mask.copy()
    return moved.astype(np.float32), new_mask


def perturbed_features(
    image: np.ndarray, mask: np.ndarray, spacing_mm, settings: ExtractionSettings, copies: int = 10, seed: int = 0
) -> list[dict[str, float]]:
    """Features (``<image type>__<tag>``) of ``copies`` randomly perturbed versions of one ROI."""
    rng = np.random.default_rng(seed)
    noise = noise_sd_estimate(image, mask)
    rows = []
    for _ in range(copies):
        perturbation = random_perturbation(rng, noise, spacing_mm)
        moved, moved_mask = apply_perturbation(image, mask, spacing_mm, perturbation, rng)
        row = {}
        for image_type, features in extract_all(moved, moved_mask, spacing_mm, settings, threads=1).items():
            row.update({f"{image_type}__{tag}": value for tag, value in features.items()})
        rows.append(row)
    return rows
