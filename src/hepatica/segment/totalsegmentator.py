"""The ``totalsegmentator`` backend: an installed TotalSegmentator (v2) with its own weights.

Hepatica runs three TotalSegmentator tasks and maps their labels into its own masks:

* ``total`` restricted to the liver (label 5 ``liver``) -> ``liver``;
* ``liver_vessels`` (1 ``liver_vessels``, 2 ``liver_tumor``) -> ``structures["hepatic_vessels"]`` and the
  lesion mask;
* ``liver_segments`` (1..8 ``liver_segment_1..8``) -> ``structures["couinaud"]`` with values 1..8 = I..VIII.

TotalSegmentator is an optional extra (``pip install hepatica[totalsegmentator]``, GPU advised) and its
weights must already be in its weights folder (``TOTALSEG_HOME_DIR``): Hepatica never downloads them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepatica.errors import BackendUnavailableError
from hepatica.io.files import read_mask, write_image
from hepatica.io.volume import Volume, resample_to_grid
from hepatica.segment.postprocess import clean_liver
from hepatica.segment.types import ModelCard, Segmentation


@dataclass(frozen=True)
class TaskLabels:
    """A TotalSegmentator task, the nnU-Net dataset id holding its weights, and the labels Hepatica takes."""

    task: str
    dataset_id: int
    labels: dict[str, int]


TOTAL = TaskLabels("total", 291, {"liver": 5, "inferior_vena_cava": 63, "portal_vein_and_splenic_vein": 64})
LIVER_VESSELS = TaskLabels("liver_vessels", 8, {"liver_vessels": 1, "liver_tumor": 2})
LIVER_SEGMENTS = TaskLabels("liver_segments", 570, {f"liver_segment_{n}": n for n in range(1, 9)})


def labels_on_grid(path: Path | str, image: Volume) -> Volume:
    """A TotalSegmentator label file on ``image``'s voxel grid (its NIfTI may be stored in another orientation,
    e.g. LAS for an LPS DICOM series: voxels are matched by position, never by array index)."""
    return resample_to_grid(read_mask(path), image, "nearest")


def liver_from_total(labels: Volume) -> Volume:
    """The liver mask (uint8 0/1) from a ``total`` task label map."""
    return labels.with_array((labels.array == TOTAL.labels["liver"]).astype(np.uint8), content="liver")


def vessels_and_tumour(labels: Volume) -> tuple[Volume, Volume]:
    """(hepatic vessels, liver tumour) masks from a ``liver_vessels`` task label map."""
    vessels = (labels.array == LIVER_VESSELS.labels["liver_vessels"]).astype(np.uint8)
    tumour = (labels.array == LIVER_VESSELS.labels["liver_tumor"]).astype(np.uint8)
    return labels.with_array(vessels, content="hepatic vessels"), labels.with_array(tumour, content="liver lesions")


def couinaud_from_segments(labels: Volume) -> Volume:
    """Couinaud segments 1..8 (I..VIII), 0 elsewhere, from a ``liver_segments`` task label map."""
    array = np.where((labels.array >= 1) & (labels.array <= 8), labels.array, 0).astype(np.uint8)
    return labels.with_array(array, content="Couinaud segments")


class TotalSegmentatorBackend:
    """Runs TotalSegmentator's Python API on a temporary NIfTI copy of the image."""

    name = "totalsegmentator"

    def __init__(self) -> None:
        try:
            from totalsegmentator.config import get_weights_dir
            from totalsegmentator.python_api import totalsegmentator
        except ImportError as error:
            raise BackendUnavailableError(
                "the totalsegmentator backend needs TotalSegmentator: pip install 'hepatica[totalsegmentator]' "
                f"(and its model weights); import failed: {error}"
            ) from None
        self._run = totalsegmentator
        self.weights_dir = Path(get_weights_dir())
        missing = [t.task for t in (TOTAL, LIVER_VESSELS, LIVER_SEGMENTS) if not self._has_weights(t)]
        if missing:
            raise BackendUnavailableError(
                f"TotalSegmentator is installed but the weights for task(s) {', '.join(missing)} are not in "
                f"{self.weights_dir}; download them once with TotalSegmentator's own tools (e.g. "
                "'totalseg_download_weights -t <task>') on a machine with internet access and copy that folder "
                "here, or set TOTALSEG_HOME_DIR"
            )

    def _has_weights(self, task: TaskLabels) -> bool:
        return any(self.weights_dir.glob(f"Dataset{task.dataset_id:03d}_*"))

    def segment(
        self, image: Volume, liver: Volume | None = None, lesions: bool = True, operating_point: float | None = None
    ) -> Segmentation:
        """TotalSegmentator's liver (unless given), vessels, Couinaud segments and liver tumours on ``image``.
        ``operating_point`` is not used: TotalSegmentator gives its tumour mask without probabilities, so every
        piece of it is a lesion."""
        with tempfile.TemporaryDirectory(prefix="hepatica-ts-") as tmp:
            source = write_image(image, Path(tmp) / "image.nii.gz")

            def run(task: TaskLabels, **options) -> Volume:
                out = Path(tmp) / f"{task.task}.nii.gz"
                self._run(source, out, task=task.task, ml=True, quiet=True, **options)
                return labels_on_grid(out, image)

            if liver is None:
                liver_mask = liver_from_total(run(TOTAL, roi_subset=["liver"]))
                liver_mask = liver_mask.with_array(clean_liver(liver_mask.array > 0).astype(np.uint8))
            else:
                liver_mask = liver
            vessels, tumour = vessels_and_tumour(run(LIVER_VESSELS))
            couinaud = couinaud_from_segments(run(LIVER_SEGMENTS))
        inside = liver_mask.array > 0
        lesion_mask = (
            tumour.with_array(((tumour.array > 0) & inside).astype(np.uint8))
            if lesions
            else tumour.with_array(np.zeros_like(tumour.array))
        )
        models = tuple(
            ModelCard(
                name=f"TotalSegmentator {t.task}",
                file=f"Dataset{t.dataset_id:03d}",
                sha256="",
                source="TotalSegmentator (Apache-2.0) weights installed by the user",
            )
            for t in (TOTAL, LIVER_VESSELS, LIVER_SEGMENTS)
        )
        return Segmentation(
            liver=liver_mask,
            lesions=lesion_mask,
            backend=self.name,
            models=models,
            structures={"hepatic_vessels": vessels, "couinaud": couinaud},
        )
