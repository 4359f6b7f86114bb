"""A worker killed in the middle of an analysis: its lease runs out, a second worker runs the job, and the study
ends with one complete result, no leftovers, and the job done once (attempt 2)."""

import json
import shutil
import signal
import subprocess
import sys
import time

from hepatica.serve.database import default_url, open_database
from hepatica.serve.library import INPUT_FOLDER, RESULT_FILE, STATUS_FILE
from hepatica.serve.queue import JobQueue


def _worker(data, lease="3"):
    return subprocess.Popen([sys.executable, "-m", "hepatica", "worker", "--data", str(data), "--once",
                             "--lease-seconds", lease, "--no-radiomics"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_killing_a_worker_mid_job_loses_nothing_and_the_job_completes_once(small_phantom_files, tmp_path):
    data = tmp_path / "studies"
    shutil.copytree(small_phantom_files.dicom, data / "study1" / INPUT_FOLDER)
    queue = JobQueue(open_database(default_url(data)))
    job_id = queue.submit("study1", {"lirads": False})

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
