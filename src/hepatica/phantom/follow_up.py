"""A prior study of a phantom patient, for testing lesion matching and growth: the same anatomy, each lesion at
the same place with its own diameter (or not there yet), and the patient lying differently (one rigid motion
moves the whole prior study)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from hepatica.phantom.generate import LesionSpec, PhantomStudy, make_phantom_study
from hepatica.phantom.misregister import Misregistration, move_volume, random_motion


def make_prior_study(
    current: PhantomStudy,
    diameters_mm: Mapping[int, float],
    rng: np.random.Generator,
    max_shift_mm: float = 10.0,
    max_rotation_deg: float = 5.0,
) -> tuple[PhantomStudy, Misregistration]:
    """The prior study of ``current``'s phantom: lesion ``label`` drawn with ``diameters_mm[label]`` (its current
    diameter when not listed; 0: not there yet), then every phase and mask moved by one random rigid motion.
    Returns the study (lesion labels are the prior's own, largest first) and the motion."""
    specs = []
    for lesion in current.lesions:
        diameter = float(diameters_mm.get(lesion.label, lesion.diameter_mm))
        if diameter > 0:
            specs.append(
                LesionSpec(
                    lesion.type,
                    diameter,
                    centre_mm=lesion.centre_mm,
                    rotation=tuple(tuple(row) for row in lesion.rotation),
                )
            )
    reference = current.phases[next(iter(current.phases))]
    field_of_view = tuple(n * s for n, s in zip(reference.size, reference.spacing, strict=True))
    prior = make_phantom_study(
        seed=current.seed,
        lesions=specs,
        dose=current.dose,
        spacing_mm=reference.spacing,
        field_of_view_mm=field_of_view,
    )
    centre = reference.index_to_physical(np.argwhere(current.liver.array > 0).mean(0)[::-1])
    motion = random_motion(centre, rng, max_shift_mm, max_rotation_deg)
    inverse = motion.transform().GetInverse()  # where a point of the unmoved study appears after the motion
    moved = replace(
        prior,
        phases={phase: move_volume(volume, motion) for phase, volume in prior.phases.items()},
        liver=move_volume(prior.liver, motion, mask=True),
        lesion_labels=move_volume(prior.lesion_labels, motion, mask=True),
        tissue=move_volume(prior.tissue, motion, mask=True),
        lesions=[
            replace(lesion, centre_mm=tuple(inverse.TransformPoint(tuple(lesion.centre_mm))))
            for lesion in prior.lesions
        ],
    )
    return moved, motion
