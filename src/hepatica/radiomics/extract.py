"""One ROI through the IBSI processing chain to every feature, with the diagnostics IBSI asks to report."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from hepatica.radiomics.features.glcm import glcm_features
from hepatica.radiomics.features.glrlm import glrlm_features
from hepatica.radiomics.features.histogram import histogram_features
from hepatica.radiomics.features.ivh import ivh_features
from hepatica.radiomics.features.local_intensity import local_intensity_features
from hepatica.radiomics.features.morphology import morphology_features
from hepatica.radiomics.features.neighbourhoods import ngldm_features, ngtdm_features
from hepatica.radiomics.features.statistics import statistics_features
from hepatica.radiomics.features.zones import zone_features
from hepatica.radiomics.filters import FilterSpec
from hepatica.radiomics.processing import interpolate, resegment
from hepatica.radiomics.roi import Discretised, Roi, discretise
from hepatica.radiomics.settings import Discretisation, ExtractionSettings


def compute_features(
    roi: Roi,
    discretised: Discretised,
    ivh: tuple[np.ndarray, float, float, float] | None = None,
    dimensions: tuple[str, ...] = ("2D", "3D"),
    surroundings: Roi | None = None,
) -> dict[str, float]:
    """Every IBSI-1 feature of a processed ROI, by tag (texture tags carry their aggregation, e.g.
    ``cm_energy_3D_comb``).

    ``ivh`` is (values, lowest, highest, step) for the intensity-volume histogram; by default the grey levels
    over 1..Ng in steps of 1. ``dimensions`` chooses the texture aggregations ("2D" gives 2D and 2.5D).
    ``surroundings`` is the same ROI on a grid with a margin around it, for the local intensity peaks whose
    1 cm^3 spheres reach beyond the ROI (default ``roi`` itself)."""
    features = morphology_features(roi.image, roi.intensity_mask, roi.morphological_mask, roi.spacing_mm)
    around = roi if surroundings is None else surroundings
    features.update(local_intensity_features(around.image, around.intensity_mask, around.spacing_mm))
    features.update(statistics_features(roi.values))
    features.update(histogram_features(discretised.values, discretised.n_levels))
    features.update(ivh_features(*(ivh or (discretised.values, 1, discretised.n_levels, 1))))
    features.update(texture_features(discretised, roi.morphological_mask, dimensions))
    return features


def texture_features(
    discretised: Discretised, morphological_mask: np.ndarray, dimensions: tuple[str, ...]
) -> dict[str, float]:
    """GLCM, GLRLM, GLSZM, GLDZM, NGTDM and NGLDM features of the grey levels."""
    levels, n = discretised.levels, discretised.n_levels
    features = glcm_features(levels, n, dimensions)
    features.update(glrlm_features(levels, n, dimensions))
    features.update(zone_features(levels, n, morphological_mask, dimensions))
    features.update(ngtdm_features(levels, n, dimensions))
    features.update(ngldm_features(levels, n, dimensions))
    return features


def extract(
    image: np.ndarray, mask: np.ndarray, spacing_mm, settings: ExtractionSettings, diagnostics: bool = False
) -> dict[str, float]:
    """Features of ``mask`` > 0 on the original ``image`` (both (z, y, x), ``spacing_mm`` in (z, y, x)).

    With ``diagnostics`` the IBSI diagnostic values (image and ROI sizes and intensities after each step) are
    added; they need the whole image interpolated, which costs time on large scans."""
    return extract_all(image, mask, spacing_mm, settings, diagnostics)["original"]


def extract_all(
    image: np.ndarray,
    mask: np.ndarray,
    spacing_mm,
    settings: ExtractionSettings,
    diagnostics: bool = False,
    threads: int | None = None,
) -> dict[str, dict[str, float]]:
    """{image type: features}: "original" and one entry per filter in ``settings.filters``.

    Image types are computed in ``threads`` threads (default: one per CPU; numpy, FFTs and the labelling
    release the interpreter lock); give 1 when cases already run in parallel processes."""
    image = np.asarray(image)  # cropped and converted to float by the interpolation step
    mask = np.asarray(mask) > 0
    spacing = tuple(float(s) for s in spacing_mm)
    wanted = settings.voxel_size_mm
    new_spacing = (None, None, None) if wanted is None else tuple(wanted[::-1])  # (x, y, z) -> (z, y, x)
    target = tuple(s if t is None else t for s, t in zip(spacing, new_spacing))
    margin = 15.0 + max([f.radius_mm(target) for f in settings.filters], default=0.0)
    interpolated = interpolate(
        image,
        mask,
        spacing,
        new_spacing,
        image_order=settings.image_interpolation,
        mask_order=settings.mask_interpolation,
        partial_volume=settings.partial_volume,
        round_intensities=settings.round_intensities,
        full_image=diagnostics,
        margin_mm=margin,
    )
    surroundings = resegment(interpolated.roi, settings.resegmentation_range, settings.outlier_sigma)
    box = surroundings.box()
    roi = surroundings.cropped()
    d = settings.discretisation
    low = settings.resegmentation_range[0] if settings.resegmentation_range else None
    discretised = discretise(roi, d.method, bins=d.bins, bin_width=d.bin_width, lower_bound=low)
    dimensions = ("2D",) if settings.by_slice else ("3D",)

    def original() -> dict[str, float]:
        return compute_features(roi, discretised, ivh_input(roi, settings), dimensions, surroundings)

    def filtered(spec: FilterSpec) -> dict[str, float]:
        response = Roi(
            filter_on_box(spec, surroundings.image, box, roi.spacing_mm, settings.by_slice),
            roi.spacing_mm,
            roi.intensity_mask,
            roi.morphological_mask,
        )
        return filtered_features(response, settings.filtered_discretisation, dimensions)

    tasks = [("original", original)] + [(spec.name, lambda spec=spec: filtered(spec)) for spec in settings.filters]
    threads = min(len(tasks), threads or os.cpu_count() or 1)
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            futures = [(name, pool.submit(task)) for name, task in tasks]
            results = {name: future.result() for name, future in futures}
    else:
        results = {name: task() for name, task in tasks}
    if diagnostics:
        results["original"].update(_diagnostics(image, mask, spacing, interpolated, surroundings))
    return results


def filter_on_box(
    spec: FilterSpec, image: np.ndarray, box: tuple[slice, ...], spacing_mm, by_slice: bool
) -> np.ndarray:
    """The filter's response on ``box`` of ``image``, filtering only the voxels within the filter's reach of
    the box. Exact: the image's grid extends at least that reach around the ROI except where the scan itself
    ends, and there the filter's boundary condition applies as on the whole image."""
    reach = [math.ceil(spec.radius_mm(spacing_mm) / s) for s in spacing_mm]
    around = tuple(slice(max(0, b.start - r), min(n, b.stop + r)) for b, r, n in zip(box, reach, image.shape))
    response = spec.apply(image[around], spacing_mm, by_slice)
    return response[tuple(slice(b.start - a.start, b.stop - a.start) for b, a in zip(box, around))]


