"""Reading DICOM image series into `Volume` objects.

A folder is scanned once for headers; files are grouped into series (by SeriesInstanceUID, or by descriptive
attributes when an anonymiser emptied the UIDs), slices are ordered by their position along the slice normal
(never by file name or InstanceNumber), the slice spacing is taken from the positions, and the geometry is
checked before any pixel is read. Pixel values are converted with each slice's RescaleSlope/RescaleIntercept.

Non-image DICOM objects (SEG, SR, RT structures, presentation states) and non-DICOM files met during a scan are
listed as skipped, not read as images; a DICOM image file that is damaged is an error naming the file.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from hepatica.errors import (
    DuplicateSliceError,
    InconsistentGeometryError,
    MissingSliceError,
    MixedOrientationError,
    NoImageDataError,
    UnevenSpacingError,
    UnreadableFileError,
)
from hepatica.io.phase import PhaseClues
from hepatica.io.volume import Volume

#: Image orientation cosines closer than this count as the same orientation.
ORIENTATION_TOLERANCE = 1e-4
#: A slice gap may differ from the series' typical spacing by this fraction (or 0.01 mm) and still count as even.
SPACING_RELATIVE_TOLERANCE = 0.02
SPACING_ABSOLUTE_TOLERANCE_MM = 0.01
#: Slice positions may drift sideways from the stack axis by this fraction of a pixel.
STACK_AXIS_TOLERANCE_PIXELS = 0.1
#: A DICOM image file may be at most this many times its described pixel bytes plus this much header (private
#: tags, icons, overlays); a larger one is refused before its pixel data is read.
MAX_FILE_TO_PIXEL_RATIO = 4
MAX_HEADER_BYTES = 16 * 2**20

_REQUIRED_IMAGE_ATTRIBUTES = ("Rows", "Columns", "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient")


@dataclass
class DicomSeries:
    """The files of one image series with their headers (pixels are not read yet)."""

    key: str  # how this series is named in messages: its SeriesInstanceUID, or a descriptive key without one
    files: list[Path]
    headers: list[Dataset]

    @property
    def first(self) -> Dataset:
        return self.headers[0]

    @property
    def uid(self) -> str | None:
        return str(self.first.get("SeriesInstanceUID", "") or "") or None

    @property
    def description(self) -> str:
        return str(self.first.get("SeriesDescription", "") or "")

    @property
    def modality(self) -> str:
        return str(self.first.get("Modality", "") or "OT")

    def phase_clues(self) -> PhaseClues:
        """What the headers say about the contrast phase."""
        text = " ".join(str(self.first.get(k, "") or "") for k in ("SeriesDescription", "ProtocolName")).strip()
        agent = str(self.first.get("ContrastBolusAgent", "") or "").strip() or None
        acquisition_times = [t for t in (_acquisition_time(h) for h in self.headers) if t is not None]
        return PhaseClues(
            description=text,
            contrast_agent=agent,
            bolus_start=parse_dicom_time(self.first.get("ContrastBolusStartTime")),
            acquisition_time=min(acquisition_times) if acquisition_times else None,
        )


@dataclass
class SkippedFile:
    """A file a folder scan did not read as an image, and why."""

    path: Path
    reason: str


@dataclass
class DicomScan:
    """The result of scanning a folder: image series, other DICOM objects (e.g. SEG) and skipped files."""

    series: list[DicomSeries]
    segmentations: list[Path] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------- scanning
def scan_dicom_folder(folder: Path | str) -> DicomScan:
    """Group the DICOM image files below ``folder`` (recursively) into series; raise if there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UnreadableFileError(folder, "is not a folder", "Give the folder that holds the DICOM files.")
    groups: dict[str, list[tuple[Path, Dataset]]] = defaultdict(list)
    scan = DicomScan(series=[])
    for path in sorted(_walk(folder)):
        header = _read_header(path)
        if header is None:
            scan.skipped.append(SkippedFile(path, "not a DICOM file"))
            continue
        kind = _object_kind(header)
        if kind == "seg":
            scan.segmentations.append(path)
            continue
        if kind != "image":
            scan.skipped.append(SkippedFile(path, f"DICOM object that is not an image ({kind})"))
            continue
        missing = [a for a in _REQUIRED_IMAGE_ATTRIBUTES if not header.get(a)]
        if missing:
            raise UnreadableFileError(
                path,
                f"DICOM image without {', '.join(missing)} (truncated or incomplete header)",
                "Export the series again from the scanner or PACS, or remove this file.",
            )
        groups[_series_key(header)].append((path, header))
    if not groups:
        listed = ", ".join(f"{s.path.name} ({s.reason})" for s in scan.skipped[:5])
        raise NoImageDataError(
            f"{folder}: no DICOM image series found"
            + (f"; skipped {len(scan.skipped)} file(s): {listed}" if scan.skipped else " (the folder is empty)")
            + ". Give a folder with DICOM image files (CT or MR), or NIfTI/NRRD/MHA files."
        )
    for key, members in groups.items():
        members.sort(key=lambda m: str(m[0]))
        scan.series.append(DicomSeries(key, [m[0] for m in members], [m[1] for m in members]))
    scan.series.sort(key=lambda s: (int(s.first.get("SeriesNumber") or 0), s.key))
    return scan


