"""Align each contrast phase to the portal-venous phase with SimpleITK: rigid, then an optional B-spline, with
the metric (Mattes mutual information: the phases differ in contrast, not in anatomy) read only in and
around the liver.

The residual misalignment is estimated by registering the aligned phase once more, rigidly, from the
identity: what that second registration still finds to correct (mean displacement over the liver, mm) is what
the first one left. Whether the result shows the same anatomy is checked on edges, which every contrast phase
shares: the correlation of gradient magnitudes (3 mm smoothing, so that noise does not dominate) within the
liver and 10 mm around it (about 0.98 for aligned phantom phases even at quarter dose, about 0 or below for
a wrong match; one misregistered quarter-dose study measured 0.49 with 1.5 mm smoothing). Alignment that leaves
more than ``MAX_RESIDUAL_MM``, makes the metric worse (beyond ``METRIC_TOLERANCE``) or leaves an edge correlation
under ``MIN_EDGE_CORRELATION`` is refused with PhaseAlignmentError rather than used for lesion measurements.
A prior study of the same patient is aligned the same way (`align_prior_study`), starting from the livers'
centres.

The same study gives the same alignment every time: each registration runs on one thread with one work unit
(ITK's multi-threaded metric sums its parts in an order that changes from run to run) and a fixed sampling seed,
and the phases are registered in parallel instead, one thread each (SimpleITK releases the GIL).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from hepatica.boxes import bounding_box, margin_voxels
from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase
from hepatica.io.volume import Volume

MAX_RESIDUAL_MM = 3.0
MIN_EDGE_CORRELATION = 0.3
RETRY_EDGE_CORRELATION = 0.8  # aligned phases correlate at about 0.98, even at quarter dose
RETRY_SEED_OFFSET = 101
METRIC_TOLERANCE = 0.02  # random metric sampling: an alignment that starts at the optimum may end a little "worse"
LIVER_MARGIN_MM = 15.0


class PhaseAlignmentError(HepaticaInputError):
    """A phase could not be aligned to the reference phase well enough to compare lesion enhancement."""


@dataclass(frozen=True)
class PhaseAlignment:
    """How one phase was aligned: the rigid correction found (mm, degrees), the residual estimate (mm) and the
    metric before and after (lower is better)."""

    phase: Phase
    translation_mm: float
    rotation_deg: float
    deformable: bool
    residual_mm: float
    metric_before: float
    metric_after: float
    edge_correlation: float


@dataclass(frozen=True)
class AlignedPhases:
    """Every phase resampled onto the reference phase's grid (HU), with how each was aligned."""

    reference: Phase
    images: dict[Phase, Volume]
    alignments: dict[Phase, PhaseAlignment]
    transforms: dict[Phase, sitk.Transform]  # reference-grid point -> the moving phase's point
    failures: dict[Phase, str] = field(default_factory=dict)  # phases not aligned, and why (left out of images)


def align_phases(
    phases: dict[Phase, Volume],
    liver: Volume,
    reference: Phase = Phase.PORTAL_VENOUS,
    deformable: bool = True,
    seed: int = 0,
) -> AlignedPhases:
    """Align every phase to ``reference`` (``liver`` is a mask on the reference grid). A phase that cannot be
    aligned well enough is left out of ``images`` and named in ``failures`` with the reason; the others are kept."""
    if reference not in phases:
        raise PhaseAlignmentError(
            f"the {reference.label.lower()} phase, which the other phases are aligned to, is missing"
        )
    fixed_volume = phases[reference]
    box = _liver_box(liver, LIVER_MARGIN_MM)
    fixed = _crop(fixed_volume, box)
    mask = _crop(liver.with_array(_dilate(liver, 10.0).astype(np.uint8)), box, sitk.sitkUInt8)
    images, alignments, transforms = {reference: fixed_volume}, {}, {}
    moving = {phase: volume for phase, volume in phases.items() if phase is not reference}

    def align(volume: Volume) -> _Result | RegistrationDivergedError:
        try:
            return _align(volume, fixed_volume, fixed, mask, liver, box, deformable, seed)
        except RegistrationDivergedError as error:
            return error

    with ThreadPoolExecutor(max_workers=max(1, min(len(moving), _threads()))) as pool:
        outcomes = dict(zip(moving, pool.map(align, moving.values()), strict=True))
    failures: dict[Phase, str] = {}
    for phase, result in outcomes.items():
        if isinstance(result, RegistrationDivergedError):
            failures[phase] = (
                f"the {phase.label.lower()} phase could not be aligned to the {reference.label.lower()} phase "
                f"(the registration diverged: {result}); check that both series show the same anatomy of the same "
                "patient"
            )
            continue
        if not result.acceptable:
            failures[phase] = (
                f"the {phase.label.lower()} phase could not be aligned to the {reference.label.lower()} phase "
                f"({result.describe()}); check that both series show the same anatomy of the same patient"
            )
            continue
        images[phase] = result.aligned
        alignments[phase] = PhaseAlignment(phase, *result.quality)
        transforms[phase] = result.transform
    return AlignedPhases(reference, images, alignments, transforms, failures)


