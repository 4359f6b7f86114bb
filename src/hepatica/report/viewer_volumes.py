"""Each phase as a compact NIfTI for the web viewer (``hepatica serve``): int16 HU, gzip-compressed, on the grid of
the segmented series, so that the liver and lesion masks overlay every phase voxel for voxel.

Phases that the LI-RADS stage aligned are written aligned (what LI-RADS measured); the others are resampled by
physical position only, and say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hepatica.io.files import write_image
from hepatica.io.phase import Phase
from hepatica.io.study import Study
from hepatica.io.volume import Volume, resample_to_grid
from hepatica.result import ViewerVolume

#: HU range kept (int16); air outside the scan is -1024.
HU_RANGE = (-1024, 3071)


def write_viewer_volumes(
    study: Study, reference: Volume, out_dir: Path, aligned: Mapping[Phase, Volume] | None = None
) -> list[ViewerVolume]:
    """Write ``out_dir/viewer/<phase>.nii.gz`` for every phase of ``study`` on ``reference``'s grid (and
    ``<series>_unknown_phase.nii.gz`` for series of unknown phase), taking the phases in ``aligned`` (already on
    that grid) as they are; entries in phase order, files relative to ``out_dir``."""
    aligned = dict(aligned or {})
    written = []
    for series in study.shown_series:
        phase = series.phase.phase
        name = phase.value if phase is not Phase.UNKNOWN else f"{series.id}_unknown_phase"
        is_aligned = phase in aligned and aligned[phase].same_grid(reference)
        if is_aligned:
            volume = aligned[phase]
        else:
            volume = resample_to_grid(series.volume, reference, "linear", default=HU_RANGE[0])
        values = np.clip(np.rint(volume.array), *HU_RANGE).astype(np.int16)
        path = write_image(reference.with_array(values), out_dir / "viewer" / f"{name}.nii.gz")
        written.append(
            ViewerVolume(
                phase=phase.value,
                series_id=series.id,
                file=path.relative_to(out_dir).as_posix(),
                aligned=is_aligned or series.volume is reference,
            )
        )
    return written
