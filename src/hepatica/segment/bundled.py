"""The bundled backend: pyliverlesionseg's CT/MR liver and lesion U-Nets, converted to ONNX, on ONNX Runtime.

Preprocessing follows how the networks were trained (Tang et al., EJNMMI 2020; pyliverlesionseg 0.3 docs):

* liver: crop to the body (at most 489 x 408 x 408 mm, x y z), resample to 1.5 mm, 3x3x3 median filter,
  resample to 3 mm, clip HU/1000 to [-0.2, 0.2] and scale to [-0.5, 0.5], place the crop in the centre of one
  189 x 162 x 162 window padded with 0, whose central 163 x 136 x 136 voxels the network labels;
* lesions: normalise the same way, resample to 1 x 1 x 3 mm, set everything outside the liver mask dilated by
  two voxels to -0.5, crop to that region and label it in 92 x 84 x 42 tiles, each seen through a
  180 x 172 x 86 window padded with 0.

After the networks (see `BundledBackend.segment`): the liver mask is checked against the parenchyma's attenuation
(`hepatica.segment.refine`), the lesion network's pieces are scored candidates (`hepatica.segment.candidates`) and
the reported lesions' outlines are redrawn at half contrast (`hepatica.segment.outline`).

Arrays here are indexed (x, y, z) on the volume reoriented to LPS; the networks want x towards the patient's
right and y anterior, so x and y are reversed just before inference.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from hepatica.boxes import bounding_box, margin_voxels
from hepatica.errors import BackendUnavailableError, SegmentationInputError
from hepatica.io.volume import Volume, resample_to_grid
from hepatica.segment.candidates import DEFAULT_OPERATING_POINT, LESION, find_candidates
from hepatica.segment.conspicuous import conspicuous_candidates
from hepatica.segment.grid import CentredAxis, centred_back, resample_centred
from hepatica.segment.outline import redraw_lesions
from hepatica.segment.postprocess import clean_liver
from hepatica.segment.refine import check_liver, measure_liver_parenchyma
from hepatica.segment.types import LesionCandidate, LiverCheck, ModelCard, Segmentation

MODELS = resources.files("hepatica.segment") / "models"
BODY_THRESHOLD_HU = -150.0
AIR_THRESHOLD_HU = -600.0
LUNG_MIN_ML = 300.0
LIVER_DOME_MARGIN_MM = 70.0
LIVER_MAX_BOX_MM = (489.0, 408.0, 408.0)
MEDIAN_SPACING_MM = 1.5
PROBABILITY_THRESHOLD = 0.5
MIN_LIVER_SCAN_MM = 150.0
MAX_WINDOW_VOXELS = 5_000_000  # per lesion-network window: about 2.6 GB peak


@dataclass(frozen=True)
class OnnxUNet:
    """One converted U-Net: its ONNX file and the window geometry stored in its metadata."""

    path: Path
    name: str
    voxel_size_mm: tuple[float, float, float]
    input_size: tuple[int, int, int]
    output_size: tuple[int, int, int]
    size_step: int  # windows may grow by multiples of this (the deepest pooling factor)
    sha256: str
    _sessions: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, file_name: str) -> OnnxUNet:
        """The bundled model ``file_name`` with the geometry recorded in models.json by the converter."""
        path = Path(str(MODELS / file_name))
        if not path.exists():
            raise BackendUnavailableError(f"bundled model {path} is missing; reinstall hepatica")
        meta = json.loads((path.parent / "models.json").read_text())[file_name]
        sums = dict(line.split()[::-1] for line in (path.parent / "SHA256SUMS").read_text().splitlines())
        return cls(
            path,
            meta["name"],
            tuple(meta["voxel_size_mm"]),
            tuple(meta["input_size"]),
            tuple(meta["output_size"]),
            int(meta["size_step"]),
            sums[file_name],
        )

    @property
    def margin(self) -> tuple[int, int, int]:
        """Context voxels on each side of the labelled block."""
        return tuple((i - o) // 2 for i, o in zip(self.input_size, self.output_size))

    def session(self, input_size: tuple[int, int, int], reuse_memory: bool = False):
        """An ONNX Runtime session for windows of ``input_size`` (x, y, z); fixing the size lets it plan memory.

        ``reuse_memory`` keeps ONNX Runtime's arena, so that a run after the first reuses the memory of the one
        before (worth it when tiling: fresh pages cost about a third of a run). For a single large window the
        arena only adds fragmentation (the liver network peaks at 4.0 GB with it, 2.9 GB without), so by default
        each activation is freed when done."""
        key = (input_size, reuse_memory)
        if key not in self._sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.enable_cpu_mem_arena = reuse_memory
            options.enable_mem_pattern = False
            for axis, size in zip("xyz", input_size):
                options.add_free_dimension_override_by_name(axis, size)
            threads = os.environ.get("HEPATICA_THREADS")
            if threads:
                options.intra_op_num_threads = int(threads)
            available = ort.get_available_providers()
            providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
            self.release()  # one window size at a time: sessions hold their weights and arena
            self._sessions[key] = ort.InferenceSession(str(self.path), options, providers=providers)
        return self._sessions[key]

    def release(self) -> None:
        """Drop the sessions and the memory they hold."""
        self._sessions.clear()

    def axis_block(self, wanted: int, axis: int) -> int:
        """The smallest output length >= ``wanted`` the network accepts on ``axis`` (trained + k * step)."""
        trained = self.output_size[axis]
        return trained + max(0, math.ceil((wanted - trained) / self.size_step)) * self.size_step

    def blocks_for(self, shape: tuple[int, ...], max_window_voxels: int = MAX_WINDOW_VOXELS) -> tuple[int, ...]:
        """The output block that tiles ``shape`` with the fewest input voxels in all, each window holding at most
        ``max_window_voxels`` (which bounds memory: about 0.5 kB per input voxel for the lesion network).

        A valid-padding network reads a margin around every block, so a few large blocks cost less than many
        small ones."""
        per_axis = []  # (block, windows along the axis, window length) for each way to cut each axis
        for axis, (n, margin) in enumerate(zip(shape, self.margin)):
            blocks = sorted(
                {
                    self.axis_block(math.ceil(n / count), axis)
                    for count in range(1, math.ceil(n / self.output_size[axis]) + 1)
                }
            )
            per_axis.append([(block, math.ceil(n / block), block + 2 * margin) for block in blocks])

        def cost(choice) -> tuple[bool, int]:
            window = math.prod(length for _, _, length in choice)
            return window > max_window_voxels, window * math.prod(count for _, count, _ in choice)

        return tuple(block for block, _, _ in min(itertools.product(*per_axis), key=cost))

    def run(self, window: np.ndarray, reuse_memory: bool = False) -> np.ndarray:
        """Probabilities for one input window (output = window minus 2 x margin), indexed (x, y, z) in RAS."""
        session = self.session(window.shape, reuse_memory)
        return session.run(None, {"image": window[None, None].astype(np.float32, copy=False)})[0][0, 0]

    def card(self) -> ModelCard:
        return ModelCard(
            name=f"pyliverlesionseg-{self.name}-unet",
            file=self.path.name,
            sha256=self.sha256,
            source="pyliverlesionseg 0.3 (Apache-2.0), converted to ONNX by tools/convert_pyliverlesionseg.py",
        )


def normalise_ct(hu: np.ndarray) -> np.ndarray:
    """HU -> [-0.5, 0.5]: clip to [-200, 200] HU, as in training."""
    return (np.clip(hu.astype(np.float32) / 1000.0, -0.2, 0.2) * 2.5).astype(np.float32)


def median_3x3x3(array: np.ndarray) -> np.ndarray:
    """3 x 3 x 3 median filter with edge voxels repeated (SimpleITK's is multi-threaded; same values as
    scipy.ndimage.median_filter(size=3), whose 'reflect' border equals repetition for a radius of one)."""
    return sitk.GetArrayFromImage(sitk.Median(sitk.GetImageFromArray(array), [1, 1, 1]))


def to_network(array: np.ndarray) -> np.ndarray:
    """(x, y, z) in LPS -> (x, y, z) in RAS (reverse x and y); its own inverse."""
    return np.ascontiguousarray(array[::-1, ::-1, :])


def body_box(hu: np.ndarray, spacing: tuple[float, float, float]) -> tuple[slice, slice, slice]:
    """The box around the body (largest component above -150 HU), cut to the liver network's 489 x 408 x 408 mm.

    When the scan is longer than 408 mm the box keeps the 408 mm below a point 70 mm above the lung bases
    (the liver dome lies just above them), or the top 408 mm when no lungs are in the field of view.
    """
    step = max(1, int(round(2.0 / spacing[0])))
    coarse = hu[::step, ::step, :]
    tissue = ndimage.binary_erosion(coarse > BODY_THRESHOLD_HU)
    labels, count = ndimage.label(tissue)
    if count == 0:
        raise SegmentationInputError(
            "no body found in the image (nothing above -150 HU); the bundled models need a CT in HU"
        )
    largest = int(np.argmax(np.bincount(labels.ravel())[1:])) + 1
    box = bounding_box(labels == largest)
    xy = [slice(s.start * step, min(n, s.stop * step)) for s, n in zip(box[:2], hu.shape[:2])]
    z = _liver_z_range(hu[xy[0], xy[1], :], spacing)
    limited = []
    for s, size_mm, voxel in zip(xy, LIVER_MAX_BOX_MM[:2], spacing[:2]):
        excess = (s.stop - s.start) - int(size_mm / voxel)
        limited.append(slice(s.start + max(0, excess) // 2, s.stop - max(0, excess) + max(0, excess) // 2))
    return limited[0], limited[1], z


def _liver_z_range(hu_body: np.ndarray, spacing) -> slice:
    n = hu_body.shape[2]
    window = int(LIVER_MAX_BOX_MM[2] / spacing[2])
    if n <= window:
        return slice(0, n)
    air = hu_body < AIR_THRESHOLD_HU
    labels, count = ndimage.label(air)
    border = np.unique(np.concatenate([labels[[0, -1]].ravel(), labels[:, [0, -1]].ravel()]))
    sizes = np.bincount(labels.ravel()) * float(np.prod(spacing)) / 1000.0
    lungs = [i for i in range(1, count + 1) if i not in set(border) and sizes[i] >= LUNG_MIN_ML]
    if not lungs:
        return slice(n - window, n)
    lung_bottom = min(ndimage.find_objects(labels)[i - 1][2].start for i in lungs)
    top = min(n, lung_bottom + int(LIVER_DOME_MARGIN_MM / spacing[2]))
    bottom = max(0, top - window)
    return slice(bottom, max(top, bottom + min(window, n)))


class BundledBackend:
    """Liver and lesion masks from the bundled ONNX U-Nets (CPU, or CUDA when onnxruntime-gpu is present)."""

    name = "bundled"

    def __init__(self) -> None:
        self.liver_net = OnnxUNet.load("liver_unet.onnx")
        self.lesion_net = OnnxUNet.load("lesion_unet.onnx")

    def segment(
        self,
        image: Volume,
        liver: Volume | None = None,
        lesions: bool = True,
        operating_point: float = DEFAULT_OPERATING_POINT,
    ) -> Segmentation:
        """Liver (unless given) and lesion masks on ``image``'s grid. ``image`` must be CT in HU.

        The network's liver is checked against the parenchyma's attenuation (`hepatica.segment.refine`); every
        piece of the lesion network's mask is a scored candidate (`hepatica.segment.candidates`), and those at or
        above ``operating_point`` are the lesions, their outlines redrawn at half contrast
        (`hepatica.segment.outline`)."""
        if str(image.metadata.get("modality", "CT")).upper() not in ("CT", ""):
            raise SegmentationInputError(
                f"the bundled backend segments CT; this series is {image.metadata.get('modality')}"
            )
        lps = Volume.from_sitk(sitk.DICOMOrient(image.to_sitk(), "LPS"))
        hu = lps.array.transpose(2, 1, 0)
        models = []
        voxel_ml = float(np.prod(lps.spacing)) / 1000.0
        if liver is None:
            probability = self.liver_probability(hu, lps.spacing)
            network_liver = clean_liver(probability > PROBABILITY_THRESHOLD)
            checked = check_liver(hu, probability, network_liver, lps.spacing)
            liver_xyz = checked.liver
            liver_check = LiverCheck(
                checked.parenchyma, float(network_liver.sum()) * voxel_ml, checked.excluded, checked.added_ml
            )
            models.append(self.liver_net.card())
        else:
            liver_lps = resample_to_grid(liver, lps, "nearest")
            network_liver = liver_xyz = liver_lps.array.transpose(2, 1, 0) > 0
            liver_check = None
        if not liver_xyz.any():
            raise SegmentationInputError("no liver found in the image; check that the scan covers the upper abdomen")
        lesion_xyz = np.zeros_like(liver_xyz)
        candidate_xyz = np.zeros(liver_xyz.shape, dtype=np.uint16)
        candidates: list[LesionCandidate] = []
        if lesions:
            parenchyma = checked.parenchyma if liver_check else measure_liver_parenchyma(hu, liver_xyz, lps.spacing)
            region = network_liver | liver_xyz
            probability = self.lesion_probability(hu, region, lps.spacing)
            found = find_candidates(probability, hu, region, liver_xyz, parenchyma, lps.spacing, operating_point)
            found += self._unseen_by_network(found, hu, liver_xyz, parenchyma, lps.spacing, operating_point)
            for number, candidate in enumerate(found, start=1):
                candidate.paint(candidate_xyz, number)
                candidates.append(LesionCandidate(number, candidate.evidence, candidate.decision, candidate.reasons))
            lesion_xyz = redraw_lesions(found, candidate_xyz, hu, liver_xyz, parenchyma, lps.spacing)
            models.append(self.lesion_net.card())

        def back(mask_xyz: np.ndarray, name: str, dtype=np.uint8) -> Volume:
            on_lps = lps.with_array(np.ascontiguousarray(mask_xyz.transpose(2, 1, 0)).astype(dtype))
            result = resample_to_grid(on_lps, image, "nearest")
            return result.with_array(result.array.astype(dtype), content=name)

        return Segmentation(
            liver=back(liver_xyz, "liver"),
            lesions=back(lesion_xyz, "liver lesions"),
            backend=self.name,
            models=tuple(models),
            candidates=tuple(candidates),
            candidate_labels=back(candidate_xyz, "lesion candidates", np.uint16) if lesions else None,
            operating_point=operating_point if lesions else None,
            liver_check=liver_check,
        )

    @staticmethod
    def _unseen_by_network(found, hu, liver, parenchyma, spacing, operating_point) -> list:
        """The compact pieces of tissue unlike liver that no reported candidate of the network covers
        (`hepatica.segment.conspicuous`)."""
        reported = np.zeros(liver.shape, dtype=bool)
        every = np.zeros(liver.shape, dtype=bool)
        for candidate in found:
            candidate.paint(every)
            if candidate.decision == LESION:
                candidate.paint(reported)
        return conspicuous_candidates(hu, liver, parenchyma, spacing, reported, every, operating_point)

    def liver_probability(self, hu: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
        """The liver network's probability (x, y, z; float32, 0 outside the body box) on the LPS array ``hu``."""
        box = body_box(hu, spacing)
        crop = hu[box]
        fine = (MEDIAN_SPACING_MM,) * 3
        target = self.liver_net.voxel_size_mm
        smoothed = median_3x3x3(resample_centred(crop, spacing, fine))
        coarse = resample_centred(smoothed, fine, target)
        probability = to_network(self._run_centred(to_network(_extend_short_scan(normalise_ct(coarse)))))
        probability = probability[:, :, _extension(coarse.shape[2])[0] :][:, :, : coarse.shape[2]]
        # back to the crop's voxels: 3 mm -> 1.5 mm -> original (the grids share their centre)
        mid_shape = tuple(CentredAxis(n, s, MEDIAN_SPACING_MM).new_size for n, s in zip(crop.shape, spacing))
        on_fine = centred_back(probability, mid_shape, fine, target)
        on_crop = centred_back(on_fine, crop.shape, spacing, fine)
        probability = np.zeros(hu.shape, dtype=np.float32)
        probability[box] = on_crop
        return probability

    def _run_centred(self, image: np.ndarray) -> np.ndarray:
        """Run the liver network with ``image`` (x, y, z, RAS) centred in its window; probabilities on ``image``."""
        net = self.liver_net
        window = np.zeros(net.input_size, dtype=np.float32)
        source, target = [], []
        for n, d in zip(image.shape, net.input_size):
            if n > d:
                raise SegmentationInputError(f"body crop of {n} voxels exceeds the liver window of {d}")
            start = d // 2 - math.ceil((n - 1) / 2)  # the image's centre voxel sits at the window's centre
            source.append(slice(0, n))
            target.append(slice(start, start + n))
        window[tuple(target)] = image
        output = net.run(window)
        net.release()
        result = np.zeros(image.shape, dtype=np.float32)
        placed = []
        for t, m, o in zip(target, net.margin, output.shape):
            lo, hi = max(t.start, m), min(t.stop, m + o)
            placed.append((slice(lo - t.start, hi - t.start), slice(lo - m, hi - m)))
        result[tuple(p[0] for p in placed)] = output[tuple(p[1] for p in placed)]
        return result

    def lesion_probability(self, hu: np.ndarray, liver: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
        """The lesion network's probability (x, y, z; float32) around ``liver`` on the LPS array ``hu``."""
        target = self.lesion_net.voxel_size_mm
        box = bounding_box(liver, margin_voxels(12.0, spacing))
        image = resample_centred(normalise_ct(hu[box]), spacing, target)
        liver_small = resample_centred(liver[box].astype(np.float32), spacing, target) > 0.5
        region = ndimage.binary_dilation(
            liver_small, ndimage.iterate_structure(ndimage.generate_binary_structure(3, 2), 2)
        )
        image = np.where(region, image, -0.5).astype(np.float32)
        inner = bounding_box(region)
        probability = np.zeros(image.shape, dtype=np.float32)
        probability[inner] = to_network(self._run_tiled(to_network(image[inner]), to_network(liver_small[inner])))
        on_crop = centred_back(probability, hu[box].shape, spacing, target)
        result = np.zeros(hu.shape, dtype=np.float32)
        result[box] = on_crop
        return result

    def _run_tiled(self, image: np.ndarray, liver: np.ndarray) -> np.ndarray:
        """Label ``image`` block by block; blocks without liver are skipped (their output would be masked)."""
        net = self.lesion_net
        result = np.zeros(image.shape, dtype=np.float32)
        block = net.blocks_for(image.shape)
        input_size = tuple(b + 2 * m for b, m in zip(block, net.margin))
        starts = [_tile_starts(n, o) for n, o in zip(image.shape, block)]
        padded = np.pad(image, [(m, m + o) for m, o in zip(net.margin, block)])
        for sx in starts[0]:
            for sy in starts[1]:
                for sz in starts[2]:
                    start = (sx, sy, sz)
                    region = tuple(slice(max(0, s), max(0, s + o)) for s, o in zip(start, block))
                    if not liver[region].any():
                        continue
                    output = net.run(_window(padded, start, input_size), reuse_memory=True)
                    keep = tuple(slice(max(0, s), min(n, s + o)) for s, n, o in zip(start, image.shape, block))
                    local = tuple(slice(k.start - s, k.stop - s) for k, s in zip(keep, start))
                    result[keep] = output[local]
        net.release()
        return result


def _extension(slices: int) -> tuple[int, int]:
    """Slices to add (below, above) so that a short scan spans MIN_LIVER_SCAN_MM at the network's 3 mm."""
    missing = max(0, math.ceil(MIN_LIVER_SCAN_MM / 3.0) - slices)
    return missing // 2, missing - missing // 2


def _extend_short_scan(image: np.ndarray) -> np.ndarray:
    """Repeat the end slices of a scan shorter than MIN_LIVER_SCAN_MM (e.g. a 40 mm slab).

    The liver network was trained on scans covering the whole liver; a thin slab in the middle of its zero-padded
    window looks like nothing it has seen and is under-segmented. Repeating the first and last slices gives it
    anatomy that continues through the slab's ends, as a liver does."""
    below, above = _extension(image.shape[2])
    if not below and not above:
        return image
    return np.pad(image, ((0, 0), (0, 0), (below, above)), mode="edge")


def _tile_starts(n: int, size: int) -> list[int]:
    """Output block starts covering 0..n; a short axis gets one block centred on it."""
    if n <= size:
        return [(n - size) // 2]
    starts = list(range(0, n - size + 1, size))
    if starts[-1] + size < n:
        starts.append(n - size)
    return starts


def _window(padded: np.ndarray, start, input_size) -> np.ndarray:
    """The input window whose labelled block starts at image index ``start``.

    ``padded`` is the image with the network's margin of zeros before each axis, so the window starts at
    ``start`` in padded coordinates; a negative start (a block wider than the image) reads more zeros.
    """
    window = np.zeros(input_size, dtype=np.float32)
    src, dst = [], []
    for lo, d, n in zip(start, input_size, padded.shape):
        a, b = max(0, lo), min(n, lo + d)
        src.append(slice(a, b))
        dst.append(slice(a - lo, b - lo))
    window[tuple(dst)] = padded[tuple(src)]
    return window
