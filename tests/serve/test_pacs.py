"""The service against a real Orthanc over DICOMweb: pull a study, analyse it, push the SEG and SR back, and read
them from Orthanc afterwards; with Orthanc down the job waits with a clear reason and completes once when it is
back; a job run again after its push stores nothing twice: nothing lost or duplicated."""

import time

import highdicom as hd
import pydicom
from fastapi.testclient import TestClient

from hepatica.options import AnalysisOptions
from hepatica.serve import create_app
from hepatica.serve.library import StudyLibrary
from hepatica.serve.pacs import Pacs
from hepatica.serve.submit import submit_pacs_study
from hepatica.serve.worker import Worker
from hepatica.store.database import default_url, open_database
from hepatica.store.queue import JobQueue


def _study_into(orthanc_url, dicom_folder) -> str:
    files = sorted(p for p in dicom_folder.rglob("*") if p.is_file())
    Pacs(orthanc_url).push(files)
    return str(pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID)


def _wait(client, study_id, until=("done", "failed"), timeout_s=600):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/api/studies/{study_id}").json()["status"]
        if status["state"] in until:
            return status
        time.sleep(0.5)
    raise AssertionError(f"{study_id} still {status}")


def _modalities(pacs, study_uid):
    return sorted(series["00080060"]["Value"][0] for series in pacs.series_of(study_uid))


def test_pull_analyse_and_push_back_the_seg_and_sr(orthanc, small_phantom_files, tmp_path):
    orthanc.start()
    study_uid = _study_into(orthanc.url, small_phantom_files.dicom)
    pacs = Pacs(orthanc.url)
    assert _modalities(pacs, study_uid) == ["CT"] * 4
    app = create_app(tmp_path / "studies", analysis_options=AnalysisOptions(radiomics=False), pacs_url=orthanc.url)
    with TestClient(app) as client:
        answer = client.post("/api/studies/pacs", json={"study_instance_uid": study_uid, "high_risk": True})
        assert answer.status_code == 202
        study_id = answer.json()["id"]
        status = _wait(client, study_id)
        assert status["state"] == "done", status
        assert client.get(f"/api/studies/{study_id}/viewer").json()["lesions"]
        (job,) = client.app.state.queue.jobs(study_id)
        assert job.state == "done" and job.attempts == 1

    assert _modalities(pacs, study_uid) == ["CT"] * 4 + ["SEG", "SR"]
    seg_series = next(s for s in pacs.series_of(study_uid) if s["00080060"]["Value"][0] == "SEG")
    (seg,) = pacs.client.retrieve_series(study_uid, seg_series["0020000E"]["Value"][0])
    segmentation = hd.seg.Segmentation.from_dataset(seg)
    labels = [d.SegmentLabel for d in segmentation.SegmentSequence]
    assert labels[0] == "liver" and len(labels) >= 2
    sr_series = next(s for s in pacs.series_of(study_uid) if s["00080060"]["Value"][0] == "SR")
    (sr,) = pacs.client.retrieve_series(study_uid, sr_series["0020000E"]["Value"][0])
    assert sr.StudyInstanceUID == study_uid and sr.ContentSequence


def test_orthanc_down_gives_a_clear_reason_and_the_job_completes_once_it_is_back(
    orthanc, small_phantom_files, tmp_path
):
    orthanc.start()
    study_uid = _study_into(orthanc.url, small_phantom_files.dicom)
    orthanc.stop()  # the study stays in Orthanc's storage
    app = create_app(
        tmp_path / "studies",
        analysis_options=AnalysisOptions(radiomics=False, lirads=False),
        pacs_url=orthanc.url,
        pacs_retry_seconds=2.0,
    )
    with TestClient(app) as client:
        study_id = client.post("/api/studies/pacs", json={"study_instance_uid": study_uid}).json()["id"]
        queue: JobQueue = client.app.state.queue
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (queue.jobs(study_id)[0].error or ""):
            time.sleep(0.2)
        (job,) = queue.jobs(study_id)
        assert job.state == "queued" and "not reachable" in job.error and job.attempts == 1
        status = client.get(f"/api/studies/{study_id}").json()["status"]
        assert "not reachable" in status["error"] and status["state"] == "queued"
        orthanc.start()
        status = _wait(client, study_id)
        assert status["state"] == "done", status
        (job,) = queue.jobs(study_id)
        assert job.state == "done" and job.attempts >= 2
    assert _modalities(Pacs(orthanc.url), study_uid) == ["CT"] * 4 + ["SEG", "SR"]  # pushed once, no duplicates


def test_a_study_the_pacs_does_not_have_fails_with_the_reason(orthanc, tmp_path):
    orthanc.start()
    with TestClient(create_app(tmp_path / "studies", pacs_url=orthanc.url)) as client:
        study_id = client.post("/api/studies/pacs", json={"study_instance_uid": "1.2.3.4.5"}).json()["id"]
        status = _wait(client, study_id)
        assert status["state"] == "failed" and "no such study" in status["error"] and "1.2.3.4.5" in status["error"]
        assert client.post("/api/studies/pacs", json={"study_instance_uid": "../etc"}).status_code == 422


class _DiesAfterPushing(JobQueue):
    """A queue whose first completion fails, as if the worker died between pushing to the PACS and recording the
    job done: the job is run again."""

    died = False

    def complete(self, claim, *args, **kwargs):
        if not self.died:
            self.died = True
            raise RuntimeError("the worker died after pushing")
        super().complete(claim, *args, **kwargs)


def test_a_job_run_again_after_its_push_sends_the_same_seg_and_sr(orthanc, small_phantom_files, tmp_path):
    orthanc.start()
    study_uid = _study_into(orthanc.url, small_phantom_files.dicom)
    library = StudyLibrary(tmp_path / "studies")
    library.root.mkdir()
    queue = _DiesAfterPushing(open_database(default_url(library.root)))
    study_id = submit_pacs_study(library, queue, study_uid, AnalysisOptions(radiomics=False, lirads=False))
    pacs = Pacs(orthanc.url)
    worker = Worker(library, queue, pacs=pacs)
    deadline = time.monotonic() + 600
    while queue.jobs(study_id)[0].state not in ("done", "failed"):
        assert time.monotonic() < deadline
        worker.run_one() or time.sleep(0.5)
    (job,) = queue.jobs(study_id)
    assert job.state == "done", job.error
    assert queue.died and job.attempts == 2
    assert _modalities(pacs, study_uid) == ["CT"] * 4 + ["SEG", "SR"]  # pushed twice, stored once
    for series in pacs.series_of(study_uid):
        if series["00080060"]["Value"][0] in ("SEG", "SR"):
            assert len(pacs.client.search_for_instances(study_uid, series["0020000E"]["Value"][0])) == 1