@dataclass(frozen=True)
class StudyAlignment:
    """A prior study aligned to the current one: the transform (current-grid point -> prior point) and how well
    it fits, as for phases."""

    transform: sitk.Transform
    translation_mm: float
    rotation_deg: float
    residual_mm: float
    edge_correlation: float


def align_prior_study(
    prior: Volume, prior_liver: Volume, current: Volume, current_liver: Volume, seed: int = 0
) -> StudyAlignment:
    """Align a prior study's series (``prior``, with its liver mask) to the current study's (``current``).
    Rigid from the livers' centres, then B-spline: the liver deforms between breath-holds and exams."""
    box = _liver_box(current_liver, LIVER_MARGIN_MM)
    fixed = _crop(current, box)
    mask = _crop(current_liver.with_array(_dilate(current_liver, 10.0).astype(np.uint8)), box, sitk.sitkUInt8)
    initial = sitk.Euler3DTransform()
    centre = _mask_centre(current_liver)
    initial.SetCenter(centre)
    initial.SetTranslation(tuple(float(v) for v in np.subtract(_mask_centre(prior_liver), centre)))
    try:
        result = _align(prior, current, fixed, mask, current_liver, box, True, seed, initial=initial)
    except RegistrationDivergedError as error:
        raise PhaseAlignmentError(
            f"the prior study could not be aligned to the current one (the registration "
            f"diverged: {error}); check that both studies show the same patient's "
            "liver"
        ) from error
    if not result.acceptable:
        raise PhaseAlignmentError(
            f"the prior study could not be aligned to the current one ({result.describe()}); "
            "check that both studies show the same patient's liver"
        )
    shift, angle, _, residual, _, _, edges = result.quality
    return StudyAlignment(result.transform, shift, angle, residual, edges)


@dataclass(frozen=True)
class _Result:
    transform: sitk.Transform
    aligned: Volume
    quality: tuple  # translation_mm, rotation_deg, deformable, residual_mm, metric before, after, edge correlation

    @property
    def acceptable(self) -> bool:
        _, _, _, residual, before, after, edges = self.quality
        return after <= before + METRIC_TOLERANCE and residual <= MAX_RESIDUAL_MM and edges >= MIN_EDGE_CORRELATION

    def describe(self) -> str:
        _, _, _, residual, before, after, edges = self.quality
        return (
            f"residual misalignment {residual:.1f} mm, edge correlation {edges:.2f}, metric {before:.3f} -> {after:.3f}"
        )


def _align(
    volume: Volume,
    fixed_volume: Volume,
    fixed: sitk.Image,
    mask: sitk.Image,
    liver: Volume,
    box,
    deformable: bool,
    seed: int,
    initial: sitk.Transform | None = None,
) -> _Result:
    """Register ``volume`` to the cropped ``fixed`` image, resample it onto ``fixed_volume``'s grid and measure
    the residual misalignment and the edge correlation. The optimiser can, rarely, run off to a wrong optimum
    (once: 35 mm, edge correlation 0.48, on phases that had not moved); a result with edge correlation under
    ``RETRY_EDGE_CORRELATION`` is therefore tried once more with another sampling seed, and the better of the two
    kept."""
    best, failures = None, []
    for attempt_seed in (seed, seed + RETRY_SEED_OFFSET):
        try:
            result = _align_once(volume, fixed_volume, fixed, mask, liver, box, deformable, attempt_seed, initial)
        except RuntimeError as error:  # ITK: the optimiser moved the image out of reach of the fixed one
            failures.append(_itk_reason(error))
            continue
        if best is None or result.quality[-1] > best.quality[-1]:
            best = result
        if best.quality[-1] >= RETRY_EDGE_CORRELATION:
            break
    if best is None:
        raise RegistrationDivergedError("; ".join(dict.fromkeys(failures)))
    return best


