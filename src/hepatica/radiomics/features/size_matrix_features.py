"""Features shared by the matrices that count grey levels against a size (IBSI 3.7-3.9, 3.11): runs by
length, zones by size or distance, dependences by count. Only the tags differ between families."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.texture import Matrix

# family prefix -> names for (small size emphasis, large, low grey, high grey, small-low, small-high, large-low,
# large-high, size non-uniformity, its normalised form, percentage, size variance, size entropy)
TAGS = {
    "rlm": (
        "sre",
        "lre",
        "lgre",
        "hgre",
        "srlge",
        "srhge",
        "lrlge",
        "lrhge",
        "rlnu",
        "rlnu_norm",
        "r_perc",
        "rl_var",
        "rl_entr",
    ),
    "szm": (
        "sze",
        "lze",
        "lgze",
        "hgze",
        "szlge",
        "szhge",
        "lzlge",
        "lzhge",
        "zsnu",
        "zsnu_norm",
        "z_perc",
        "zs_var",
        "zs_entr",
    ),
    "dzm": (
        "sde",
        "lde",
        "lgze",
        "hgze",
        "sdlge",
        "sdhge",
        "ldlge",
        "ldhge",
        "zdnu",
        "zdnu_norm",
        "z_perc",
        "zd_var",
        "zd_entr",
    ),
    "ngl": (
        "lde",
        "hde",
        "lgce",
        "hgce",
        "ldlge",
        "ldhge",
        "hdlge",
        "hdhge",
        "dcnu",
        "dcnu_norm",
        "dc_perc",
        "dc_var",
        "dc_entr",
    ),
}


def size_matrix_features(matrix: Matrix, family: str) -> dict[str, float]:
    """The 16 features (17 for NGLDM) of a grey level x size count matrix."""
    counts = matrix.counts
    total = counts.sum()
    p = counts / total
    i = np.arange(1, counts.shape[0] + 1, dtype=np.float64)[:, None]
    j = matrix.sizes.astype(np.float64)[None, :]
    by_grey, by_size = counts.sum(axis=1), counts.sum(axis=0)
    mu_i, mu_j = np.sum(i * p), np.sum(j * p)
    nonzero = p[p > 0]
    values = (
        np.sum(counts / j**2) / total,
        np.sum(counts * j**2) / total,
        np.sum(counts / i**2) / total,
        np.sum(counts * i**2) / total,
        np.sum(counts / (i**2 * j**2)) / total,
        np.sum(counts * i**2 / j**2) / total,
        np.sum(counts * j**2 / i**2) / total,
        np.sum(counts * i**2 * j**2) / total,
        np.sum(by_size**2) / total,
        np.sum(by_size**2) / total**2,
        total / matrix.voxels,
        np.sum((j - mu_j) ** 2 * p),
        -np.sum(nonzero * np.log2(nonzero)),
    )
    features = {f"{family}_{name}": float(v) for name, v in zip(TAGS[family], values)}
    features[f"{family}_glnu"] = float(np.sum(by_grey**2) / total)
    features[f"{family}_glnu_norm"] = float(np.sum(by_grey**2) / total**2)
    features[f"{family}_gl_var"] = float(np.sum((i - mu_i) ** 2 * p))
    if family == "ngl":
        features["ngl_dc_energy"] = float(np.sum(p**2))
    return features
