"""Workers that run the queued analyses: in threads of ``hepatica serve`` (by default one) or as separate ``hepatica
worker`` processes on the same database and data folder, as many as the machine allows.

A worker claims a job (`hepatica.store.queue`), reads its options back through `AnalysisOptions` (an option it does
not know fails the job with a message naming it), keeps its lease alive from a heartbeat thread while
``hepatica.pipeline.analyze`` writes into a private ``.attempt-<token>`` folder of the study, then, still holding
the lease, moves the outputs into the study folder (``result.json`` last, so a reader sees the old analysis or the
whole new one) and marks the job done. A worker that dies leaves only its attempt folder; the job's lease runs out
and another worker runs it again, first removing the attempt folders left behind. A database that does not answer
when the analysis ends is waited for (the analysis is kept, and completed if no other worker took the job
meanwhile). Progress goes to the study's ``status.json`` for the pages.

After a successful analysis the upload's raw ``input/`` (and its masks) are deleted unless the worker keeps input
(``--keep-input``): they carry the patient's identifiers and are not needed again. An analysis that runs past
``time_limit_s`` is stopped at its next step and the job failed with the reason (the check is made between steps; a
single step is not interrupted). Messages a client sees name files relative to the upload, never by their path on
the server.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import traceback
from pathlib import Path

from sqlalchemy.exc import OperationalError

from hepatica.errors import BackendUnavailableError, HepaticaInputError
from hepatica.result import StudyResult
from hepatica.serve.library import INPUT_FOLDER, RESULT_FILE, StudyLibrary, StudyStatus, utc_now
from hepatica.serve.pacs import Pacs, PacsUnavailableError
from hepatica.serve.uploads import MASK_FOLDER, analysis_root
from hepatica.store.queue import Claim, JobQueue, LeaseLostError

log = logging.getLogger("hepatica.serve")
#: The longest one analysis may run by default (s): a large multiphase study takes a few minutes on 2 cores.
DEFAULT_TIME_LIMIT_S = 1800.0


class TimeLimitError(Exception):
    """An analysis ran past the worker's time limit."""


