"""Exceptions raised by Hepatica.

Every error a user can cause derives from :class:`HepaticaInputError` and says which file or series is at
fault and what to do about it, so that the command line can print it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class HepaticaError(Exception):
    """Base class of all Hepatica errors."""


class HepaticaInputError(HepaticaError, ValueError):
    """The input (a file, a series, a study, a parameter) cannot be used as it is."""


class UnreadableFileError(HepaticaInputError):
    """A file is missing, truncated, or not an image format Hepatica reads."""

    def __init__(self, path: Path | str, problem: str, fix: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: {problem}. {fix}")


class NoImageDataError(HepaticaInputError):
    """A folder or archive holds no image series that Hepatica can read."""


class SeriesGeometryError(HepaticaInputError):
    """The slices of one DICOM series do not form a regular 3-D grid."""

    def __init__(self, series: str, problem: str, fix: str):
        self.series = series
        super().__init__(f"Series {series}: {problem}. {fix}")


class MissingSliceError(SeriesGeometryError):
    """A gap in the slice positions that is a whole number of slice spacings: slices are missing."""


class DuplicateSliceError(SeriesGeometryError):
    """Two files of one series sit at the same slice position."""


class UnevenSpacingError(SeriesGeometryError):
    """Slice positions are not evenly spaced (and the gaps are not whole missing slices)."""


class MixedOrientationError(SeriesGeometryError):
    """The files of one series do not share one image orientation."""


class InconsistentGeometryError(SeriesGeometryError):
    """Rows, columns or pixel spacing change within a series, or slices are not stacked along their normal."""


class GridMismatchError(HepaticaInputError):
    """A mask (or second image) is not on the voxel grid of the image it belongs to."""


class PhaseError(HepaticaInputError):
    """A contrast phase name or a phase assignment cannot be used."""


class SegmentationInputError(HepaticaInputError):
    """The image cannot be segmented as it is (not CT, no body in the field of view, no liver found)."""


class BackendUnavailableError(HepaticaError):
    """A segmentation backend was asked for but is not installed, or its model weights are missing."""


class ImageValuesError(HepaticaInputError):
    """An image's voxel values cannot be used: too many are not numbers (NaN or infinite), or they are not
    calibrated as the modality needs (a CT whose body does not lie at soft-tissue HU)."""


class ModalityError(HepaticaInputError):
    """An image is not of the modality the analysis needs (an MR image given where CT in HU is analysed)."""