def filtered_features(response: Roi, discretisation: Discretisation, dimensions: tuple[str, ...]) -> dict[str, float]:
    """Statistics, intensity histogram and texture of a filter response inside the (re-segmented) ROI, as in
    IBSI-2; morphology, local intensity and the IVH describe the original image only."""
    d = discretisation
    discretised = discretise(response, d.method, bins=d.bins, bin_width=d.bin_width)
    features = statistics_features(response.values)
    features.update(histogram_features(discretised.values, discretised.n_levels))
    features.update(texture_features(discretised, response.morphological_mask, dimensions))
    return features


def ivh_input(roi: Roi, settings: ExtractionSettings) -> tuple[np.ndarray, float, float, float]:
    """Values and range (lowest, highest, step) of the intensity-volume histogram (IBSI 3.5)."""
    values = roi.values
    low, high = values.min(), values.max()
    if settings.resegmentation_range:
        low = settings.resegmentation_range[0] if settings.resegmentation_range[0] is not None else low
        high = settings.resegmentation_range[1] if settings.resegmentation_range[1] is not None else high
    ivh: Discretisation = settings.ivh
    if ivh.method == "none":  # calibrated, discrete intensities (CT in HU)
        return values, float(low), float(high), 1.0
    if ivh.method == "fixed_bin_size":  # calibrated, continuous: bin centres in intensity units
        width = ivh.bin_width
        bins = np.floor((values - low) / width) + 1
        return low + (bins - 0.5) * width, low + 0.5 * width, high - 0.5 * width, width
    levels = discretise(roi, "fixed_bin_number", bins=ivh.bins).values  # arbitrary units
    return levels, 1.0, float(ivh.bins), 1.0


def _diagnostics(image, mask, spacing, interpolated, roi: Roi) -> dict[str, float]:
    result: dict[str, float] = {}

    def grid(prefix: str, array: np.ndarray, voxel) -> None:
        for axis, n, s in zip("zyx", array.shape, voxel):
            result[f"img_dim_{axis}_{prefix}"] = n
            result[f"vox_dim_{axis}_{prefix}"] = s
        result.update(
            {f"mean_int_{prefix}": array.mean(), f"min_int_{prefix}": array.min(), f"max_int_{prefix}": array.max()}
        )

    def masks(prefix: str, shape, intensity: np.ndarray, morphological: np.ndarray, values: np.ndarray) -> None:
        for axis, n in zip("zyx", shape):
            result[f"int_mask_dim_{axis}_{prefix}"] = n
        for name, m in (("int", intensity), ("morph", morphological)):
            extent = [int(w.max() - w.min() + 1) for w in np.nonzero(m)]
            for axis, n in zip("zyx", extent):
                result[f"{name}_mask_bb_dim_{axis}_{prefix}"] = n
            result[f"{name}_mask_vox_count_{prefix}"] = int(m.sum())
        result.update(
            {
                f"int_mask_mean_int_{prefix}": values.mean(),
                f"int_mask_min_int_{prefix}": values.min(),
                f"int_mask_max_int_{prefix}": values.max(),
            }
        )

    grid("init_img", image, spacing)
    grid("interp_img", interpolated.full_image, interpolated.roi.spacing_mm)
    masks("init_roi", image.shape, mask, mask, image[mask])
    before = interpolated.roi
    masks("interp_roi", interpolated.grid_shape, before.intensity_mask, before.morphological_mask, before.values)
    masks("reseg_roi", interpolated.grid_shape, roi.intensity_mask, roi.morphological_mask, roi.values)
    return {k: float(v) for k, v in result.items()}
