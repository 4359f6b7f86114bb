"""Viewer volumes: every series on the segmented grid as int16 HU, aligned phases as LI-RADS measured them, the
others placed by position, and series of unknown phase included."""

import numpy as np

from hepatica.io.files import read_image
from hepatica.io.phase import Phase, PhaseEstimate
from hepatica.io.study import Study, StudySeries
from hepatica.io.volume import Volume
from hepatica.report.viewer_volumes import write_viewer_volumes


def _series(series_id, phase, array, origin=(0.0, 0.0, 0.0)):
    volume = Volume(array=array, spacing=(1.0, 1.0, 2.0), origin=origin, direction=np.eye(3))
    return StudySeries(series_id, volume, PhaseEstimate(phase, "user", "test", 1.0), series_id, series_id)


def test_phases_are_written_on_the_reference_grid_aligned_or_by_position(tmp_path):
    portal = _series("S1", Phase.PORTAL_VENOUS, np.full((4, 8, 8), 100.4, dtype=np.float32))
    arterial = _series("S2", Phase.ARTERIAL, np.full((4, 8, 8), 250, dtype=np.int16), origin=(0.0, 0.0, 2.0))
    delayed = _series("S3", Phase.DELAYED, np.full((4, 8, 8), 80, dtype=np.int16))
    unknown = _series("S4", Phase.UNKNOWN, np.full((4, 8, 8), -5000, dtype=np.int16))
    study = Study([portal, arterial, delayed, unknown], source="files")
    aligned = {Phase.DELAYED: delayed.volume.with_array(np.full((4, 8, 8), 90.0, dtype=np.float32))}
    entries = write_viewer_volumes(study, portal.volume, tmp_path, aligned=aligned)
    assert [(e.phase, e.series_id, e.aligned) for e in entries] == [
        ("arterial", "S2", False),
        ("portal_venous", "S1", True),
        ("delayed", "S3", True),
        ("unknown", "S4", False),
    ]
    assert entries[-1].file == "viewer/S4_unknown_phase.nii.gz"
    images = {e.phase: read_image(tmp_path / e.file) for e in entries}
    assert all(v.same_grid(portal.volume) and v.array.dtype == np.int16 for v in images.values())
    assert images["portal_venous"].array.max() == 100  # rounded HU
    assert images["delayed"].array.min() == 90  # the aligned image, not the acquired one
    arterial_hu = images["arterial"].array
    assert (arterial_hu[1:] == 250).all() and (arterial_hu[0] == -1024).all()  # moved 2 mm: first slice outside
    assert (images["unknown"].array == -1024).all()  # clipped to the int16 HU range kept
