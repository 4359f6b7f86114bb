"""Occlusion saliency of the bundled segmentation networks (Zeiler and Fergus 2014): how much the network's mean
probability over a target region (e.g. one lesion) drops when a patch of its input is replaced by a neutral
value. Patches that matter most are where the network looks; a lesion found for the right reasons depends on
itself and its margin, not on distant anatomy."""

from __future__ import annotations

import itertools

import numpy as np

from hepatica.segment.bundled import OnnxUNet


def occlusion_saliency(
    net: OnnxUNet,
    window: np.ndarray,
    target: np.ndarray,
    patch: tuple[int, int, int],
    region: tuple[slice, slice, slice] | None = None,
    fill: float | None = None,
) -> np.ndarray:
    """Drop in mean target probability per occluded patch, as an array on the network's output grid.

    ``window`` is one input window of ``net`` (normalised, (x, y, z), ``net.input_size``); ``target`` a boolean
    array on its output grid (``net.output_size``); ``patch`` the occluder's size in output voxels; ``region``
    the part of the output grid to tile with patches (default all of it); ``fill`` the occluder's value
    (default the window's median, i.e. background tissue). Voxels outside ``region`` get 0."""
    if window.shape != tuple(net.input_size) or target.shape != tuple(net.output_size):
        raise ValueError(f"window must be {net.input_size} and target {net.output_size} voxels (x, y, z)")
    if not target.any():
        raise ValueError("the target region is empty")
    fill = float(np.median(window)) if fill is None else fill
    baseline = float(net.run(window)[target].mean())
    region = region or tuple(slice(0, n) for n in net.output_size)
    saliency = np.zeros(net.output_size, dtype=np.float32)
    starts = [range(r.start, r.stop, p) for r, p in zip(region, patch)]
    for corner in itertools.product(*starts):
        out_box = tuple(slice(c, min(c + p, r.stop)) for c, p, r in zip(corner, patch, region))
        in_box = tuple(slice(b.start + m, b.stop + m) for b, m in zip(out_box, net.margin))
        occluded = window.copy()
        occluded[in_box] = fill
        saliency[out_box] = baseline - float(net.run(occluded)[target].mean())
    net.release()
    return saliency
