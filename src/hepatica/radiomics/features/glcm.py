"""Grey level co-occurrence matrix features (IBSI 3.6), symmetric matrices at Chebyshev distance 1."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.texture import Matrix, directional_features, shifted_pairs


def cooccurrence(levels: np.ndarray, n_levels: int, direction) -> Matrix:
    """Symmetric co-occurrence counts (Ng x Ng) of neighbours along ``direction`` and its opposite."""
    a, b = shifted_pairs(levels, direction)
    counts = np.bincount((a.astype(np.intp) - 1) * n_levels + (b - 1), minlength=n_levels * n_levels).reshape(
        n_levels, n_levels
    )
    return Matrix((counts + counts.T).astype(np.float64), np.count_nonzero(levels))


def glcm_matrix_features(matrix: Matrix) -> dict[str, float]:
    """The 25 GLCM features of one (possibly merged) matrix."""
    p = matrix.counts / matrix.counts.sum()
    n = p.shape[0]
    i, j = np.meshgrid(np.arange(1, n + 1), np.arange(1, n + 1), indexing="ij")
    px = p.sum(axis=1)
    py = p.sum(axis=0)
    grey = np.arange(1, n + 1)
    mu_x, mu_y = np.sum(grey * px), np.sum(grey * py)
    sigma_x = np.sqrt(np.sum((grey - mu_x) ** 2 * px))
    sigma_y = np.sqrt(np.sum((grey - mu_y) ** 2 * py))
    diff = np.abs(i - j)
    p_diff = np.bincount(diff.ravel(), weights=p.ravel(), minlength=n)
    p_sum = np.bincount((i + j).ravel(), weights=p.ravel(), minlength=2 * n + 1)
    k_diff, k_sum = np.arange(n), np.arange(2 * n + 1)
    diff_avg, sum_avg = np.sum(k_diff * p_diff), np.sum(k_sum * p_sum)
    mu = np.sum(i * p)
    hxy = _entropy(p)
    hx = _entropy(px)
    pxpy = np.outer(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        hxy1 = -np.sum(np.where(p > 0, p * np.log2(np.where(pxpy > 0, pxpy, 1)), 0))
    hxy2 = _entropy(pxpy)
    cluster = i + j - mu_x - mu_y
    off_diagonal = diff > 0
    return {
        "cm_joint_max": p.max(),
        "cm_joint_avg": mu,
        "cm_joint_var": np.sum((i - mu) ** 2 * p),
        "cm_joint_entr": hxy,
        "cm_diff_avg": diff_avg,
        "cm_diff_var": np.sum((k_diff - diff_avg) ** 2 * p_diff),
        "cm_diff_entr": _entropy(p_diff),
        "cm_sum_avg": sum_avg,
        "cm_sum_var": np.sum((k_sum - sum_avg) ** 2 * p_sum),
        "cm_sum_entr": _entropy(p_sum),
        "cm_energy": np.sum(p**2),
        "cm_contrast": np.sum(diff**2 * p),
        "cm_dissimilarity": np.sum(diff * p),
        "cm_inv_diff": np.sum(p / (1 + diff)),
        "cm_inv_diff_norm": np.sum(p / (1 + diff / n)),
        "cm_inv_diff_mom": np.sum(p / (1 + diff**2)),
        "cm_inv_diff_mom_norm": np.sum(p / (1 + (diff / n) ** 2)),
        "cm_inv_var": np.sum(p[off_diagonal] / diff[off_diagonal] ** 2),
        "cm_corr": np.sum((i - mu_x) * (j - mu_y) * p) / (sigma_x * sigma_y) if sigma_x * sigma_y > 0 else 1.0,
        "cm_auto_corr": np.sum(i * j * p),
        "cm_clust_tend": np.sum(cluster**2 * p),
        "cm_clust_shade": np.sum(cluster**3 * p),
        "cm_clust_prom": np.sum(cluster**4 * p),
        "cm_info_corr1": (hxy - hxy1) / hx if hx > 0 else 0.0,
        "cm_info_corr2": np.sqrt(max(0.0, 1 - np.exp(-2 * (hxy2 - hxy)))),
    }


def glcm_features(levels: np.ndarray, n_levels: int, dimensions=("2D", "3D")) -> dict[str, float]:
    """GLCM features under all six aggregation methods (tags like ``cm_energy_3D_comb``)."""
    return directional_features(levels, n_levels, cooccurrence, glcm_matrix_features, dimensions)


def _entropy(p: np.ndarray) -> float:
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))