class RegistrationDivergedError(RuntimeError):
    """Every registration attempt ran off until the images no longer overlapped (ITK's reason attached)."""


def _itk_reason(error: RuntimeError) -> str:
    """The sentence of an ITK exception that says what went wrong, without the C++ source location."""
    text = str(error)
    if "ITK ERROR:" in text:
        text = text.split("ITK ERROR:", 1)[1].split("):", 1)[-1]
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first.split(". ")[0].rstrip(".")


def _align_once(
    volume: Volume,
    fixed_volume: Volume,
    fixed: sitk.Image,
    mask: sitk.Image,
    liver: Volume,
    box,
    deformable: bool,
    seed: int,
    initial: sitk.Transform | None,
) -> _Result:
    moving = volume.to_sitk()
    transform, before, after = _register(
        fixed, sitk.Cast(moving, sitk.sitkFloat32), mask, deformable, seed, initial=initial
    )
    # cubic B-spline resampling: linear interpolation would blur thin rims and capsules across slices
    aligned = sitk.Resample(moving, fixed_volume.to_sitk(), transform, sitk.sitkBSpline, -1024.0, sitk.sitkFloat32)
    aligned_crop = sitk.Resample(aligned, fixed, sitk.Transform(), sitk.sitkLinear, -1024.0)
    check, _, _ = _register(fixed, aligned_crop, mask, False, seed + 1, levels=(2,))
    residual = _mean_displacement(check, liver, box)
    edges = _edge_correlation(fixed, aligned_crop, mask)
    shift_mm, angle_deg = _rigid_size(transform)
    return _Result(
        transform,
        Volume.from_sitk(aligned, dict(volume.metadata)),
        (shift_mm, angle_deg, deformable, residual, before, after, edges),
    )


def _mask_centre(mask: Volume) -> tuple[float, float, float]:
    """Physical (LPS, mm) centre of a mask's voxels."""
    return tuple(float(v) for v in mask.index_to_physical(np.argwhere(mask.array > 0).mean(0)[::-1]))


def _register(
    fixed: sitk.Image,
    moving: sitk.Image,
    mask: sitk.Image,
    deformable: bool,
    seed: int,
    levels=(4, 2),
    initial: sitk.Transform | None = None,
) -> tuple[sitk.Transform, float, float]:
    """Rigid (and B-spline) registration at ``levels`` (shrink factors; liver CT needs no finer than 2 for
    millimetre accuracy) from ``initial`` (default: no motion), and the metric before and
    after on the fixed image shrunk by 2."""
    method = _method(mask, seed, levels)
    if initial is None:
        initial = _identity_about_centre(fixed)
    method.SetInitialTransform(initial, inPlace=False)
    rigid = method.Execute(fixed, moving)
    transform: sitk.Transform = rigid
    if deformable:
        mesh = [max(1, int(round(size * spacing / 80.0))) for size, spacing in zip(fixed.GetSize(), fixed.GetSpacing())]
        bspline = sitk.BSplineTransformInitializer(fixed, mesh)
        method = _method(mask, seed, (2,), bspline=True)
        method.SetMovingInitialTransform(rigid)
        method.SetInitialTransform(bspline, inPlace=True)
        method.Execute(fixed, moving)
        transform = sitk.CompositeTransform([rigid, bspline])
    coarse_fixed, coarse_mask = sitk.Shrink(fixed, [2, 2, 2]), sitk.Shrink(mask, [2, 2, 2])
    before, after = (_metric(coarse_fixed, moving, coarse_mask, t, seed) for t in (initial, transform))
    return transform, before, after


def _identity_about_centre(fixed: sitk.Image) -> sitk.Euler3DTransform:
    """No motion, rotating about the centre of the (cropped) fixed image. The phases of one study share its frame
    of reference, so physical coordinates are the right start. (Matching the images' centres instead, as ITK's
    geometry initializer does, moved every phase by the offset between the liver's box and the whole moving image's
    centre: 50 mm on one phantom (seed 11), whose phases then "aligned" to a wrong optimum 4-13 mm away.)"""
    initial = sitk.Euler3DTransform()
    size = np.array(fixed.GetSize(), dtype=float)
    initial.SetCenter(fixed.TransformContinuousIndexToPhysicalPoint(tuple((size - 1) / 2)))
    return initial


