import numpy as np
import pytest

from hepatica.errors import GridMismatchError
from hepatica.io import Volume, require_same_grid, resample_to_grid


def _volume(shape=(4, 5, 6), spacing=(0.5, 0.7, 2.0), origin=(10.0, -20.0, 30.0), direction=None):
    return Volume(
        np.arange(np.prod(shape), dtype=np.float32).reshape(shape),
        spacing,
        origin,
        np.eye(3) if direction is None else direction,
    )


def test_index_to_physical_follows_spacing_origin_and_direction():
    flip_y = np.diag([1.0, -1.0, 1.0])
    v = _volume(direction=flip_y)
    # voxel (i=2, j=3, k=1): x = 10 + 2*0.5, y = -20 - 3*0.7, z = 30 + 1*2
    assert np.allclose(v.index_to_physical([2, 3, 1]), [11.0, -22.1, 32.0])
    assert v.orientation_code() == "LAS"
    assert v.size == (6, 5, 4)
    assert v.voxel_volume_ml == pytest.approx(0.5 * 0.7 * 2.0 / 1000)


def test_sitk_round_trip_keeps_geometry_and_values():
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    v = _volume(direction=rotation)
    back = Volume.from_sitk(v.to_sitk())
    assert back.same_grid(v)
    assert np.array_equal(back.array, v.array)


def test_require_same_grid_names_each_difference():
    image = _volume()
    shifted = _volume(origin=(10.0, -20.0, 32.0))
    with pytest.raises(GridMismatchError, match=r"origin .* Resample the mask"):
        require_same_grid(image, shifted)
    with pytest.raises(GridMismatchError, match="spacing"):
        require_same_grid(image, _volume(spacing=(0.5, 0.7, 2.5)))


def test_resample_to_grid_matches_physical_positions():
    image = _volume()
    flipped = Volume(
        image.array[:, ::-1, :].copy(),
        image.spacing,
        origin=tuple(image.index_to_physical([0, 4, 0])),
        direction=np.diag([1.0, -1.0, 1.0]),
    )
    back = resample_to_grid(flipped, image, interpolation="nearest")
    assert np.array_equal(back.array, image.array)
