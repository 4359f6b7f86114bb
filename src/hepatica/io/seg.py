"""DICOM Segmentation objects (SEG), written and read with highdicom.

A SEG written here references every slice of its source series (which must have been read from DICOM, so
that the source files are known) and codes each segment with SNOMED CT terms from DICOM CID 7150/7151.
Reading puts each segment back on the grid of its source series when that series is given, and on the grid
the SEG itself describes otherwise.
"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

from hepatica import __version__
from hepatica.errors import HepaticaInputError, UnreadableFileError
from hepatica.io.atomic import atomic_path
from hepatica.io.volume import Volume, require_same_grid, resample_to_grid

_ANATOMY = codes.SCT.AnatomicalStructure
_ABNORMAL = codes.SCT.MorphologicallyAbnormalStructure

#: Segment names Hepatica writes, with their (category, type) codes.
STRUCTURE_CODES = {
    "liver": (_ANATOMY, codes.SCT.Liver),
    "spleen": (_ANATOMY, codes.SCT.Spleen),
    "kidney": (_ANATOMY, codes.SCT.Kidney),
    "aorta": (_ANATOMY, codes.SCT.Aorta),
    "portal_vein": (_ANATOMY, codes.SCT.PortalVein),
    "hepatic_vein": (_ANATOMY, codes.SCT.HepaticVein),
    "inferior_vena_cava": (_ANATOMY, codes.SCT.InferiorVenaCava),
    "vertebra": (_ANATOMY, codes.SCT.Vertebra),
    "lesion": (_ABNORMAL, codes.SCT.Lesion),
}


def structure_codes(name: str):
    """Category and type codes for a segment name; 'lesion_3' and the like are coded as lesions."""
    key = name.lower()
    if key in STRUCTURE_CODES:
        return STRUCTURE_CODES[key]
    base = key.rstrip("0123456789").rstrip("_ ")
    if base in STRUCTURE_CODES:
        return STRUCTURE_CODES[base]
    if base.startswith(("lesion", "tumor", "tumour")):
        return STRUCTURE_CODES["lesion"]
    return (_ANATOMY, codes.SCT.AnatomicalStructure)


def write_dicom_seg(
    segments: dict[str, Volume],
    source: Volume,
    path: Path | str,
    series_description: str = "Hepatica segmentation",
    manual: bool = False,
    uid_seed: str | None = None,
) -> Path:
    """Write binary ``segments`` (name -> mask on ``source``'s grid) as a DICOM SEG referencing ``source``.

    ``source`` must have been read from DICOM (its metadata lists the source files). Empty segments are left
    out, since a SEG cannot hold them; at least one segment must be non-empty. With ``uid_seed`` the series and
    instance UIDs derive from it (`new_uid`), so writing again with the same seed gives the same instance.
    """
    files = source.metadata.get("source_files")
    if source.metadata.get("source") != "dicom" or not files:
        raise HepaticaInputError(
            "A DICOM SEG must reference DICOM source images; this image was not read from DICOM. "
            "Write the masks as NIfTI instead, or read the study from its DICOM files."
        )
    source_images = source_headers(files)
    names, masks = [], []
    for name, mask in segments.items():
        require_same_grid(source, mask, what=f"segment '{name}'")
        if np.any(mask.array):
            names.append(name)
            masks.append(mask.array > 0)
    if not masks:
        raise HepaticaInputError("Every segment is empty: there is nothing to write into a DICOM SEG.")
    algorithm = (
        None
        if manual
        else hd.AlgorithmIdentificationSequence(
            name="Hepatica", version=__version__, family=codes.cid7162.ArtificialIntelligence
        )
    )
    descriptions = []
    for number, name in enumerate(names, start=1):
        category, kind = structure_codes(name)
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=name,
                segmented_property_category=category,
                segmented_property_type=kind,
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL
                if manual
                else hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
                algorithm_identification=algorithm,
            )
        )
    seg = hd.seg.Segmentation(
        source_images=source_images,
        pixel_array=np.stack(masks, axis=-1).astype(np.uint8),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=new_uid(uid_seed, "seg-series"),
        series_number=int(source.metadata.get("series_number") or 0) + 1000,
        sop_instance_uid=new_uid(uid_seed, "seg-instance"),
        instance_number=1,
        manufacturer="Hepatica",
        manufacturer_model_name="Hepatica",
        software_versions=__version__,
        device_serial_number="0",
        series_description=series_description,
    )
    path = Path(path)
    with atomic_path(path) as tmp:
        seg.save_as(tmp)
    return path


def new_uid(seed: str | None, purpose: str) -> hd.UID:
    """A new random UID, or with ``seed`` the one derived from ``seed`` and ``purpose`` (the same every time): a job
    that is run again after a crash then pushes the same SEG and SR instances, which a PACS stores once."""
    if seed is None:
        return hd.UID()
    return hd.UID(pydicom.uid.generate_uid(entropy_srcs=["hepatica", seed, purpose]))


def source_headers(files: list[str]) -> list[pydicom.Dataset]:
    """The source images' headers. A SEG must state the images' frame of reference; old or anonymised series
    that lack a Frame of Reference UID get one derived from their Series Instance UID (the same every time),
    which the SEG and anything referencing it then share."""
    headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    for header, file in zip(headers, files, strict=True):
        _complete_sop_identity(header, file)
        if "FrameOfReferenceUID" not in header:
            header.FrameOfReferenceUID = pydicom.uid.generate_uid(
                entropy_srcs=["hepatica-frame-of-reference", str(header.SeriesInstanceUID)]
            )
    return headers


#: The storage class of a source image whose SOP Class UID is empty, by modality (PS3.4 B.5).
STORAGE_CLASS_BY_MODALITY = {"CT": pydicom.uid.CTImageStorage, "MR": pydicom.uid.MRImageStorage}


def _complete_sop_identity(header: pydicom.Dataset, file: str) -> None:
    """Fill an empty SOP Class or Instance UID (real archives hold such files) from the file meta information,
    or the class from the modality; a SEG or SR must name both for every image it references."""
    meta = getattr(header, "file_meta", None) or pydicom.Dataset()
    if not str(header.get("SOPClassUID", "") or ""):
        sop_class = str(meta.get("MediaStorageSOPClassUID", "") or "") or STORAGE_CLASS_BY_MODALITY.get(
            str(header.get("Modality", ""))
        )
        if not sop_class:
            raise HepaticaInputError(
                f"{Path(file).name}: SOP Class UID (0008,0016) is empty, and neither the file meta information "
                "nor the modality says what the image is, so no DICOM SEG or SR can reference it. Fill in the "
                "SOP Class UID, or analyse a NIfTI export of the series."
            )
        header.SOPClassUID = sop_class
    if not str(header.get("SOPInstanceUID", "") or ""):
        sop_instance = str(meta.get("MediaStorageSOPInstanceUID", "") or "")
        if not sop_instance:
            raise HepaticaInputError(
                f"{Path(file).name}: SOP Instance UID (0008,0018) is empty in the data set and the file meta "
                "information, so no DICOM SEG or SR can reference it. Fill in the SOP Instance UID."
            )
        header.SOPInstanceUID = sop_instance


def referenced_series_uids(path: Path | str) -> set[str]:
    """Series Instance UIDs of the images a DICOM SEG was drawn on (empty when it names none)."""
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types for files that are not DICOM
        raise UnreadableFileError(
            path, f"is neither an image file nor readable DICOM ({exc})", "Give a NIfTI, NRRD or DICOM SEG mask."
        ) from exc
    return {
        str(item.SeriesInstanceUID)
        for item in header.get("ReferencedSeriesSequence", [])
        if "SeriesInstanceUID" in item
    }


def read_dicom_seg(path: Path | str, reference: Volume | None = None) -> dict[str, Volume]:
    """The segments of a DICOM SEG as binary uint8 masks, keyed by segment label.

    With ``reference`` read from the SEG's source series, the masks lie exactly on its grid (matched by SOP
    Instance UID); with another ``reference`` they are resampled onto it by position; without one they lie on
    the grid the SEG describes.
    """
    path = Path(path)
    try:
        seg = hd.seg.segread(path)
    except Exception as exc:  # noqa: BLE001 - highdicom/pydicom raise many types for bad files
        raise UnreadableFileError(
            path,
            f"is not a readable DICOM Segmentation ({exc})",
            "Give a DICOM SEG object (SOP class 1.2.840.10008.5.1.4.1.1.66.4).",
        ) from exc
    numbers = list(seg.get_segment_numbers())
    labels = [seg.get_segment_description(n).segment_label for n in numbers]
    referenced = {uid for _, _, uid in seg.get_source_image_uids()}
    sop_uids = (reference.metadata.get("sop_instance_uids") or []) if reference is not None else []
    if reference is not None and sop_uids and referenced and referenced <= set(sop_uids):
        pixels = seg.get_pixels_by_source_instance(
            source_sop_instance_uids=sop_uids,
            segment_numbers=numbers,
            assert_missing_frames_are_empty=True,
            ignore_spatial_locations=True,
        )
        return {
            label: reference.with_array((pixels[..., n] > 0).astype(np.uint8), segment=label)
            for n, label in enumerate(labels)
        }
    volume = seg.get_volume(segment_numbers=numbers, combine_segments=False)
    affine = volume.affine  # maps (slice, row, column) indices to LPS
    steps = affine[:3, [2, 1, 0]]  # columns for (column, row, slice) index order
    spacing = np.linalg.norm(steps, axis=0)
    masks = {}
    for n, label in enumerate(labels):
        mask = Volume(
            array=(volume.array[..., n] > 0).astype(np.uint8),
            spacing=tuple(spacing),
            origin=tuple(affine[:3, 3]),
            direction=steps / spacing,
            metadata={"segment": label},
        )
        if reference is not None:
            mask = resample_to_grid(mask, reference, interpolation="nearest")
            require_same_grid(reference, mask)
        masks[label] = mask
    return masks