def _metric(fixed: sitk.Image, moving: sitk.Image, mask: sitk.Image, transform: sitk.Transform, seed: int) -> float:
    method = _method(mask, seed, (1,))
    method.SetMovingInitialTransform(transform)
    method.SetInitialTransform(sitk.TranslationTransform(3))
    return float(method.MetricEvaluate(fixed, moving))


def _threads() -> int:
    """Phases registered at once: HEPATICA_THREADS (the cohort runner's share of the cores), else every core."""
    return int(os.environ.get("HEPATICA_THREADS") or os.cpu_count() or 1)


def _method(mask: sitk.Image, seed: int, levels, bspline: bool = False) -> sitk.ImageRegistrationMethod:
    method = sitk.ImageRegistrationMethod()
    method.SetNumberOfThreads(1)  # bit-reproducible: see the module docstring
    method.SetNumberOfWorkUnits(1)
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=48)
    method.SetMetricFixedMask(mask)
    method.SetMetricSamplingStrategy(method.RANDOM)
    # SimpleITK reads seed 0 as 'seed from the wall clock' (sitkWallClock): seed + 1 keeps every run the same.
    method.SetMetricSamplingPercentage(0.1, seed + 1)
    method.SetInterpolator(sitk.sitkLinear)
    if bspline:
        method.SetOptimizerAsLBFGSB(
            gradientConvergenceTolerance=1e-5, numberOfIterations=20, maximumNumberOfCorrections=5
        )
    else:
        method.SetOptimizerAsRegularStepGradientDescent(
            learningRate=2.0,
            minStep=0.01,
            numberOfIterations=150,
            relaxationFactor=0.6,
            gradientMagnitudeTolerance=1e-6,
        )
        method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel(list(levels))
    method.SetSmoothingSigmasPerLevel([max(0.0, (f - 1) * 1.0) for f in levels])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    return method


def _edge_correlation(fixed: sitk.Image, moving: sitk.Image, mask: sitk.Image, sigma_mm: float = 3.0) -> float:
    """Pearson correlation of the two images' gradient magnitudes within ``mask``."""
    inside = sitk.GetArrayViewFromImage(mask) > 0
    a, b = (
        sitk.GetArrayFromImage(sitk.GradientMagnitudeRecursiveGaussian(image, sigma_mm))[inside]
        for image in (fixed, moving)
    )
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _rigid_size(transform: sitk.Transform) -> tuple[float, float]:
    """Translation (mm, at the centre of rotation) and rotation angle (degrees) of the rigid part."""
    rigid = transform
    while isinstance(rigid, sitk.CompositeTransform):
        rigid = rigid.GetNthTransform(0)
    euler = sitk.Euler3DTransform(rigid)
    rotation = np.asarray(euler.GetMatrix()).reshape(3, 3)
    angle = np.degrees(np.arccos(np.clip((np.trace(rotation) - 1) / 2, -1.0, 1.0)))
    return float(np.linalg.norm(euler.GetTranslation())), float(angle)


def _mean_displacement(transform: sitk.Transform, liver: Volume, box) -> float:
    """Mean distance (mm) the transform moves the liver's voxels (a subsample of them)."""
    k, j, i = np.nonzero(liver.array[box])
    step = max(1, k.size // 5000)
    offset = np.array([b.start for b in box])
    index = np.stack([i[::step] + offset[2], j[::step] + offset[1], k[::step] + offset[0]], axis=1)
    points = liver.index_to_physical(index)
    moved = np.array([transform.TransformPoint(tuple(float(v) for v in p)) for p in points])
    return float(np.mean(np.linalg.norm(moved - points, axis=1)))


def _liver_box(liver: Volume, margin_mm: float) -> tuple[slice, ...]:
    mask = liver.array > 0
    if not mask.any():
        raise PhaseAlignmentError("the liver mask is empty, so there is nothing to align the phases on")
    return bounding_box(mask, margin_voxels(margin_mm, liver.spacing[::-1]))


def _crop(volume: Volume, box, pixel_type=sitk.sitkFloat32) -> sitk.Image:
    image = volume.to_sitk()
    start = [b.start for b in box[::-1]]
    size = [b.stop - b.start for b in box[::-1]]
    return sitk.Cast(sitk.RegionOfInterest(image, size, start), pixel_type)


def _dilate(liver: Volume, mm: float) -> np.ndarray:
    mask = liver.array > 0
    distance = ndimage.distance_transform_edt(~mask, sampling=liver.spacing[::-1])
    return distance <= mm
