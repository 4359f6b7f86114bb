"""Study input and output: DICOM series, NIfTI/NRRD/MHA files and DICOM SEG, all as `Volume` objects in LPS mm."""

from hepatica.io.dicom import DicomScan, DicomSeries, load_dicom_series, scan_dicom_folder
from hepatica.io.dicom_write import SeriesHeader, write_ct_series
from hepatica.io.files import read_image, read_mask, write_image
from hepatica.io.phase import Phase, PhaseEstimate, parse_phase
from hepatica.io.seg import read_dicom_seg, write_dicom_seg
from hepatica.io.study import Study, StudySeries, load_study
from hepatica.io.volume import Volume, grid_differences, require_same_grid, resample_to_grid

__all__ = [
    "DicomScan",
    "DicomSeries",
    "Phase",
    "PhaseEstimate",
    "SeriesHeader",
    "Study",
    "StudySeries",
    "Volume",
    "grid_differences",
    "load_dicom_series",
    "load_study",
    "parse_phase",
    "read_dicom_seg",
    "read_image",
    "read_mask",
    "require_same_grid",
    "resample_to_grid",
    "scan_dicom_folder",
    "write_ct_series",
    "write_dicom_seg",
    "write_image",
]
