"""Each new study Orthanc receives is analysed once: the watcher reads Orthanc's change log, queues the stable
study, the worker pulls it, analyses it and pushes the SEG and SR back; neither their arrival, nor a study of only
an SR, nor a restart of the server queues anything again."""

import time

import pydicom
import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hepatica.errors import HepaticaInputError
from hepatica.options import AnalysisOptions
from hepatica.serve import create_app
from hepatica.serve.pacs import Pacs
from hepatica.store.database import WatchPosition
from tests.serve.test_pacs import _modalities, _study_into, _wait


def _pacs_jobs(queue):
    return [job for job in queue.jobs() if job.pacs_study_uid]


def _last_change(root) -> int:
    return requests.get(f"{root}/changes", params={"last": ""}, timeout=10).json()["Last"]


def _watched_to(queue) -> int:
    with Session(queue.engine) as session:
        (position,) = session.scalars(select(WatchPosition)).all()
        return position.last_change


def _sr_only_study(pacs, study_uid, folder):
    """A new study holding only a copy of the SR the analysis pushed (new UIDs)."""
    sr_series = next(s for s in pacs.series_of(study_uid) if s["00080060"]["Value"][0] == "SR")
    (sr,) = pacs.client.retrieve_series(study_uid, sr_series["0020000E"]["Value"][0])
    sr.StudyInstanceUID, sr.SeriesInstanceUID = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    sr.SOPInstanceUID = sr.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    path = folder / "sr-only.dcm"
    sr.save_as(path, enforce_file_format=True)
    pacs.push([path])


def test_each_new_study_orthanc_receives_is_analysed_once(orthanc, small_phantom_files, tmp_path):
    orthanc.start()  # StableAge 2 s
    root = orthanc.url.removesuffix("/dicom-web")
    options = dict(
        analysis_options=AnalysisOptions(radiomics=False, lirads=False),
        pacs_url=orthanc.url,
        watch_orthanc=root,
        watch_seconds=0.5,
    )
    pacs = Pacs(orthanc.url)
    with TestClient(create_app(tmp_path / "studies", **options)) as client:
        queue = client.app.state.queue
        study_uid = _study_into(orthanc.url, small_phantom_files.dicom)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _pacs_jobs(queue):
            time.sleep(0.2)
        (job,) = _pacs_jobs(queue)
        assert job.pacs_study_uid == study_uid
        status = _wait(client, job.study_id)
        assert status["state"] == "done", status
        assert _modalities(pacs, study_uid) == ["CT"] * 4 + ["SEG", "SR"]
        _sr_only_study(pacs, study_uid, tmp_path)
        time.sleep(2 + 3)  # the SEG, SR and the SR-only study become stable and are read
        assert [j.id for j in _pacs_jobs(queue)] == [job.id]
        assert _watched_to(queue) == _last_change(root)  # it read them all and queued none
    with TestClient(create_app(tmp_path / "studies", **options)) as client:  # a restart reads on from its place
        time.sleep(3)
        assert [j.id for j in _pacs_jobs(client.app.state.queue)] == [job.id]
    assert _modalities(pacs, study_uid) == ["CT"] * 4 + ["SEG", "SR"]


def test_watching_needs_the_dicomweb_root_to_pull_from(tmp_path):
    with pytest.raises(HepaticaInputError, match="--pacs"):
        create_app(tmp_path / "studies", watch_orthanc="http://127.0.0.1:8042")
