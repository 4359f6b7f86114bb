"""Key images as windowed PNGs in radiological display convention: whole-field axial and coronal views of each
series, an overview of the liver with every lesion, and a close view of each lesion in each phase.

Every series is first reoriented so that its index axes point to patient Left, Posterior, Superior
(SimpleITK's DICOMOrient); axial images then show the patient's right on the image's left and anterior at the
top, and coronal images show superior at the top, with pixels resampled to a square physical aspect.
All phases are cut at the same physical position, so they can be compared. Close views and the overview are
resampled onto a square axial (or coronal) grid in the LPS frame centred on the point shown.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from PIL import Image, ImageDraw, ImageFont
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


#: Outline colours of overlay masks by name (RGB): "lesion" is the lesion a close view is about, "lesions"
#: every lesion elsewhere, "other lesions" the others in a close view.
OVERLAY_COLOURS = {
    "liver": (60, 220, 90),
    "lesions": (255, 60, 60),
    "lesion": (255, 60, 60),
    "other lesions": (255, 170, 0),
}


def render_views(
    volume: Volume, centre_lps: np.ndarray, max_size: int = 512, overlays: list[tuple[str, Volume]] = ()
) -> list[RenderedImage]:
    """Axial and coronal PNGs of ``volume`` through the LPS point ``centre_lps`` (mm), with the outlines of
    ``overlays`` (name, mask on ``volume``'s grid) drawn in OVERLAY_COLOURS."""
    image = sitk.DICOMOrient(volume.to_sitk(), "LPS")
    array = sitk.GetArrayViewFromImage(image)  # [S, P, L] after reorientation
    masks = [
        (OVERLAY_COLOURS.get(name, (255, 255, 0)), sitk.GetArrayFromImage(sitk.DICOMOrient(m.to_sitk(), "LPS")))
        for name, m in overlays
    ]
    spacing = image.GetSpacing()
    index = image.TransformPhysicalPointToContinuousIndex(tuple(float(c) for c in centre_lps))
    i, j, k = (int(np.clip(round(v), 0, n - 1)) for v, n in zip(index, image.GetSize(), strict=True))
    window = display_window(volume)
    axial = _to_png(
        array[k],
        window,
        aspect=spacing[1] / spacing[0],
        labels=("R", "L", "A", "P"),
        max_size=max_size,
        outlines=[(colour, m[k]) for colour, m in masks],
    )
    coronal = _to_png(
        array[::-1, j, :],
        window,
        aspect=spacing[2] / spacing[0],
        labels=("R", "L", "S", "I"),
        max_size=max_size,
        outlines=[(colour, m[::-1, j, :]) for colour, m in masks],
    )
    position = image.TransformIndexToPhysicalPoint((i, j, k))
    return [
        RenderedImage("axial", k, float(position[2]), window, axial),
        RenderedImage("coronal", j, float(position[1]), window, coronal),
    ]


def volume_centre(volume: Volume) -> np.ndarray:
    """LPS position (mm) of the centre of the volume."""
    return volume.index_to_physical((np.asarray(volume.size) - 1) / 2.0)


def render_close_view(
    volume: Volume,
    centre_lps,
    field_of_view_mm: float,
    overlays: list[tuple[str, Volume]] = (),
    size_px: int = 224,
    plane: str = "axial",
) -> RenderedImage:
    """A square ``field_of_view_mm`` view of ``volume`` centred on the LPS point ``centre_lps`` (mm), axial or
    coronal, ``size_px`` wide, with the outlines of ``overlays`` (name, mask; any grid, placed by position)."""
    centre = np.asarray(centre_lps, dtype=float)
    grid = _plane_grid(centre, field_of_view_mm, size_px, plane)
    outlines = [(OVERLAY_COLOURS.get(name, (255, 255, 0)), _labels_on(mask.to_sitk(), grid)) for name, mask in overlays]
    return _close_view(volume, volume.to_sitk(), centre, grid, outlines, plane)


def render_lesion_views(
    volume: Volume,
    liver: Volume,
    labels: Volume,
    lesions: list[tuple[int, tuple, float]],
    size_px: int = 224,
    plane: str = "axial",
) -> list[RenderedImage]:
    """Close views of several lesions on one series, each (label, LPS centre in mm, field of view in mm) with
    that lesion outlined as "lesion", the other labels as "other lesions" and the liver; the image and the masks
    are converted once for all of them."""
    image, liver_image, label_image = volume.to_sitk(), liver.to_sitk(), labels.to_sitk()
    views = []
    for label, centre_lps, field_of_view_mm in lesions:
        centre = np.asarray(centre_lps, dtype=float)
        grid = _plane_grid(centre, field_of_view_mm, size_px, plane)
        around = _labels_on(label_image, grid)
        outlines = [
            (OVERLAY_COLOURS["liver"], _labels_on(liver_image, grid)),
            (OVERLAY_COLOURS["other lesions"], (around > 0) & (around != label)),
            (OVERLAY_COLOURS["lesion"], around == label),
        ]
        views.append(_close_view(volume, image, centre, grid, outlines, plane))
    return views


def _labels_on(mask: sitk.Image, grid: sitk.Image) -> np.ndarray:
    """A mask or label image sampled (nearest) on a one-plane ``grid``: 2-D labels."""
    return sitk.GetArrayFromImage(
        sitk.Resample(mask, grid, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16)
    )[0]


def _close_view(
    volume: Volume, image: sitk.Image, centre: np.ndarray, grid: sitk.Image, outlines, plane: str
) -> RenderedImage:
    """``image`` (``volume`` as SimpleITK) windowed on the one-plane ``grid`` with ``outlines`` (colour, 2-D
    labels on the grid); the slice index is the series' own (stored order), as the lesion table counts slices."""
    window = display_window(volume)
    pixels = sitk.Resample(image, grid, sitk.Transform(), sitk.sitkLinear, window[0] - window[1], sitk.sitkFloat32)
    letters = ("R", "L", "A", "P") if plane == "axial" else ("R", "L", "S", "I")
    png = _to_png(
        sitk.GetArrayFromImage(pixels)[0],
        window,
        aspect=1.0,
        labels=letters,
        max_size=grid.GetWidth(),
        outlines=outlines,
    )
    index = image.TransformPhysicalPointToContinuousIndex(tuple(float(c) for c in centre))
    slice_index = int(np.clip(round(index[2]), 0, volume.size[2] - 1))
    return RenderedImage(plane, slice_index, float(centre[2 if plane == "axial" else 1]), window, png)


def render_overview(
    volume: Volume, liver: Volume, lesion_labels: Volume, plane: str = "axial", max_size: int = 512
) -> RenderedImage:
    """The liver in ``plane`` through the centre of its bounding box, the liver outlined and every lesion's outline
    projected onto the plane through the whole liver, each numbered by its label."""
    liver_sitk = sitk.DICOMOrient(liver.to_sitk(), "LPS")
    in_liver = sitk.GetArrayViewFromImage(liver_sitk) > 0
    if not in_liver.any():
        raise ValueError("the liver mask is empty: no overview to draw")
    voxels = np.argwhere(in_liver)  # [S, P, L]
    corners = np.array(
        [
            liver_sitk.TransformIndexToPhysicalPoint(tuple(int(v) for v in c[::-1]))
            for c in (voxels.min(0), voxels.max(0))
        ]
    )
    centre = corners.mean(0)  # the centre of the liver's bounding box, so that all of it is in view
    extent = np.abs(corners[1] - corners[0]) + 20.0  # mm, with a 10 mm margin each side
    depth_axis = 2 if plane == "axial" else 1
    width = float(max(extent[0], extent[1] if plane == "axial" else extent[2]))
    base = render_close_view(volume, centre, width, [("liver", liver)], size_px=max_size, plane=plane)
    projected, positions = _projected_labels(lesion_labels, centre, width, max_size, plane, extent[depth_axis])
    picture = Image.open(io.BytesIO(base.png)).convert("RGB")
    pixels = np.array(picture)
    edge = _edges(projected)
    pixels[ndimage.binary_dilation(edge)] = OVERLAY_COLOURS["lesions"]
    picture = Image.fromarray(pixels)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(12, max_size // 32))
    for label, (row, col) in positions.items():
        draw.text(
            (col + 5, row - font.size // 2),
            str(label),
            fill=(255, 255, 255),
            font=font,
            stroke_width=2,
            stroke_fill=(0, 0, 0),
        )
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return RenderedImage(plane, base.slice_index, base.position_mm, base.window, out.getvalue())


def _projected_labels(
    labels: Volume, centre: np.ndarray, width_mm: float, size_px: int, plane: str, depth_mm: float
) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
    """Lesion labels projected (maximum) along the plane's normal through ``depth_mm`` around ``centre``, on
    the overview's pixel grid; and where to write each label's number (its projection's centre, pixels)."""
    grid = _plane_grid(centre, width_mm, size_px, plane, depth_mm=depth_mm)
    stack = sitk.GetArrayFromImage(
        sitk.Resample(labels.to_sitk(), grid, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16)
    )
    present = stack > 0
    # The smallest label (largest lesion) in front where lesions overlap in projection.
    masked = np.where(present, stack, np.iinfo(np.uint16).max)
    projected = np.where(present.any(0), masked.min(0), 0).astype(np.uint16)
    positions = {}
    for label in np.unique(projected[projected > 0]):
        rows, cols = np.nonzero(projected == label)
        positions[int(label)] = (int(rows.mean()), int(cols.max()))
    return projected, positions


def _plane_grid(centre: np.ndarray, width_mm: float, size_px: int, plane: str, depth_mm: float = 0.0) -> sitk.Image:
    """A square grid of ``size_px`` pixels across ``width_mm`` centred on ``centre`` (LPS mm), axial (columns
    towards patient left, rows posterior) or coronal (columns left, rows inferior); with ``depth_mm``, a stack of
    such planes 1 mm apart through that depth (else one plane)."""
    rows_axis = np.array([0.0, 1.0, 0.0]) if plane == "axial" else np.array([0.0, 0.0, -1.0])
    cols_axis = np.array([1.0, 0.0, 0.0])
    normal = np.cross(cols_axis, rows_axis)
    spacing = width_mm / size_px
    depth = max(1, int(np.ceil(depth_mm)))
    grid = sitk.Image(size_px, size_px, depth, sitk.sitkUInt16)
    grid.SetSpacing((spacing, spacing, 1.0))
    grid.SetDirection(tuple(np.column_stack([cols_axis, rows_axis, normal]).ravel()))
    grid.SetOrigin(tuple(centre - (cols_axis + rows_axis) * spacing * (size_px - 1) / 2 - normal * depth_mm / 2))
    return grid


def _edges(labels_2d: np.ndarray) -> np.ndarray:
    """Pixels where a label meets another label or background (on the labelled side)."""
    edge = np.zeros(labels_2d.shape, dtype=bool)
    edge[:-1] |= labels_2d[:-1] != labels_2d[1:]
    edge[:, :-1] |= labels_2d[:, :-1] != labels_2d[:, 1:]
    edge &= (labels_2d > 0) | np.roll(labels_2d > 0, -1, 0) | np.roll(labels_2d > 0, -1, 1)
    return edge


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
            resized = np.array(
                Image.fromarray(labels_2d.astype(np.uint16)).resize(picture.size, Image.Resampling.NEAREST)
            )
            pixels[ndimage.binary_dilation(_edges(resized))] = colour
        picture = Image.fromarray(pixels)
    draw = ImageDraw.Draw(picture)
    w, h = picture.size
    left, right, top, bottom = labels
    for text, xy in (
        (left, (4, h // 2 - 6)),
        (right, (w - 12, h // 2 - 6)),
        (top, (w // 2 - 4, 2)),
        (bottom, (w // 2 - 4, h - 14)),
    ):
        draw.text(xy, text, fill=(255, 210, 0))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
