"""Faults in the middle of an analysis: a worker killed, or the database gone. The job's lease runs out, the job is
run again, and the study ends with one complete result, no leftovers, and the job done once (attempt 2)."""

import json
import shutil
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hepatica.options import AnalysisOptions
from hepatica.serve.library import INPUT_FOLDER, RESULT_FILE, STATUS_FILE, StudyLibrary
from hepatica.serve.submit import queue_analysis
from hepatica.serve.worker import Worker
from hepatica.store.database import Result, default_url, open_database
from hepatica.store.queue import JobQueue
from hepatica.store.results import study_row


def _worker(data, lease="3"):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hepatica",
            "worker",
            "--data",
            str(data),
            "--once",
            "--lease-seconds",
            lease,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_killing_a_worker_mid_job_loses_nothing_and_the_job_completes_once(small_phantom_files, tmp_path):
    data = tmp_path / "studies"
    shutil.copytree(small_phantom_files.dicom, data / "study1" / INPUT_FOLDER)
    queue = JobQueue(open_database(default_url(data)))
    job_id = queue.submit("study1", AnalysisOptions(lirads=False, radiomics=False))

    first = _worker(data)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status_file = data / "study1" / STATUS_FILE
        if status_file.is_file() and json.loads(status_file.read_text()).get("number", 0) >= 2:
            break
        assert first.poll() is None, first.stdout.read()
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    (job,) = queue.jobs("study1")
    assert job.state == "running" and job.attempts == 1
    assert not (data / "study1" / RESULT_FILE).exists()

    time.sleep(3.5)  # the dead worker's lease runs out
    second = _worker(data)
    output, _ = second.communicate(timeout=600)
    assert second.returncode == 0, output
    (job,) = queue.jobs("study1")
    assert job.id == job_id and job.state == "done" and job.attempts == 2 and job.error is None
    result = json.loads((data / "study1" / RESULT_FILE).read_text())
    assert result["segmentation"]["liver_volume_ml"] > 0
    assert (data / "study1" / result["segmentation"]["files"]["dicom_seg"]).is_file()
    assert json.loads((data / "study1" / STATUS_FILE).read_text())["state"] == "done"
    assert not list((data / "study1").glob(".attempt-*"))


def test_the_database_going_away_mid_analysis_loses_nothing_and_duplicates_nothing(
    small_phantom_files, tmp_path, postgres_cluster, postgres_url
):
    """PostgreSQL stopped while a real worker analyses and kept down until the analysis has ended (heartbeats fail,
    then completing it does): the worker keeps its analysis and says it waits for the database; started again, the
    job completes, once, at its first attempt, with one published result and one result row."""
    library = StudyLibrary(tmp_path / "studies")
    shutil.copytree(small_phantom_files.dicom, library.root / "study1" / INPUT_FOLDER)
    queue = JobQueue(open_database(postgres_url), lease_seconds=4)
    job_id = queue_analysis(library, queue, "study1", AnalysisOptions(lirads=False, radiomics=False))
    stop = threading.Event()
    worker = threading.Thread(target=Worker(library, queue).run_until, args=(stop, 0.5))
    worker.start()
    try:
        _wait_for(lambda: library.status("study1").number >= 2)  # segmenting
        postgres_cluster.stop()
        try:
            _wait_for(lambda: "waiting for the job database" in library.status("study1").step)
            assert not (library.root / "study1" / RESULT_FILE).exists()  # not published while the lease is unsure
            time.sleep(5)  # past the lease: no other worker is there to take the job over
        finally:
            postgres_cluster.start()
        _wait_for(lambda: queue.jobs("study1")[0].state == "done")
    finally:
        stop.set()
        worker.join(timeout=120)
    (job,) = queue.jobs("study1")
    assert job.id == job_id and job.attempts == 1 and job.error is None
    assert json.loads((library.root / "study1" / RESULT_FILE).read_text())["segmentation"]["lesion_count"] >= 1
    assert study_row(queue.engine, "study1").result.job_id == job_id
    with Session(queue.engine) as session:
        assert session.scalar(select(func.count()).select_from(Result)) == 1
    assert library.status("study1").state == "done"
    assert not list((library.root / "study1").glob(".attempt-*"))


def _wait_for(condition, timeout_s=300.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