def _walk(folder: Path):
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.upper() != "DICOMDIR":
                yield Path(root) / name


def _read_header(path: Path) -> Dataset | None:
    """The header of a DICOM file, None for a file that is not DICOM; raises for a damaged DICOM file."""
    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        if _has_dicom_preamble(path):
            raise UnreadableFileError(
                path,
                f"damaged or truncated DICOM header ({exc})",
                "Export the file again or remove it from the folder.",
            ) from exc
    # No 'DICM' marker: may still be DICOM written without the preamble (older exports), which starts with an
    # element of the file meta (group 0002) or identifying (0008) group. Anything else is not forced through
    # pydicom: a forced read of a large file of zeros parses it for minutes.
    if not _starts_like_dicom_without_preamble(path):
        return None
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - any parse failure of a forced read means "not DICOM"
        return None
    if "SOPClassUID" in header or "ImagePositionPatient" in header:
        return header
    return None


def _starts_like_dicom_without_preamble(path: Path) -> bool:
    with open(path, "rb") as f:
        start = f.read(4)
    return len(start) == 4 and start[:2] in (b"\x02\x00", b"\x08\x00")


def _has_dicom_preamble(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(128)
        return f.read(4) == b"DICM"


_IMAGE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.2": "CT Image",
    "1.2.840.10008.5.1.4.1.1.4": "MR Image",
    "1.2.840.10008.5.1.4.1.1.128": "PET Image",
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture",
}
_SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


def _object_kind(header: Dataset) -> str:
    meta = getattr(header, "file_meta", None)
    # A header cut short may lack SOPClassUID while its file meta still names the class.
    sop = str(header.get("SOPClassUID", "") or (meta.get("MediaStorageSOPClassUID", "") if meta else "") or "")
    if sop == _SEG_SOP_CLASS:
        return "seg"
    if sop in _IMAGE_SOP_CLASSES or (not sop and "ImagePositionPatient" in header):
        if int(header.get("NumberOfFrames", 1) or 1) > 1:
            return "multi-frame image (not supported yet)"
        image_type = [str(v).upper() for v in (header.get("ImageType") or [])]
        return "localizer" if "LOCALIZER" in image_type else "image"
    try:
        return pydicom.uid.UID(sop).name or sop or "unknown SOP class"
    except Exception:  # noqa: BLE001
        return sop or "unknown SOP class"


