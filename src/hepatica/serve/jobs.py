"""Analyses started by uploads, run one at a time in a background thread; each writes its progress to the
study's ``status.json`` as it goes, so the page (and a restarted server) can follow it.

A study left queued or running by a server that stopped is queued again when the next server starts (the upload
is kept in the study's ``input/`` folder). (The service with a database and worker processes is issue 8's.)
"""

from __future__ import annotations

import logging
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hepatica.errors import BackendUnavailableError, HepaticaInputError
from hepatica.serve.library import INPUT_FOLDER, StudyLibrary, StudyStatus, UnknownStudyError, utc_now
from hepatica.serve.uploads import analysis_root

log = logging.getLogger("hepatica.serve")


class AnalysisQueue:
    """Runs ``hepatica.pipeline.analyze`` on uploaded studies, one after the other."""

    def __init__(self, library: StudyLibrary, analysis_options: dict | None = None) -> None:
        self.library = library
        self.options = dict(analysis_options or {})
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hepatica-analysis")

    def submit(self, study_id: str, input_folder: Path, options: dict | None = None) -> Future:
        """Queue the analysis of ``input_folder`` into the study's folder; ``options`` for this study (e.g.
        ``high_risk``) are added to the queue's and kept in its status."""
        status = StudyStatus(state="queued", step="Waiting for the analyses before it", submitted_utc=utc_now(),
                             options=dict(options or {}))
        self.library.write_status(study_id, status)
        return self._pool.submit(self._run, study_id, input_folder, status)

    def resume_interrupted(self) -> list[str]:
        """Queue again the studies that a stopped server left queued or running; their ids."""
        resumed = []
        for study_id in self.library.study_ids():
            try:
                status = self.library.status(study_id)
            except UnknownStudyError:
                continue
            inputs = self.library.root / study_id / INPUT_FOLDER
            if status.state in ("queued", "running") and inputs.is_dir():
                self.submit(study_id, analysis_root(inputs), status.options)
                resumed.append(study_id)
        return resumed

    def shutdown(self, wait: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def _run(self, study_id: str, input_folder: Path, queued: StudyStatus) -> None:
        from hepatica.pipeline import analyze

        def progress(step: str, number: int, total: int) -> None:
            self.library.write_status(study_id, queued.model_copy(update={"state": "running", "step": step,
                                                                          "number": number, "total": total}))

        folder = self.library.root / study_id
        try:
            analyze(input_folder, folder, progress=progress, command="serve upload",
                    **{**self.options, **queued.options})
        except (HepaticaInputError, BackendUnavailableError) as error:
            self._finish(study_id, error=str(error))
            return
        except Exception as error:  # noqa: BLE001 - any failure must end in a failed status, never a lost job
            log.error("analysis of study %s failed:\n%s", study_id, traceback.format_exc())
            self._finish(study_id, error=f"internal error ({type(error).__name__}); see the server log")
            return
        self._finish(study_id)

    def _finish(self, study_id: str, error: str | None = None) -> None:
        status = self.library.status(study_id)
        self.library.write_status(study_id, status.model_copy(update={
            "state": "failed" if error else "done", "error": error, "step": "Failed" if error else "Done",
            "finished_utc": utc_now()}))

