"""Quality-control checks on cases whose verdict is known."""

import numpy as np
import pytest

from hepatica.characterize.study import StudyPhases
from hepatica.io.phase import Phase
from hepatica.io.volume import Volume
from hepatica.quality import DONE, NEEDS_REVIEW, QualityCheck, QualityVerdict, assess_quality
from hepatica.quality.checks import _alignment, _liver_coverage, body_share, standard_liver_volume_ml


def test_standard_liver_volume_follows_urata():
    # 1.70 m, 70 kg: BSA (Mosteller) 1.826 m2 -> 706.2 x 1.826 + 2.4
    assert standard_liver_volume_ml(1.70, 70.0) == pytest.approx(706.2 * np.sqrt(170 * 70 / 3600) + 2.4)


def _body_and_liver(cut_by_the_field_of_view=False):
    shape = (40, 120, 120)  # z, y, x
    z, y, x = np.indices(shape)
    body = ((x - 60) / 55.0) ** 2 + ((y - 60) / (70.0 if cut_by_the_field_of_view else 45.0)) ** 2 <= 1
    liver = (((x - 40) / 20.0) ** 2 + ((y - 55) / 20.0) ** 2 <= 1) & (z >= 5) & (z < 35)
    hu = np.where(body, 40, -1000).astype(np.int16)
    hu[liver] = 100
    image = Volume(hu, (2.0, 2.0, 3.0), (0.0, 0.0, 0.0), metadata={"modality": "CT"})
    return image, liver


def test_body_share_is_the_livers_part_of_the_body_across_its_slices():
    image, liver = _body_and_liver()
    share = body_share(image, liver)
    expected = (np.pi * 20 * 20) / (np.pi * 55 * 45)
    assert share == pytest.approx(expected, rel=0.08)
    cropped, liver = _body_and_liver(cut_by_the_field_of_view=True)
    assert body_share(cropped, liver) is None  # the body reaches the edge: a crop, not measurable


def test_a_scan_that_ends_inside_the_liver_fails_coverage():
    image, liver = _body_and_liver()
    assert _liver_coverage(image, image.with_array(liver.astype(np.uint8))).passed
    cut = liver.copy()
    cut[-1] = cut[20]
    check = _liver_coverage(image, image.with_array(cut.astype(np.uint8)))
    assert not check.passed and "lower bound" in check.detail


def test_a_failed_phase_alignment_is_a_flag_with_the_reason():
    phases = StudyPhases(Phase.PORTAL_VENOUS, {}, {}, [], failed={Phase.ARTERIAL: "residual misalignment 17.0 mm"})
    check = _alignment(phases)
    assert not check.passed and "arterial phase left out of LI-RADS: residual misalignment 17.0 mm" in check.detail
    verdict = assess_quality(Volume(np.zeros((4, 4, 4), np.int16), (1, 1, 1), (0, 0, 0)), None, None, phases)
    assert verdict.status == NEEDS_REVIEW and [c.name for c in verdict.flags] == ["phase alignment"]


def test_the_verdict_is_done_only_when_every_check_passed():
    assert QualityVerdict((QualityCheck("a", True, ""), QualityCheck("b", True, ""))).status == DONE
    assert QualityVerdict((QualityCheck("a", True, ""), QualityCheck("b", False, "why"))).status == NEEDS_REVIEW
