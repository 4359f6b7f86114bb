"""The phantom: deterministic, plausible anatomy, and each lesion type's kinetics measured from the images."""

import json

import numpy as np
import pytest
from scipy import ndimage

from hepatica.errors import HepaticaInputError
from hepatica.io import Phase, load_study, read_image
from hepatica.phantom import LesionSpec, LesionType, make_phantom_study
from hepatica.phantom.kinetics import Tissue

PRE, ART, PV, DEL = Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED


def _regions(study, lesion):
    """Interior (deeper than max(3 mm, 35 % of the depth)) and outer 1.5 mm shell of a lesion, from its mask."""
    mask = study.lesion_labels.array == lesion.label
    depth = ndimage.distance_transform_edt(mask, sampling=study.liver.spacing[::-1])
    return depth > max(3.0, 0.35 * depth.max()), mask & (depth <= 1.5)


def _mean(study, phase, region):
    return float(study.phases[phase].array[region].mean())


def _liver_parenchyma(study):
    return (study.tissue.array == Tissue.LIVER) & (study.lesion_labels.array == 0)


def test_same_seed_same_study_other_seed_other_study():
    a = make_phantom_study(seed=3, spacing_mm=(3, 3, 4), lesions=[LesionSpec("cyst", 20)])
    b = make_phantom_study(seed=3, spacing_mm=(3, 3, 4), lesions=[LesionSpec("cyst", 20)])
    c = make_phantom_study(seed=4, spacing_mm=(3, 3, 4), lesions=[LesionSpec("cyst", 20)])
    assert np.array_equal(a.phases[ART].array, b.phases[ART].array)
    assert a.lesions[0].centre_mm == b.lesions[0].centre_mm
    assert not np.array_equal(a.phases[ART].array, c.phases[ART].array)


def test_anatomy_is_plausible(standard_phantom):
    s = standard_phantom
    assert 1200 <= s.liver_volume_ml <= 1800
    tissue = s.tissue.array
    ml = s.tissue.voxel_volume_ml
    assert 150 < (tissue == Tissue.SPLEEN).sum() * ml < 400
    for t in (
        Tissue.KIDNEY_CORTEX,
        Tissue.AORTA,
        Tissue.INFERIOR_VENA_CAVA,
        Tissue.PORTAL_VEIN,
        Tissue.HEPATIC_VEIN,
        Tissue.CORTICAL_BONE,
    ):
        assert (tissue == t).any(), t
    # The liver lies in the patient's right (negative x in LPS) upper abdomen.
    centre = np.asarray(ndimage.center_of_mass(s.liver.array))[::-1]
    x, _, z = s.liver.index_to_physical(centre)
    spleen_x = s.tissue.index_to_physical(np.asarray(ndimage.center_of_mass(tissue == Tissue.SPLEEN))[::-1])[0]
    assert x < -30 < 30 < spleen_x
    # Noise in the liver at standard dose is CT-like.
    parenchyma = _liver_parenchyma(s)
    assert 9 < s.phases[PV].array[parenchyma].std() < 16


def test_tissue_enhancement_follows_the_phases(standard_phantom):
    s = standard_phantom
    liver = [_mean(s, p, _liver_parenchyma(s)) for p in (PRE, ART, PV, DEL)]
    aorta = [
        _mean(s, p, ndimage.binary_erosion(s.tissue.array == Tissue.AORTA, iterations=2)) for p in (PRE, ART, PV, DEL)
    ]
    assert liver == pytest.approx([55, 75, 110, 90], abs=3)
    assert aorta[1] > 250 and aorta[1] > aorta[2] > aorta[3] > aorta[0]
    assert liver[2] == max(liver)  # the liver peaks in the portal-venous phase


def test_lesion_kinetics_measured_from_the_images(standard_phantom):
    s = standard_phantom
    liver = {p: _mean(s, p, _liver_parenchyma(s)) for p in (PRE, ART, PV, DEL)}
    seen = set()
    for lesion in s.lesions:
        core, shell = _regions(s, lesion)
        assert core.sum() >= 10, lesion
        c = {p: _mean(s, p, core) - liver[p] for p in (PRE, ART, PV, DEL)}  # core minus liver, HU
        r = {p: _mean(s, p, shell) - liver[p] for p in (PRE, ART, PV, DEL)}  # shell minus liver, HU
        kind = lesion.type
        seen.add(kind)
        if kind is LesionType.HCC:
            assert c[ART] > 30, "non-rim APHE"
            assert c[PV] < -10 and c[DEL] < -10, "non-peripheral washout"
            assert r[PV] > c[PV] + 25 and r[DEL] > 15, "enhancing capsule"
        elif kind is LesionType.HEMANGIOMA:
            arterial_shell = s.phases[ART].array[shell] - liver[ART]
            assert np.percentile(arterial_shell, 95) > 80, "peripheral nodular enhancement at blood-pool level"
            assert c[ART] < -10, "centre not yet enhanced in the arterial phase"
            assert c[ART] < c[PV] < c[DEL] and c[DEL] > 5, "centripetal fill-in, hyperattenuating when filled"
        elif kind is LesionType.CYST:
            for p in (PRE, ART, PV, DEL):
                assert -10 < _mean(s, p, core) < 20, "water attenuation, no enhancement"
        elif kind is LesionType.METASTASIS:
            assert r[ART] > 20 and r[ART] > c[ART] + 30, "rim APHE"
            assert c[PV] < -30, "hypoattenuating core"
            assert r[DEL] < c[DEL] - 5, "peripheral washout: the rim darker than the centre late"
        elif kind is LesionType.FNH:
            assert c[ART] > 40, "intense arterial enhancement"
            assert abs(c[PV]) < 10 and abs(c[DEL]) < 10, "iso-attenuating later: no washout"
    assert seen == set(LesionType)


