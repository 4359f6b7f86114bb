"""Analyse each new study Orthanc receives: read Orthanc's change log (REST ``/changes``) and queue every study that
became stable (``StableStudy``: no new instance for Orthanc's ``StableAge`` seconds) as a PACS job, which pulls it
over DICOMweb, analyses it and pushes the SEG and SR back like any PACS job.

DICOMweb has no change feed, so this part speaks Orthanc's own REST API. The position in the change log is kept in
the database (``watch_positions``), so a restarted watcher goes on where it stopped; a first start begins at the
end of the log (studies already in Orthanc are not analysed). A study is analysed once: when it becomes stable again
(our SEG and SR arrive, or a series is added) it is skipped if any job already names it; studies with no CT or MR
series (only SEG, SR, ...) are skipped. Run one watcher per Orthanc (``hepatica serve --watch-orthanc``).
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import requests
from sqlalchemy.orm import Session

from hepatica.options import AnalysisOptions
from hepatica.serve.library import StudyLibrary
from hepatica.serve.pacs import PacsUnavailableError
from hepatica.serve.submit import submit_pacs_study
from hepatica.store.database import WatchPosition, utc_now
from hepatica.store.queue import JobQueue

log = logging.getLogger("hepatica.serve")
ANALYSED_MODALITIES = ("CT", "MR")


class OrthancWatcher:
    """Queues the new stable studies of the Orthanc whose REST root is ``url`` (e.g. ``http://127.0.0.1:8042``;
    credentials may be given in the URL), each to be analysed with ``options``."""

    def __init__(
        self,
        url: str,
        library: StudyLibrary,
        queue: JobQueue,
        options: AnalysisOptions | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.source = f"orthanc:{parts.hostname}:{parts.port or 80}{parts.path}"  # no credentials in the database
        self.library, self.queue, self.options = library, queue, options or AnalysisOptions()
        self.session = requests.Session()
        self.timeout_s = timeout_s

    def poll(self) -> list[str]:
        """Read the change log from the kept position to its end; the ids of the studies queued."""
        position = self._position()
        if position is None:  # first start: from now on
            position = int(self._get("/changes", {"last": ""})["Last"])
            self._save(position)
        queued = []
        while True:
            page = self._get("/changes", {"since": position, "limit": 100})
            for change in page["Changes"]:
                if change["ChangeType"] == "StableStudy":
                    study_id = self._consider(change["ID"])
                    if study_id is not None:
                        queued.append(study_id)
            if int(page["Last"]) != position:
                position = int(page["Last"])
                self._save(position)
            if page.get("Done", True) or not page["Changes"]:
                return queued

    def run_until(self, stop: threading.Event, poll_seconds: float = 10.0) -> None:
        """Poll until ``stop`` is set; an unreachable Orthanc or database is retried at the next poll."""
        while not stop.is_set():
            try:
                self.poll()
            except PacsUnavailableError as error:
                log.warning("%s", error)
            except Exception:  # noqa: BLE001 - the database is away (restarting?): try again at the next poll
                log.exception("reading Orthanc's changes failed; retrying")
            stop.wait(poll_seconds)

    def _consider(self, orthanc_id: str) -> str | None:
        """Queue the Orthanc study ``orthanc_id`` if it is new and has CT or MR series; its study id, else None."""
        study = self._get(f"/studies/{orthanc_id}")
        study_uid = (study or {}).get("MainDicomTags", {}).get("StudyInstanceUID")
        if not study_uid or self.queue.has_pacs_study(study_uid):
            return None  # deleted meanwhile, or analysed already
        modalities = {
            series.get("MainDicomTags", {}).get("Modality")
            for series in self._get(f"/studies/{orthanc_id}/series") or []
        }
        if not modalities & set(ANALYSED_MODALITIES):
            log.info("Orthanc study %s has no CT or MR series; not analysed", orthanc_id)
            return None
        study_id = submit_pacs_study(self.library, self.queue, study_uid, self.options)
        log.info("new Orthanc study %s queued as %s", orthanc_id, study_id)  # Orthanc's id is a hash, no PHI
        return study_id

    def _get(self, path: str, params: dict | None = None):
        """The JSON answer; None for 404 (a study deleted since the change)."""
        try:
            response = self.session.get(self.url + path, params=params, timeout=self.timeout_s)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise PacsUnavailableError(
                f"Orthanc at {self._safe_url()} is not reachable; watching again at the next poll"
            ) from error
        if response.status_code == 404 and path != "/changes":
            return None
        if response.status_code >= 400:
            raise PacsUnavailableError(
                f"Orthanc at {self._safe_url()} answered {response.status_code} to GET "
                f"{path}; is this its REST root (not the DICOMweb one)?"
            )
        return response.json()

    def _safe_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 80}{parts.path}"

    def _position(self) -> int | None:
        with Session(self.queue.engine) as session:
            row = session.get(WatchPosition, self.source)
            return None if row is None else row.last_change

    def _save(self, position: int) -> None:
        with Session(self.queue.engine) as session, session.begin():
            row = session.get(WatchPosition, self.source)
            if row is None:
                session.add(WatchPosition(source=self.source, last_change=position, updated=utc_now()))
            else:
                row.last_change, row.updated = position, utc_now()