class Worker:
    """Claims and runs jobs of ``queue`` for the studies of ``library``, each with the options stored in its job."""

    def __init__(
        self,
        library: StudyLibrary,
        queue: JobQueue,
        name: str | None = None,
        pacs: Pacs | None = None,
        pacs_retry_seconds: float = 30.0,
        database_patience_s: float = 600.0,
        keep_input: bool = False,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    ) -> None:
        self.library = library
        self.keep_input = keep_input
        self.time_limit_s = time_limit_s
        self.queue = queue
        self.pacs = pacs
        self.pacs_retry_seconds = pacs_retry_seconds
        self.database_patience_s = database_patience_s
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def run_one(self) -> bool:
        """Claim and run one job; False when none was waiting."""
        claim = self.queue.claim(self.name)
        if claim is None:
            return False
        self._run(claim)
        return True

    def run_until(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Run jobs until ``stop`` is set, polling the queue when it is empty."""
        while not stop.is_set():
            try:
                ran = self.run_one()
            except Exception:  # noqa: BLE001 - the database is away (restarting?): wait and claim again
                log.warning("claiming a job failed; retrying:\n%s", traceback.format_exc())
                ran = False
            if not ran:
                stop.wait(poll_seconds)

    def _run(self, claim: Claim) -> None:
        from hepatica.pipeline import analyze

        folder = self.library.root / claim.study_id
        attempt = folder / f".attempt-{claim.token}"
        lost = threading.Event()
        beating = threading.Event()
        heart = threading.Thread(
            target=self._beat, args=(claim, lost, beating), daemon=True, name=f"hepatica-heartbeat-{claim.job_id}"
        )
        heart.start()
        status = self._status(claim)
        _remove_stale_attempts(folder, keep=attempt)
        deadline = time.monotonic() + self.time_limit_s

        def progress(step: str, number: int, total: int) -> None:
            if lost.is_set():
                raise LeaseLostError(f"job {claim.job_id} was taken over by another worker")
            if time.monotonic() > deadline:
                raise TimeLimitError(
                    f"the analysis ran past the time limit of {self.time_limit_s:g} s and was stopped before '{step}'"
                )
            self.library.write_status(
                claim.study_id,
                status.model_copy(update={"state": "running", "step": step, "number": number, "total": total}),
            )

        study_uid = claim.pacs_study_uid
        try:
            options = claim.analysis_options()
            if study_uid is not None:
                self._pull(study_uid, folder / INPUT_FOLDER, progress)
            inputs = analysis_root(folder / INPUT_FOLDER)
            analyze(
                inputs,
                attempt,
                options,
                liver_mask=_user_mask(folder, "liver"),
                lesion_mask=_user_mask(folder, "lesions"),
                progress=progress,
                command="serve pacs" if study_uid else "serve upload",
                uid_seed=f"{claim.study_id}/job-{claim.job_id}",
            )
            self._patiently(lambda: self.queue.heartbeat(claim), claim, status)  # still ours: push back, publish
            if study_uid is not None:
                progress("Sending the SEG and SR to the PACS", 7, 7)
                self._require_pacs().push(_pacs_objects(attempt))
            _publish(attempt, folder)
            published = folder / RESULT_FILE
            result, mtime = StudyResult.read_json(published), published.stat().st_mtime_ns
            self._patiently(lambda: self.queue.complete(claim, result, mtime), claim, status)
            self._finish(claim, status)
            if not self.keep_input:
                for raw in (INPUT_FOLDER, MASK_FOLDER):
                    shutil.rmtree(folder / raw, ignore_errors=True)
        except PacsUnavailableError as error:
            log.warning("job %s: %s", claim.job_id, error)
            self.queue.retry_later(claim, str(error), delay_seconds=self.pacs_retry_seconds)
            self._finish(claim, status, str(error), final=claim.last_attempt)
        except LeaseLostError:
            log.warning("job %s: lease lost; another worker runs it", claim.job_id)
        except (HepaticaInputError, BackendUnavailableError, TimeLimitError) as error:
            message = client_message(error, folder)
            self.queue.fail(claim, message)
            self._finish(claim, status, message)
        except Exception as error:  # noqa: BLE001 - never a lost job: retried, then failed with the reason
            log.error("job %s failed:\n%s", claim.job_id, traceback.format_exc())
            message = f"internal error ({type(error).__name__}); see the server log"
            self.queue.retry_later(claim, message, delay_seconds=5.0)
            self._finish(claim, status, message, final=claim.last_attempt)
        finally:
            beating.set()
            heart.join(timeout=5)
            shutil.rmtree(attempt, ignore_errors=True)

    def _patiently(self, action, claim: Claim, status: StudyStatus) -> None:
        """Run the queue ``action``; while the database does not answer (restarting?), say so in the study's status
        and try again, for up to ``database_patience_s``, so that an outage does not cost the analysis just made.
        The lease token still decides: if another worker took the job meanwhile, LeaseLostError."""
        deadline = time.monotonic() + self.database_patience_s
        while True:
            try:
                return action()
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                log.warning("job %s: the database does not answer; trying again", claim.job_id)
                self.library.write_status(
                    claim.study_id,
                    status.model_copy(
                        update={"state": "running", "step": "Analysed; waiting for the job database to answer"}
                    ),
                )
                time.sleep(2.0)

    def _require_pacs(self) -> Pacs:
        if self.pacs is None:
            raise HepaticaInputError(
                "this job names a PACS study but the worker has no PACS (start it with --pacs URL)"
            )
        return self.pacs

    def _pull(self, study_uid: str, inputs: Path, progress) -> None:
        """The study's instances from the PACS into ``inputs`` (again on a retry: files are replaced)."""
        progress("Retrieving the study from the PACS", 0, 7)
        self._require_pacs().pull_study(study_uid, inputs)

    def _beat(self, claim: Claim, lost: threading.Event, done: threading.Event) -> None:
        interval = self.queue.lease.total_seconds() / 3
        while not done.wait(interval):
            try:
                self.queue.heartbeat(claim)
            except LeaseLostError:
                lost.set()
                return
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next beat
                log.warning("job %s: heartbeat failed; retrying", claim.job_id)

    def _status(self, claim: Claim) -> StudyStatus:
        try:
            status = self.library.status(claim.study_id)
        except LookupError:
            status = StudyStatus(state="queued", submitted_utc=utc_now(), options=claim.options)
        return status.model_copy(update={"state": "running", "error": None, "finished_utc": None})

    def _finish(self, claim: Claim, status: StudyStatus, error: str | None = None, final: bool = True) -> None:
        state = ("failed" if final else "queued") if error else "done"
        self.library.write_status(
            claim.study_id,
            status.model_copy(
                update={
                    "state": state,
                    "error": error,
                    "step": {"done": "Done", "failed": "Failed"}.get(state, "Waiting to retry"),
                    "finished_utc": utc_now() if state != "queued" else None,
                }
            ),
        )


def client_message(error: Exception, folder: Path) -> str:
    """The error's message with the study folder's server paths taken out: files of the upload by their path
    inside it, the study folder as 'the study folder'."""
    message = str(error)
    for root, name in ((folder / INPUT_FOLDER, ""), (folder, "the study folder")):
        for spelling in {str(root), str(root.resolve())}:
            message = message.replace(spelling + os.sep, name).replace(spelling, name or "the upload")
    return message


def _remove_stale_attempts(folder: Path, keep: Path) -> None:
    """Attempt folders of earlier runs of the job (a worker that died): their outputs are never published."""
    for stale in folder.glob(".attempt-*"):
        if stale != keep and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _user_mask(folder: Path, kind: str) -> Path | None:
    """The mask of ``kind`` ('liver' or 'lesions') that came with an upload (`hepatica.serve.uploads.MASK_FOLDER`)."""
    found = sorted((folder / MASK_FOLDER).glob(f"{kind}.*")) if (folder / MASK_FOLDER).is_dir() else []
    return found[0] if found else None


def _pacs_objects(attempt: Path) -> list[Path]:
    """The DICOM SEG and SR an analysis wrote."""
    import json

    files = json.loads((attempt / RESULT_FILE).read_text())["segmentation"]["files"]
    return [attempt / files[key] for key in ("dicom_seg", "dicom_sr") if key in files]


def _publish(attempt: Path, folder: Path) -> None:
    """Move the attempt's outputs into the study folder, replacing older ones, ``result.json`` last."""
    entries = sorted(attempt.iterdir(), key=lambda p: p.name == RESULT_FILE)
    for entry in entries:
        target = folder / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(entry, target)
