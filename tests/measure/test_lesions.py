"""Lesion measurements on shapes with known answers, on anisotropic grids."""

import numpy as np
import pytest

from hepatica.io import Volume
from hepatica.measure import label_lesions, measure_lesion, measure_liver_and_lesions

SPACING = (0.7, 0.9, 2.5)  # x, y, z mm


def ellipsoid(semi_axes_mm, centre_mm=(28.0, 31.5, 40.0), shape=(32, 70, 80), spacing=SPACING):
    """uint8 ellipsoid on a grid of ``shape`` (k, j, i) voxels; axes along x, y, z."""
    k, j, i = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    x, y, z = i * spacing[0], j * spacing[1], k * spacing[2]
    a, b, c = semi_axes_mm
    inside = ((x - centre_mm[0]) / a) ** 2 + ((y - centre_mm[1]) / b) ** 2 + ((z - centre_mm[2]) / c) ** 2 <= 1
    return inside.astype(np.uint8)


def test_ellipsoid_diameters_volume_and_centroid():
    mask = Volume(ellipsoid((15.0, 10.0, 12.0)), SPACING, (-10.0, 5.0, 100.0))
    m = measure_lesion(mask)
    assert m.longest_axial_diameter_mm == pytest.approx(30.0, abs=SPACING[0])  # long axis along x
    # the digitised long axis may tilt by a few degrees, so allow one in-plane voxel diagonal
    assert m.short_axis_mm == pytest.approx(20.0, abs=float(np.hypot(*SPACING[:2])))  # perpendicular, along y
    assert m.longest_3d_diameter_mm == pytest.approx(30.0, abs=SPACING[0])
    assert m.volume_ml == pytest.approx(4 / 3 * np.pi * 15 * 10 * 12 / 1000, rel=0.02)
    assert m.centroid_mm == pytest.approx((-10 + 28.0, 5 + 31.5, 100 + 40.0), abs=0.05)
    assert m.axial_slice_z_mm == pytest.approx(140.0, abs=SPACING[2] / 2)


def test_longest_3d_diameter_along_z_exceeds_the_axial_one():
    m = measure_lesion(Volume(ellipsoid((8.0, 6.0, 25.0), centre_mm=(28, 31.5, 40)), SPACING, (0.0, 0.0, 0.0)))
    assert m.longest_axial_diameter_mm == pytest.approx(16.0, abs=SPACING[0])
    assert m.longest_3d_diameter_mm == pytest.approx(50.0, abs=SPACING[2])


def test_oblique_long_axis_in_the_slice():
    """A 40 x 10 mm ellipse rotated by 30 degrees in the axial plane."""
    shape, spacing = (3, 120, 120), (0.5, 0.5, 2.0)
    k, j, i = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    x, y = (i - 60) * spacing[0], (j - 60) * spacing[1]
    t = np.radians(30)
    u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
    mask = ((u / 20) ** 2 + (v / 5) ** 2 <= 1) & (k == 1)
    m = measure_lesion(Volume(mask.astype(np.uint8), spacing, (0.0, 0.0, 0.0)))
    assert m.longest_axial_diameter_mm == pytest.approx(40.0, abs=0.75)
    assert m.short_axis_mm == pytest.approx(10.0, abs=0.75)


def test_measurements_do_not_depend_on_the_stored_orientation():
    array = ellipsoid((15.0, 10.0, 12.0))
    lps = Volume(array, SPACING, (0.0, 0.0, 0.0))
    # the same voxels stored with rows and slices reversed (orientation LAI)
    flipped = Volume(
        array[::-1, ::-1, :].copy(),
        SPACING,
        tuple(lps.index_to_physical(np.array([0, 69, 31]))),
        direction=np.diag([1.0, -1.0, -1.0]),
    )
    a, b = measure_lesion(lps), measure_lesion(flipped)
    assert a.longest_axial_diameter_mm == pytest.approx(b.longest_axial_diameter_mm)
    assert a.short_axis_mm == pytest.approx(b.short_axis_mm)
    assert a.centroid_mm == pytest.approx(b.centroid_mm)


def test_instances_are_numbered_by_size_and_burden_is_relative_to_the_liver():
    shape = (20, 60, 60)
    liver = np.zeros(shape, np.uint8)
    liver[2:18, 5:55, 5:55] = 1
    lesions = np.zeros(shape, np.uint8)
    lesions[5:7, 10:14, 10:14] = 1  # 32 voxels
    lesions[8:12, 30:40, 30:40] = 1  # 400 voxels
    spacing = (1.0, 1.0, 2.0)
    labels = label_lesions(Volume(lesions, spacing, (0.0, 0.0, 0.0)))
    assert labels.array.max() == 2 and (labels.array == 1).sum() == 400 and (labels.array == 2).sum() == 32
    m = measure_liver_and_lesions(Volume(liver, spacing, (0.0, 0.0, 0.0)), labels)
    assert m.liver_volume_ml == pytest.approx(16 * 50 * 50 * 2 / 1000)
    assert m.lesion_volume_ml == pytest.approx(432 * 2 / 1000)
    assert m.tumour_burden_percent == pytest.approx(100 * 432 / (16 * 50 * 50))
    assert [lesion.label for lesion in m.lesions] == [1, 2]
    assert m.lesions[0].longest_axial_diameter_mm == pytest.approx(np.hypot(10, 10), abs=1.0)
