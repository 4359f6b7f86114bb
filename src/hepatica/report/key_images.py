"""The key images of an analysis written as PNGs (`images.py` renders them): each phase through one common point,
an overview of the liver with every lesion, and a close view of each lesion in every phase."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepatica.analysis import SegmentedSeries
from hepatica.io.atomic import write_bytes_atomic
from hepatica.io.phase import Phase
from hepatica.io.study import Study, StudySeries
from hepatica.io.volume import Volume, resample_to_grid
from hepatica.report.images import render_lesion_views, render_overview, render_views, volume_centre
from hepatica.result import KeyImage

#: Lesions with close views in the report (the largest first); the lesion table lists them all.
MAX_LESION_VIEWS = 12


def write_key_images(study: Study, out_dir: Path, segmented: SegmentedSeries | None = None) -> list[KeyImage]:
    """Key images: axial and coronal PNGs of each phase's series (and of unknown-phase series) through one
    common point; with a segmentation also an axial and a coronal overview of the liver with every lesion
    numbered, and a close view of each lesion (up to ``MAX_LESION_VIEWS``, largest first) in every phase.

    The common point is the centre of the largest lesion (else of the liver); the liver and lesion outlines are
    drawn on every series (masks placed on each series by position)."""
    shown = study.shown_series
    reference = study.by_phase.get(Phase.PORTAL_VENOUS) or (shown[0] if shown else study.series[0])
    centre = volume_centre(reference.volume)
    overlays: list[tuple[str, Volume]] = []
    measurements = []
    if segmented is not None:
        liver, labels = segmented.lesions.liver, segmented.lesions.labels
        measurements = list(segmented.lesions.measurements)
        if measurements:
            centre = np.asarray(measurements[0].centroid_mm)
        elif liver.array.any():
            centre = liver.index_to_physical(np.argwhere(liver.array).mean(0)[::-1])
        overlays = [("liver", liver), ("lesions", labels)]
    key_images = []

    def keep(
        series: StudySeries, view, kind: str, names: list[str], lesion_id: int | None = None, fov: float | None = None
    ) -> None:
        stem = {"phase": "", "overview": "overview_", "lesion": f"lesion{lesion_id}_"}[kind]
        name = f"images/{stem}{series.id}_{series.phase.phase.value}_{view.plane}.png"
        write_bytes_atomic(out_dir / name, view.png)
        key_images.append(
            KeyImage(
                kind=kind,
                lesion_id=lesion_id,
                series_id=series.id,
                overlays=names,
                phase=series.phase.phase.value,
                plane=view.plane,
                slice_index=view.slice_index,
                position_mm=round(view.position_mm, 2),
                field_of_view_mm=round(fov, 1) if fov else None,
                window_center=view.window[0],
                window_width=view.window[1],
                file=name,
            )
        )

    for series in shown:
        on_grid = [(name, resample_to_grid(mask, series.volume, "nearest")) for name, mask in overlays]
        for view in render_views(series.volume, centre, overlays=on_grid):
            keep(series, view, "phase", [n for n, _ in on_grid])
    if segmented is None or not liver.array.any():
        return key_images
    target = segmented.series
    for plane in ("axial", "coronal"):
        view = render_overview(target.volume, liver, labels, plane=plane)
        keep(target, view, "overview", ["liver", "lesions"])
    close = [
        (
            lesion.label,
            (lesion.centroid_mm[0], lesion.centroid_mm[1], lesion.axial_slice_z_mm),
            float(np.clip(2.5 * lesion.longest_3d_diameter_mm, 40.0, 200.0)),
        )
        for lesion in measurements[:MAX_LESION_VIEWS]
    ]
    by_series = {series.id: render_lesion_views(series.volume, liver, labels, close) for series in shown}
    for n, (label, _, fov) in enumerate(close):
        for series in shown:
            keep(series, by_series[series.id][n], "lesion", ["liver", "lesions"], lesion_id=label, fov=fov)
    return key_images
