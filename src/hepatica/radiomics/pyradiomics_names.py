"""PyRadiomics feature names for the IBSI tags they correspond to, so results can be compared or joined.

PyRadiomics averages GLCM and GLRLM features over the 13 3D directions (IBSI's ``3D_avg``) and computes
GLSZM, GLDM (IBSI's NGLDM) and NGTDM in 3D. Its first-order ``Entropy`` and ``Uniformity`` are histogram
features; PyRadiomics reports kurtosis without subtracting 3 (``Kurtosis`` = ``stat_kurt`` + 3)."""

from __future__ import annotations

_FIRST_ORDER = {
    "Mean": "stat_mean",
    "Variance": "stat_var",
    "Skewness": "stat_skew",
    "Median": "stat_median",
    "Minimum": "stat_min",
    "10Percentile": "stat_p10",
    "90Percentile": "stat_p90",
    "Maximum": "stat_max",
    "InterquartileRange": "stat_iqr",
    "Range": "stat_range",
    "MeanAbsoluteDeviation": "stat_mad",
    "RobustMeanAbsoluteDeviation": "stat_rmad",
    "Energy": "stat_energy",
    "RootMeanSquared": "stat_rms",
    "Entropy": "ih_entropy",
    "Uniformity": "ih_uniformity",
}
_SHAPE = {
    "MeshVolume": "morph_volume",
    "VoxelVolume": "morph_vol_approx",
    "SurfaceArea": "morph_area_mesh",
    "SurfaceVolumeRatio": "morph_av",
    "Sphericity": "morph_sphericity",
    "Maximum3DDiameter": "morph_diam",
    "MajorAxisLength": "morph_pca_maj_axis",
    "MinorAxisLength": "morph_pca_min_axis",
    "LeastAxisLength": "morph_pca_least_axis",
    "Elongation": "morph_pca_elongation",
    "Flatness": "morph_pca_flatness",
}
_GLCM = {
    "Autocorrelation": "auto_corr",
    "JointAverage": "joint_avg",
    "ClusterProminence": "clust_prom",
    "ClusterShade": "clust_shade",
    "ClusterTendency": "clust_tend",
    "Contrast": "contrast",
    "Correlation": "corr",
    "DifferenceAverage": "diff_avg",
    "DifferenceEntropy": "diff_entr",
    "DifferenceVariance": "diff_var",
    "JointEnergy": "energy",
    "JointEntropy": "joint_entr",
    "Imc1": "info_corr1",
    "Imc2": "info_corr2",
    "Idm": "inv_diff_mom",
    "Idmn": "inv_diff_mom_norm",
    "Id": "inv_diff",
    "Idn": "inv_diff_norm",
    "InverseVariance": "inv_var",
    "MaximumProbability": "joint_max",
    "SumAverage": "sum_avg",
    "SumEntropy": "sum_entr",
    "SumSquares": "joint_var",
}
_GLRLM = {
    "ShortRunEmphasis": "sre",
    "LongRunEmphasis": "lre",
    "GrayLevelNonUniformity": "glnu",
    "GrayLevelNonUniformityNormalized": "glnu_norm",
    "RunLengthNonUniformity": "rlnu",
    "RunLengthNonUniformityNormalized": "rlnu_norm",
    "RunPercentage": "r_perc",
    "GrayLevelVariance": "gl_var",
    "RunVariance": "rl_var",
    "RunEntropy": "rl_entr",
    "LowGrayLevelRunEmphasis": "lgre",
    "HighGrayLevelRunEmphasis": "hgre",
    "ShortRunLowGrayLevelEmphasis": "srlge",
    "ShortRunHighGrayLevelEmphasis": "srhge",
    "LongRunLowGrayLevelEmphasis": "lrlge",
    "LongRunHighGrayLevelEmphasis": "lrhge",
}
_GLSZM = {
    "SmallAreaEmphasis": "sze",
    "LargeAreaEmphasis": "lze",
    "GrayLevelNonUniformity": "glnu",
    "GrayLevelNonUniformityNormalized": "glnu_norm",
    "SizeZoneNonUniformity": "zsnu",
    "SizeZoneNonUniformityNormalized": "zsnu_norm",
    "ZonePercentage": "z_perc",
    "GrayLevelVariance": "gl_var",
    "ZoneVariance": "zs_var",
    "ZoneEntropy": "zs_entr",
    "LowGrayLevelZoneEmphasis": "lgze",
    "HighGrayLevelZoneEmphasis": "hgze",
    "SmallAreaLowGrayLevelEmphasis": "szlge",
    "SmallAreaHighGrayLevelEmphasis": "szhge",
    "LargeAreaLowGrayLevelEmphasis": "lzlge",
    "LargeAreaHighGrayLevelEmphasis": "lzhge",
}
_GLDM = {
    "SmallDependenceEmphasis": "lde",
    "LargeDependenceEmphasis": "hde",
    "GrayLevelNonUniformity": "glnu",
    "DependenceNonUniformity": "dcnu",
    "DependenceNonUniformityNormalized": "dcnu_norm",
    "GrayLevelVariance": "gl_var",
    "DependenceVariance": "dc_var",
    "DependenceEntropy": "dc_entr",
    "LowGrayLevelEmphasis": "lgce",
    "HighGrayLevelEmphasis": "hgce",
    "SmallDependenceLowGrayLevelEmphasis": "ldlge",
    "SmallDependenceHighGrayLevelEmphasis": "ldhge",
    "LargeDependenceLowGrayLevelEmphasis": "hdlge",
    "LargeDependenceHighGrayLevelEmphasis": "hdhge",
}
_NGTDM = {name: name.lower() for name in ("Coarseness", "Contrast", "Busyness", "Complexity", "Strength")}

#: "firstorder_Mean" -> "stat_mean", "glcm_Contrast" -> "cm_contrast_3D_avg", ...
PYRADIOMICS_TO_IBSI: dict[str, str] = {
    **{f"firstorder_{k}": v for k, v in _FIRST_ORDER.items()},
    **{f"shape_{k}": v for k, v in _SHAPE.items()},
    **{f"glcm_{k}": f"cm_{v}_3D_avg" for k, v in _GLCM.items()},
    **{f"glrlm_{k}": f"rlm_{v}_3D_avg" for k, v in _GLRLM.items()},
    **{f"glszm_{k}": f"szm_{v}_3D" for k, v in _GLSZM.items()},
    **{f"gldm_{k}": f"ngl_{v}_3D" for k, v in _GLDM.items()},
    **{f"ngtdm_{k}": f"ngt_{v}_3D" for k, v in _NGTDM.items()},
}
IBSI_TO_PYRADIOMICS: dict[str, str] = {v: k for k, v in PYRADIOMICS_TO_IBSI.items()}