def test_lesion_sizes_and_volumes_match_their_specification(standard_phantom):
    for lesion in standard_phantom.lesions:
        mask = standard_phantom.lesion_labels.array == lesion.label
        assert mask.any()
        ellipsoid_ml = 4 / 3 * np.pi * np.prod(lesion.radii_mm) / 1000
        assert lesion.volume_ml == pytest.approx(ellipsoid_ml, rel=0.08 if lesion.diameter_mm > 14 else 0.25)
        assert max(lesion.radii_mm) * 2 == pytest.approx(lesion.diameter_mm)
        assert standard_phantom.liver.array[mask].all(), "lesions lie inside the liver mask"


def test_lesion_that_does_not_fit_is_refused():
    with pytest.raises(HepaticaInputError, match="does not fit in the liver"):
        make_phantom_study(seed=1, spacing_mm=(3, 3, 4), lesions=[LesionSpec("hcc", 60)] * 6)
    with pytest.raises(HepaticaInputError, match="outside the phantom's range 5-60 mm"):
        LesionSpec("cyst", 80)


def test_dose_sets_the_noise():
    low = make_phantom_study(seed=2, spacing_mm=(3, 3, 4), lesions=[], dose=0.25)
    parenchyma = _liver_parenchyma(low) & ndimage.binary_erosion(low.liver.array > 0, iterations=2)
    assert low.noise_sd_hu == pytest.approx(22.0)
    assert 17 < low.phases[PV].array[parenchyma].std() < 27


def test_dicom_round_trip_keeps_geometry_and_values(small_phantom, small_phantom_files):
    study = load_study(small_phantom_files.dicom)
    assert [s.phase.phase for s in study.series] == [PRE, ART, PV, DEL]
    assert len({s.volume.metadata["study_uid"] for s in study.series}) == 1
    assert len({s.volume.metadata["frame_of_reference_uid"] for s in study.series}) == 1
    for series in study.series:
        original = small_phantom.phases[series.phase.phase]
        assert series.volume.same_grid(original)
        assert np.max(np.abs(series.volume.array.astype(int) - original.array.astype(int))) <= 1


def test_nifti_and_truth_files(small_phantom, small_phantom_files):
    for phase, path in small_phantom_files.nifti.items():
        assert np.array_equal(read_image(path).array, small_phantom.phases[phase].array)
    truth = json.loads(small_phantom_files.truth_json.read_text())
    assert [lesion["type"] for lesion in truth["lesions"]] == ["hcc", "fnh", "cyst"]
    assert truth["lesions"][0]["expected_lirads_features"] == {
        "aphe": "nonrim",
        "washout": "nonperipheral",
        "capsule": True,
        "benign": None,
        "lr_m_features": [],
    }
    liver = read_image(small_phantom_files.root / "truth" / "liver.nii.gz")
    assert float(liver.array.sum()) * liver.voxel_volume_ml == pytest.approx(truth["liver_volume_ml"], abs=0.01)


def test_a_lesion_free_phantom_and_one_with_a_mass_against_the_liver():
    coarse = dict(spacing_mm=(2.0, 2.0, 3.0), seed=4)
    free = make_phantom_study(lesions=(), **coarse)
    assert free.lesions == [] and not free.lesion_labels.array.any()
    with_mass = make_phantom_study(lesions=(), adjacent_mass_mm=60.0, **coarse)
    mass = with_mass.tissue.array == Tissue.EXTRAHEPATIC_MASS
    liver = with_mass.liver.array > 0
    assert not (mass & liver).any()  # outside the liver...
    assert (ndimage.binary_dilation(mass) & liver).any()  # ...touching it
    sphere_ml = 4 / 3 * np.pi * 30.0**3 / 1000
    assert 0.5 * sphere_ml < with_mass.adjacent_mass.volume_ml <= 1.02 * sphere_ml
    assert with_mass.liver_volume_ml == pytest.approx(free.liver_volume_ml, rel=0.001)  # the mass moves no liver


def test_an_exophytic_lesion_bulges_out_of_the_liver_and_belongs_to_it():
    study = make_phantom_study(
        seed=5, spacing_mm=(2.0, 2.0, 3.0), lesions=(LesionSpec(LesionType.HCC, 40.0, exophytic=True),)
    )
    lesion = study.lesions[0]
    assert lesion.exophytic and 0.25 <= lesion.outside_liver_fraction <= 0.65
    assert ((study.lesion_labels.array > 0) <= (study.liver.array > 0)).all()  # the liver truth includes it
