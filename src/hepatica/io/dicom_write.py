"""Writing a `Volume` as a DICOM CT image series (one Explicit VR Little Endian file per slice).

highdicom builds derived objects (SEG, SR) but has no constructor for original CT images, so this module sets
the CT Image IOD's modules (Patient, General Study/Series/Equipment/Image, Frame of Reference, Image Plane,
Image Pixel, Contrast/Bolus, CT Image, SOP Common) with pydicom directly. Pixels are stored as unsigned
12-bit values with RescaleIntercept -1024, as most CT scanners do; HU outside -1024..3071 are clipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid

from hepatica import __version__
from hepatica.errors import HepaticaInputError
from hepatica.io.atomic import atomic_path
from hepatica.io.volume import Volume

HU_MIN, HU_MAX = -1024, 3071


@dataclass(frozen=True)
class SeriesHeader:
    """What a written series says about itself (UIDs must be valid DICOM UIDs)."""

    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    series_number: int
    series_description: str
    patient_name: str = "Anonymous"
    patient_id: str = "ANON"
    study_date: date = date(2026, 1, 1)
    study_time: time = time(9, 0, 0)
    acquisition_time: time | None = None
    contrast_agent: str | None = None  # ContrastBolusAgent; None writes no Contrast/Bolus module
    bolus_start_time: time | None = None
    kvp: float = 120.0
    manufacturer: str = "Hepatica"


def write_ct_series(volume: Volume, folder: Path | str, header: SeriesHeader) -> list[Path]:
    """Write ``volume`` (HU) as a CT series into ``folder``; returns the files, inferior to superior."""
    if volume.array.ndim != 3:
        raise HepaticaInputError("write_ct_series needs a 3-D volume")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stored = (np.clip(np.rint(volume.array), HU_MIN, HU_MAX) - HU_MIN).astype(np.uint16)
    row_dir, col_dir, normal = volume.direction[:, 0], volume.direction[:, 1], volume.direction[:, 2]
    paths = []
    for k in range(stored.shape[0]):
        sop_uid = generate_uid(entropy_srcs=[header.series_uid, str(k)])  # deterministic, <= 64 chars
        position = np.asarray(volume.origin) + normal * volume.spacing[2] * k
        ds = _slice_dataset(header, sop_uid, k, position, row_dir, col_dir, volume.spacing)
        ds.Rows, ds.Columns = stored.shape[1], stored.shape[2]
        ds.PixelData = stored[k].tobytes()
        path = folder / f"IM{k + 1:04d}.dcm"
        with atomic_path(path) as tmp:
            ds.save_as(tmp, enforce_file_format=True)
        paths.append(path)
    return paths


def _slice_dataset(header: SeriesHeader, sop_uid: str, k: int, position, row_dir, col_dir, spacing) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"HEPATICA_{__version__}"[:16]
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    study_date = header.study_date.strftime("%Y%m%d")
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study_date
    ds.StudyTime = header.study_time.strftime("%H%M%S")
    acquisition = header.acquisition_time or header.study_time
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = acquisition.strftime("%H%M%S.%f")
    ds.AccessionNumber = ""
    ds.Modality = "CT"
    ds.Manufacturer = header.manufacturer
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Liver multiphase CT"
    ds.SeriesDescription = header.series_description
    ds.ManufacturerModelName = "Hepatica phantom"
    ds.SoftwareVersions = __version__
    # Patient module (type 2 attributes present, possibly empty)
    ds.PatientName = header.patient_name
    ds.PatientID = header.patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    # Contrast/Bolus module
    if header.contrast_agent:
        ds.ContrastBolusAgent = header.contrast_agent
        ds.ContrastBolusRoute = "IV"
        if header.bolus_start_time is not None:
            ds.ContrastBolusStartTime = header.bolus_start_time.strftime("%H%M%S.%f")
    # CT image module
    ds.BodyPartExamined = "ABDOMEN"
    ds.KVP = header.kvp
    ds.SliceThickness = float(spacing[2])
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = header.study_uid
    ds.SeriesInstanceUID = header.series_uid
    ds.StudyID = "1"
    ds.SeriesNumber = header.series_number
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = k + 1
    ds.ImagePositionPatient = [_ds(v) for v in position]
    ds.ImageOrientationPatient = [_ds(v) for v in (*row_dir, *col_dir)]
    ds.FrameOfReferenceUID = header.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = _ds(position[2])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelSpacing = [_ds(spacing[1]), _ds(spacing[0])]  # row spacing, column spacing
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = HU_MIN
    ds.RescaleSlope = 1
    ds.RescaleType = "HU"
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    return ds


def _ds(value: float) -> str:
    """A float as a DICOM Decimal String (at most 16 characters)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"
