"""Key images: close views are centred on the point asked for, in radiological convention, and the overview
draws every lesion's projection with its number."""

import io

import numpy as np
from PIL import Image

from hepatica.io.volume import Volume
from hepatica.report.images import OVERLAY_COLOURS, render_close_view, render_overview


def _volume(array, spacing=(1.0, 1.0, 2.0)):
    return Volume(array=array, spacing=spacing, origin=(0.0, 0.0, 0.0), direction=np.eye(3))


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _coloured(pixels, colour):
    return np.all(pixels == np.asarray(colour, dtype=np.uint8), axis=-1)


def test_close_view_is_centred_on_the_lesion_with_patient_left_on_the_right():
    array = np.zeros((20, 100, 100), dtype=np.int16)  # [z, y, x], 1 x 1 x 2 mm
    array[:, 40:60, 60:80] = 200  # a bright block to the patient's left (+x) of the centre x = 50
    lesion = np.zeros(array.shape, dtype=np.uint8)
    lesion[8:12, 45:55, 25:35] = 1  # centred at x = 29.5, y = 49.5 mm
    ct, mask = _volume(array), _volume(lesion)
    view = render_close_view(ct, (29.5, 49.5, 20.0), field_of_view_mm=64.0, overlays=[("lesion", mask)], size_px=128)
    pixels = _pixels(view.png)
    rows, cols = np.nonzero(_coloured(pixels, OVERLAY_COLOURS["lesion"]))
    assert abs(rows.mean() - 63.5) < 2 and abs(cols.mean() - 63.5) < 2  # the outline surrounds the centre
    assert abs((cols.max() - cols.min()) - 20) <= 3  # 10 mm across at 0.5 mm per pixel
    grey = pixels[..., 0].astype(int)
    # The block (x 60-80 mm) lies to the patient's left, on the image's right, from column 63.5 + 2 * 30.5 on.
    assert grey[64, 127] > 200 and grey[64, 100] < 110  # 200 HU against 0 HU
    assert view.plane == "axial" and view.slice_index == 10 and view.position_mm == 20.0


def test_overview_numbers_every_lesion_and_outlines_the_liver():
    liver = np.zeros((30, 120, 120), dtype=np.uint8)
    liver[5:25, 20:100, 20:100] = 1
    labels = np.zeros(liver.shape, dtype=np.uint16)
    labels[8:12, 30:40, 30:40] = 1  # two lesions at different depths: both show in the projection
    labels[18:22, 70:80, 70:80] = 2
    ct = _volume(np.where(liver > 0, 60, -100).astype(np.int16))
    view = render_overview(ct, _volume(liver), _volume(labels), plane="axial", max_size=200)
    pixels = _pixels(view.png)
    assert _coloured(pixels, OVERLAY_COLOURS["liver"]).sum() > 200
    red = _coloured(pixels, OVERLAY_COLOURS["lesions"])
    half = pixels.shape[1] // 2
    assert red[:, :half].sum() > 20 and red[:, half:].sum() > 20  # one lesion each side
    assert (pixels.min(axis=-1) > 200).sum() > 15  # the white numbers (1 and 2)
