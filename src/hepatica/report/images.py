"""Key images: axial and coronal views of each series as windowed PNGs, in radiological display convention.

Every series is first reoriented so that its index axes point to patient Left, Posterior, Superior
(SimpleITK's DICOMOrient); axial images then show the patient's right on the image's left and anterior at the
top, and coronal images show superior at the top, with pixels resampled to a square physical aspect.
All phases are cut at the same physical position (the centre of the reference series), so they can be compared.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from PIL import Image, ImageDraw
from scipy import ndimage

from hepatica.io.volume import Volume

#: (centre, width) HU of the abdominal soft-tissue window used for CT.
CT_ABDOMEN_WINDOW = (40.0, 400.0)


@dataclass(frozen=True)
class RenderedImage:
    """A PNG with where it was cut: ``position_mm`` is the LPS coordinate along the plane's normal."""

    plane: str
    slice_index: int
    position_mm: float
    window: tuple[float, float]
    png: bytes


def display_window(volume: Volume) -> tuple[float, float]:
    """(centre, width): the abdominal window for CT, the 1st-99th percentile range otherwise."""
    if str(volume.metadata.get("modality", "CT")).upper() == "CT":
        return CT_ABDOMEN_WINDOW
    low, high = np.percentile(volume.array, [1, 99])
    return float((low + high) / 2), float(max(high - low, 1e-6))


#: Outline colours of overlay masks by name (RGB).
OVERLAY_COLOURS = {"liver": (60, 220, 90), "lesions": (255, 60, 60)}


def render_views(volume: Volume, centre_lps: np.ndarray, max_size: int = 512,
                 overlays: list[tuple[str, Volume]] = ()) -> list[RenderedImage]:
    """Axial and coronal PNGs of ``volume`` through the LPS point ``centre_lps`` (mm), with the outlines of
    ``overlays`` (name, mask on ``volume``'s grid) drawn in OVERLAY_COLOURS."""
    image = sitk.DICOMOrient(volume.to_sitk(), "LPS")
    array = sitk.GetArrayViewFromImage(image)  # [S, P, L] after reorientation
    masks = [(OVERLAY_COLOURS.get(name, (255, 255, 0)), sitk.GetArrayFromImage(sitk.DICOMOrient(m.to_sitk(), "LPS")))
             for name, m in overlays]
    spacing = image.GetSpacing()
    index = image.TransformPhysicalPointToContinuousIndex(tuple(float(c) for c in centre_lps))
    i, j, k = (int(np.clip(round(v), 0, n - 1)) for v, n in zip(index, image.GetSize(), strict=True))
    window = display_window(volume)
    axial = _to_png(array[k], window, aspect=spacing[1] / spacing[0], labels=("R", "L", "A", "P"), max_size=max_size,
                    outlines=[(colour, m[k]) for colour, m in masks])
    coronal = _to_png(array[::-1, j, :], window, aspect=spacing[2] / spacing[0], labels=("R", "L", "S", "I"),
                      max_size=max_size, outlines=[(colour, m[::-1, j, :]) for colour, m in masks])
    position = image.TransformIndexToPhysicalPoint((i, j, k))
    return [
        RenderedImage("axial", k, float(position[2]), window, axial),
        RenderedImage("coronal", j, float(position[1]), window, coronal),
    ]


def volume_centre(volume: Volume) -> np.ndarray:
    """LPS position (mm) of the centre of the volume."""
    return volume.index_to_physical((np.asarray(volume.size) - 1) / 2.0)


def _to_png(plane: np.ndarray, window, aspect: float, labels, max_size: int, outlines=()) -> bytes:
    """Window a 2-D array to 8 bits, stretch rows by ``aspect`` (row/column spacing), draw mask outlines
    (colour, 2-D label array; each label outlined separately), add orientation letters."""
    centre, width = window
    grey = np.clip((plane.astype(np.float32) - (centre - width / 2)) / width, 0, 1)
    picture = Image.fromarray((grey * 255).astype(np.uint8), mode="L")
    rows, cols = grey.shape
    height = max(1, round(rows * aspect))
    scale = min(1.0, max_size / max(cols, height))
    picture = picture.resize((max(1, round(cols * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR)
    picture = picture.convert("RGB")
    if outlines:
        pixels = np.array(picture)
        for colour, labels_2d in outlines:
            resized = np.array(Image.fromarray(labels_2d.astype(np.uint16)).resize(picture.size, Image.Resampling.NEAREST))
            edge = np.zeros(resized.shape, dtype=bool)
            edge[:-1] |= resized[:-1] != resized[1:]
            edge[:, :-1] |= resized[:, :-1] != resized[:, 1:]
            edge &= (resized > 0) | np.roll(resized > 0, -1, 0) | np.roll(resized > 0, -1, 1)
            pixels[ndimage.binary_dilation(edge)] = colour
        picture = Image.fromarray(pixels)
    draw = ImageDraw.Draw(picture)
    w, h = picture.size
    left, right, top, bottom = labels
    for text, xy in ((left, (4, h // 2 - 6)), (right, (w - 12, h // 2 - 6)), (top, (w // 2 - 4, 2)),
                     (bottom, (w // 2 - 4, h - 14))):
        draw.text(xy, text, fill=(255, 210, 0))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