def _series_key(header: Dataset) -> str:
    uid = str(header.get("SeriesInstanceUID", "") or "")
    if uid:
        return uid
    # Anonymised exports sometimes empty every UID: fall back on what describes the series.
    parts = [
        str(header.get(k, "") or "")
        for k in (
            "StudyInstanceUID",
            "Modality",
            "SeriesNumber",
            "SeriesDescription",
            "SeriesTime",
            "FrameOfReferenceUID",
            "Rows",
            "Columns",
        )
    ]
    return "no-uid:" + "|".join(parts)


# ---------------------------------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class SliceStack:
    """The checked geometry of a series: files in slice order and the grid they form."""

    files: list[Path]
    headers: list[Dataset]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray


def order_slices(series: DicomSeries) -> SliceStack:
    """Order the slices of ``series`` along their normal and check that they form a regular grid.

    Raises the specific :class:`~hepatica.errors.SeriesGeometryError` subclass for mixed orientations,
    changing rows/columns/pixel spacing, duplicated slices, missing slices, uneven spacing, or slices not
    stacked along their normal (gantry tilt).
    """
    name = describe_series(series)
    orientations = [np.asarray(h.ImageOrientationPatient, dtype=float) for h in series.headers]
    reference = orientations[0]
    odd = [n for n, o in enumerate(orientations) if not np.allclose(o, reference, atol=ORIENTATION_TOLERANCE)]
    if odd:
        distinct = Counter(tuple(np.round(o, 4)) for o in orientations)
        raise MixedOrientationError(
            name,
            f"its files have {len(distinct)} different image orientations "
            f"({series.files[0].name} has {_fmt(reference)}, {series.files[odd[0]].name} has "
            f"{_fmt(orientations[odd[0]])})",
            "A series must be one stack of parallel slices: separate the reformats (e.g. axial and coronal) "
            "into their own series or folders.",
        )
    for attr in ("Rows", "Columns", "PixelSpacing"):
        values = Counter(str(h.get(attr)) for h in series.headers)
        if len(values) > 1:
            raise InconsistentGeometryError(
                name,
                f"{attr} changes within the series ({', '.join(sorted(values))})",
                "Export the series again; files of different series may have been mixed in one folder.",
            )
    row_dir, col_dir = reference[:3], reference[3:]
    normal = np.cross(row_dir, col_dir)
    positions = np.asarray([np.asarray(h.ImagePositionPatient, dtype=float) for h in series.headers])
    along = positions @ normal
    order = np.argsort(along, kind="stable")
    files = [series.files[n] for n in order]
    headers = [series.headers[n] for n in order]
    positions, along = positions[order], along[order]
    pixel_spacing = [float(v) for v in headers[0].PixelSpacing]  # (row spacing, column spacing)

    gaps = np.diff(along)
    duplicates = np.flatnonzero(gaps < SPACING_ABSOLUTE_TOLERANCE_MM)
    if duplicates.size:
        n = int(duplicates[0])
        acquisitions = sorted({str(h.get("AcquisitionNumber", "")) for h in headers} - {""})
        hint = (
            f" The series holds several acquisitions (AcquisitionNumber {', '.join(acquisitions)}): "
            "split them into separate folders."
            if len(acquisitions) > 1
            else ""
        )
        raise DuplicateSliceError(
            name,
            f"{files[n].name} and {files[n + 1].name} are both at slice position {along[n]:.2f} mm "
            f"({duplicates.size} duplicated position(s))",
            "Remove the duplicate files (a copy of the same image, or a second reconstruction in the same "
            "series)." + hint,
        )
    if len(files) > 1:
        spacing_z = float(np.median(gaps))
        tolerance = max(SPACING_ABSOLUTE_TOLERANCE_MM, SPACING_RELATIVE_TOLERANCE * spacing_z)
        for n, gap in enumerate(gaps):
            if abs(gap - spacing_z) <= tolerance:
                continue
            multiple = gap / spacing_z
            if round(multiple) >= 2 and abs(gap - round(multiple) * spacing_z) <= tolerance:
                raise MissingSliceError(
                    name,
                    f"{round(multiple) - 1} slice(s) missing between {files[n].name} "
                    f"(position {along[n]:.2f} mm) and {files[n + 1].name} (position {along[n + 1]:.2f} mm); "
                    f"the other slices are {spacing_z:.2f} mm apart",
                    "Export the complete series again from the scanner or PACS.",
                )
            raise UnevenSpacingError(
                name,
                f"slice spacing is uneven: {gap:.3f} mm between {files[n].name} and {files[n + 1].name}, "
                f"{spacing_z:.3f} mm typically (gaps range {gaps.min():.3f}-{gaps.max():.3f} mm)",
                "Resample the series to even spacing (e.g. with dcm2niix or your PACS) or use a series "
                "reconstructed with constant spacing.",
            )
        in_plane = (positions - positions[0]) - np.outer(along - along[0], normal)
        drift = np.abs(in_plane).max()
        if drift > STACK_AXIS_TOLERANCE_PIXELS * min(pixel_spacing):
            tilt = np.degrees(np.arctan2(drift, along[-1] - along[0]))
            raise InconsistentGeometryError(
                name,
                f"slices are not stacked along the normal of their planes (sideways drift {drift:.2f} mm, "
                f"as with a gantry tilt of about {tilt:.1f} degrees)",
                "Correct the gantry tilt first (e.g. dcm2niix does) or use a reformatted series.",
            )
    else:
        spacing_z = float(headers[0].get("SpacingBetweenSlices") or headers[0].get("SliceThickness") or 1.0)
    return SliceStack(
        files=files,
        headers=headers,
        spacing=(pixel_spacing[1], pixel_spacing[0], spacing_z),
        origin=tuple(float(v) for v in positions[0]),
        direction=np.column_stack([row_dir, col_dir, normal]),
    )


