"""Study input and output: DICOM series, NIfTI/NRRD/MHA files and DICOM SEG, all as `Volume` objects in LPS mm.

The names below are imported when first used (PEP 562), so that importing a light module of this package
(``hepatica.io.phase``, say) does not load SimpleITK, pydicom and highdicom.
"""

from importlib import import_module

_EXPORTS = {
    "DicomScan": "dicom",
    "DicomSeries": "dicom",
    "load_dicom_series": "dicom",
    "scan_dicom_folder": "dicom",
    "SeriesHeader": "dicom_write",
    "write_ct_series": "dicom_write",
    "read_image": "files",
    "read_mask": "files",
    "write_image": "files",
    "Phase": "phase",
    "PhaseEstimate": "phase",
    "parse_phase": "phase",
    "read_dicom_seg": "seg",
    "write_dicom_seg": "seg",
    "Study": "study",
    "StudySeries": "study",
    "load_study": "study",
    "Volume": "volume",
    "grid_differences": "volume",
    "require_same_grid": "volume",
    "resample_to_grid": "volume",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hepatica.io' has no attribute {name!r}")
    value = getattr(import_module(f"hepatica.io.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
