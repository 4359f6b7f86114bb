"""Everything that defines an extraction, saved with every result (IBSI reporting guidelines)."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from hepatica.radiomics.filters import FilterSpec
from hepatica.radiomics.roi import RadiomicsInputError

DISCRETISATIONS = ("fixed_bin_number", "fixed_bin_size", "none")
IVH_DISCRETISATIONS = ("none", "fixed_bin_number", "fixed_bin_size")


@dataclass(frozen=True)
class Discretisation:
    method: str = "fixed_bin_size"
    bins: int | None = None
    bin_width: float | None = 25.0

    def __post_init__(self) -> None:
        if self.method not in DISCRETISATIONS:
            raise RadiomicsInputError(f"discretisation method must be one of {DISCRETISATIONS}, got {self.method!r}")


@dataclass(frozen=True)
class ExtractionSettings:
    """IBSI-1 processing and feature settings. Sizes in mm, intensities in the image's units (HU for CT).

    ``voxel_size_mm`` is (x, y, z); None (or an entry None) keeps the original spacing on that axis, e.g.
    (2, 2, None) for in-plane interpolation. ``by_slice`` computes texture in 2D / 2.5D instead of 3D.
    ``ivh`` is how intensities are discretised for the intensity-volume histogram: "none" for calibrated
    discrete intensities such as CT in HU, else a bin width or bin number of its own. ``filters`` add one
    image type each (statistics, histogram and texture of the response inside the ROI, discretised by
    ``filtered_discretisation``; fixed bin sizes then start at the response's minimum)."""

    by_slice: bool = False
    voxel_size_mm: tuple[float | None, float | None, float | None] | None = None
    image_interpolation: str = "linear"
    mask_interpolation: str = "linear"
    partial_volume: float = 0.5
    round_intensities: bool = True
    resegmentation_range: tuple[float | None, float | None] | None = None
    outlier_sigma: float | None = None
    discretisation: Discretisation = field(default_factory=Discretisation)
    ivh: Discretisation = field(default_factory=lambda: Discretisation("none", None, None))
    filters: tuple[FilterSpec, ...] = ()
    filtered_discretisation: Discretisation = field(
        default_factory=lambda: Discretisation("fixed_bin_number", 32, None)
    )

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ExtractionSettings:
        """Settings from a parameter file's mapping; unknown keys are refused with the known ones listed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RadiomicsInputError(f"unknown radiomics settings {unknown}; known: {sorted(known)}")
        values = dict(data)
        for key in ("discretisation", "ivh", "filtered_discretisation"):
            if key in values and isinstance(values[key], dict):
                values[key] = Discretisation(**values[key])
        for key in ("voxel_size_mm", "resegmentation_range"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        try:
            if "filters" in values:
                values["filters"] = tuple(
                    f if isinstance(f, FilterSpec) else FilterSpec(**f) for f in values["filters"] or ()
                )
            return cls(**values)
        except TypeError as error:
            raise RadiomicsInputError(f"bad radiomics settings: {error}") from error

    def to_yaml(self) -> str:
        """The parameter file that reproduces this extraction."""
        return "# Hepatica radiomics parameters (IBSI-1); sizes in mm, voxel_size_mm as (x, y, z)\n" + yaml.safe_dump(
            _plain(self.as_dict()), sort_keys=False
        )


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_INTERPOLATORS = {"sitkNearestNeighbor": "nearest", "sitkLinear": "linear", "sitkBSpline": "cubic"}
_SHARED_PYRADIOMICS_SETTINGS = {
    "binWidth",
    "binCount",
    "resampledPixelSpacing",
    "interpolator",
    "resegmentRange",
    "resegmentMode",
    "force2D",
    "force2Ddimension",
    "label",
    "wavelet",
}


def from_pyradiomics(parameters: dict) -> tuple[ExtractionSettings, int | None, list[str]]:
    """Settings from a PyRadiomics parameter file's mapping, for the settings both share.

    Returns the settings, the label it names (or None) and the settings it has that are not carried over.
    LoG sigmas become LoG filters, Wavelet the eight level-1 sub-bands (IBSI-2 conventions, which differ from
    PyRadiomics's own). PyRadiomics does not round intensities after interpolation, nor interpolate masks
    linearly with a partial-volume threshold: Hepatica keeps IBSI's defaults for those."""
    setting = dict(parameters.get("setting") or {})
    ignored = sorted(f"setting.{k}" for k in set(setting) - _SHARED_PYRADIOMICS_SETTINGS)
    ignored += sorted(k for k in parameters if k not in ("setting", "imageType", "featureClass"))
    image_types = parameters.get("imageType") or {"Original": {}}
    ignored += sorted(f"imageType.{k}" for k in image_types if k not in ("Original", "LoG", "Wavelet"))
    filters = [FilterSpec("log", sigma_mm=float(sigma)) for sigma in (image_types.get("LoG") or {}).get("sigma", [])]
    if "Wavelet" in image_types:
        name = setting.get("wavelet", "coif1")
        filters += [
            FilterSpec("wavelet", wavelet=name, subband="".join(bands)) for bands in itertools.product("LH", repeat=3)
        ]
    values: dict = {"filters": tuple(filters)}
    if "binCount" in setting:
        values["discretisation"] = Discretisation("fixed_bin_number", int(setting["binCount"]), None)
    else:
        values["discretisation"] = Discretisation("fixed_bin_size", None, float(setting.get("binWidth", 25)))
    spacing = setting.get("resampledPixelSpacing")
    if spacing and any(spacing):
        values["voxel_size_mm"] = tuple(float(v) if v else None for v in spacing)
    if "interpolator" in setting:
        name = setting["interpolator"]
        if name not in _INTERPOLATORS:
            raise RadiomicsInputError(f"PyRadiomics interpolator {name!r}: Hepatica has {sorted(_INTERPOLATORS)}")
        values["image_interpolation"] = _INTERPOLATORS[name]
    if setting.get("resegmentRange"):
        bounds = list(setting["resegmentRange"])
        mode = setting.get("resegmentMode", "absolute")
        if mode == "absolute":
            values["resegmentation_range"] = (float(bounds[0]), float(bounds[1]) if len(bounds) > 1 else None)
        elif mode == "sigma":
            values["outlier_sigma"] = float(max(abs(b) for b in bounds))
        else:
            ignored.append(f"setting.resegmentMode={mode}")
    if setting.get("force2D"):
        if int(setting.get("force2Ddimension", 0)) != 0:
            raise RadiomicsInputError("force2Ddimension other than 0 (axial) is not supported")
        values["by_slice"] = True
    return ExtractionSettings.from_dict(values), setting.get("label"), ignored


def load_settings(path: Path) -> tuple[ExtractionSettings, int | None, list[str]]:
    """Hepatica or PyRadiomics parameter file (YAML): settings, label (PyRadiomics files may name one) and
    the PyRadiomics settings that were not carried over."""
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RadiomicsInputError(f"cannot read the parameter file {path}: {error}") from error
    if not isinstance(data, dict):
        raise RadiomicsInputError(f"the parameter file {path} must hold a mapping of settings")
    if {"setting", "imageType", "featureClass"} & set(data):
        return from_pyradiomics(data)
    return ExtractionSettings.from_dict(data), None, []