def load_dicom_series(series: DicomSeries) -> Volume:
    """The series as a `Volume` in LPS millimetres, pixel values rescaled (HU for CT)."""
    stack = order_slices(series)
    slices = []
    integral = True
    for path, header in zip(stack.files, stack.headers, strict=True):
        _require_plausible_size(path, header, describe_series(series))
        pixels, exact_integer = _read_rescaled_pixels(path, describe_series(series))
        integral &= exact_integer
        slices.append(pixels)
    array = np.stack(slices)
    if integral and array.min() >= np.iinfo(np.int16).min and array.max() <= np.iinfo(np.int16).max:
        array = array.astype(np.int16)
    else:
        array = array.astype(np.float32)
    first = stack.headers[0]
    return Volume(
        array=array,
        spacing=stack.spacing,
        origin=stack.origin,
        direction=stack.direction,
        metadata={
            "source": "dicom",
            "series_key": series.key,
            "series_uid": series.uid,
            "study_uid": str(first.get("StudyInstanceUID", "") or "") or None,
            "study_date": _iso_date(first.get("StudyDate")),  # for intervals between studies; never reported
            "frame_of_reference_uid": str(first.get("FrameOfReferenceUID", "") or "") or None,
            "series_description": series.description,
            "series_number": int(first.get("SeriesNumber")) if first.get("SeriesNumber") not in (None, "") else None,
            "modality": series.modality,
            "manufacturer": str(first.get("Manufacturer", "") or "") or None,
            "slice_thickness_mm": float(first.SliceThickness) if first.get("SliceThickness") else None,
            # body size for the liver-volume check (quality control); not identifiers, never reported as such
            "patient_height_m": _positive(first.get("PatientSize")),
            "patient_weight_kg": _positive(first.get("PatientWeight")),
            "source_files": [str(p) for p in stack.files],
            "sop_instance_uids": [str(h.get("SOPInstanceUID", "") or "") for h in stack.headers],
        },
    )


