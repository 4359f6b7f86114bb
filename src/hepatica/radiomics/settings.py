"""Everything that defines an extraction, saved with every result (IBSI reporting guidelines)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    discrete intensities such as CT in HU, else a bin width or bin number of its own."""

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

    def as_dict(self) -> dict:
        return asdict(self)
