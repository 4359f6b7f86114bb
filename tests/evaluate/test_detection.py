"""Per-lesion detection: overlap matching, size classes, false positives, ignored predictions."""

import numpy as np

from hepatica.evaluate import SIZE_BINS, detect_lesions, size_bin
from hepatica.io import Volume

SPACING = (1.0, 1.0, 2.0)


def disc_lesion(array, centre, diameter_mm, slices=2):
    k, j, i = np.meshgrid(*[np.arange(n) for n in array.shape], indexing="ij")
    inside = np.hypot(i - centre[0], j - centre[1]) <= diameter_mm / 2 - 0.5
    inside &= (k >= centre[2]) & (k < centre[2] + slices)
    array[inside] = 1


def test_size_classes_follow_lits():
    assert [size_bin(d) for d in (5, 9.99, 10, 20, 20.01, 50)] == [SIZE_BINS[0]] * 2 + [SIZE_BINS[1]] * 2 + [
        SIZE_BINS[2]
    ] * 2


def test_hits_misses_false_positives_and_ignored():
    shape = (20, 120, 120)
    reference, predicted, cyst = (np.zeros(shape, np.uint8) for _ in range(3))
    disc_lesion(reference, (20, 20, 5), 6)  # small, missed
    disc_lesion(reference, (60, 20, 5), 15)  # medium, hit by a partial prediction
    disc_lesion(reference, (90, 90, 5), 30)  # large, hit
    disc_lesion(predicted, (63, 20, 5), 8)
    disc_lesion(predicted, (90, 90, 6), 20)
    disc_lesion(predicted, (20, 90, 10), 10)  # nothing there: a false positive
    disc_lesion(cyst, (50, 60, 5), 12)
    disc_lesion(predicted, (50, 60, 5), 10)  # on the cyst: ignored
    volume = lambda a: Volume(a, SPACING, (0.0, 0.0, 0.0))  # noqa: E731
    result = detect_lesions(volume(predicted), volume(reference), ignore=volume(cyst))
    assert [size_bin(m.size_mm) for m in result.matches] == [SIZE_BINS[2], SIZE_BINS[1], SIZE_BINS[0]]
    assert [m.found for m in result.matches] == [True, True, False]
    assert result.count(SIZE_BINS[0]) == (0, 1)
    assert result.sensitivity(min_diameter_mm=10) == 1.0
    assert result.false_positives == 1 and result.ignored_predictions == 1 and result.predicted_lesions == 4