def _positive(value) -> float | None:
    """A DICOM DS value as a positive float; None when absent, zero or unreadable."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _iso_date(value) -> str | None:
    """A DICOM DA value ('YYYYMMDD') as 'YYYY-MM-DD', None if absent or invalid."""
    text = str(value or "").strip()
    try:
        return datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def _read_rescaled_pixels(path: Path, series_name: str) -> tuple[np.ndarray, bool]:
    """Pixel values of one file after the modality rescale, and whether they are whole numbers."""
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types for damaged files
        raise UnreadableFileError(
            path,
            f"damaged DICOM file in series {series_name} ({exc})",
            "Export the file again or remove it from the series.",
        ) from exc
    try:
        raw = ds.pixel_array
    except Exception as exc:  # noqa: BLE001
        stored = len(ds.PixelData) if "PixelData" in ds else 0
        expected = int(ds.Rows) * int(ds.Columns) * int(ds.get("BitsAllocated", 16)) // 8
        if not ds.file_meta.TransferSyntaxUID.is_compressed and stored < expected:
            problem = f"pixel data is truncated ({stored} of {expected} bytes) in series {series_name}"
        else:
            problem = f"pixel data could not be decoded in series {series_name} ({exc})"
        raise UnreadableFileError(
            path, problem, "Export the file again; for compressed files check that pylibjpeg's decoders are installed."
        ) from exc
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    if slope.is_integer() and intercept.is_integer():  # CT: stay in integers, no float copy of the slice
        return raw.astype(np.int32) * int(slope) + int(intercept), True
    return raw.astype(np.float32) * np.float32(slope) + np.float32(intercept), False


def _require_plausible_size(path: Path, header: Dataset, series_name: str) -> None:
    """Refuse a file far larger than the pixel data its header describes before pydicom reads all of it (a file of
    gigabytes behind a small header stalls a worker)."""
    frames = int(header.get("NumberOfFrames", 1) or 1)
    rows, columns = int(header.get("Rows", 0) or 0), int(header.get("Columns", 0) or 0)
    samples, bits = int(header.get("SamplesPerPixel", 1) or 1), int(header.get("BitsAllocated", 16) or 16)
    expected = rows * columns * frames * samples * bits // 8
    size = path.stat().st_size
    if size > MAX_FILE_TO_PIXEL_RATIO * expected + MAX_HEADER_BYTES:
        raise UnreadableFileError(
            path,
            f"is {size / 2**20:.0f} MiB, but its header describes {expected / 2**20:.1f} MiB of pixels "
            f"(series {series_name})",
            "Remove the file or export the series again.",
        )


def describe_series(series: DicomSeries) -> str:
    """A short, identifier-free name of a series for messages: number, description and UID tail."""
    first = series.first
    number = first.get("SeriesNumber")
    parts = []
    if number not in (None, ""):
        parts.append(f"#{number}")
    if series.description:
        parts.append(f"'{series.description}'")
    uid = series.uid
    # Folder and file names can carry patient names, so they stay out of the description.
    parts.append(f"(UID …{uid[-12:]})" if uid else f"(no UID, {len(series.files)} files)")
    return " ".join(parts)


def parse_dicom_time(value) -> time | None:
    """A DICOM TM value ('HHMMSS.FFFFFF', 'HH:MM:SS' or a datetime.time) as a time, None if absent or invalid."""
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    text = str(value).strip().replace(":", "")
    try:
        hh, mm, ss = int(text[0:2]), int(text[2:4] or 0), float(text[4:] or 0)
        return time(hh, mm, int(ss), int(round((ss - int(ss)) * 1e6)) % 1000000)
    except (ValueError, IndexError):
        return None


def _acquisition_time(header: Dataset) -> time | None:
    for key in ("AcquisitionTime", "ContentTime", "SeriesTime"):
        t = parse_dicom_time(header.get(key))
        if t is not None:
            return t
    return None


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"
