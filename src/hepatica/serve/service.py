"""What every route of the service shares (`Service`): the study library, the job queue, the PACS, the options new
studies are analysed with, the upload limit and the page templates; routes reach it with the `service` dependency."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from jinja2 import Environment, PackageLoader, select_autoescape

from hepatica.options import AnalysisOptions
from hepatica.serve.index import index_folders
from hepatica.serve.library import StudyLibrary, UnknownStudyError
from hepatica.serve.pacs import Pacs
from hepatica.store.queue import JobQueue

#: A result rewritten in place is indexed again within this many seconds of the next list request.
INDEX_SECONDS = 5.0


@dataclass
class Service:
    """The service's parts. ``options`` are the `AnalysisOptions` every study submitted here is analysed with
    (a request may set ``high_risk``)."""

    library: StudyLibrary
    queue: JobQueue
    options: AnalysisOptions
    max_upload_mb: float
    pacs: Pacs | None = None
    pages: Environment = field(
        default_factory=lambda: Environment(
            loader=PackageLoader("hepatica.serve", "templates"), autoescape=select_autoescape(["j2"])
        )
    )
    _indexed_mtime_ns: int | None = None
    _indexed_at: float = float("-inf")
    _index_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    def require_study(self, study_id: str) -> None:
        """HTTP 404 unless the study exists."""
        try:
            self.library.status(study_id)
        except UnknownStudyError as error:
            raise HTTPException(404, str(error)) from error

    def refresh_index(self) -> None:
        """Index analyses written into the data folder by ``hepatica analyze``: at once when a folder was added
        (the data folder's mtime changes), else at most every ``INDEX_SECONDS`` (a result rewritten in place)."""
        folder = self.library.single or self.library.root
        with self._index_lock:
            mtime = folder.stat().st_mtime_ns
            if mtime != self._indexed_mtime_ns or time.monotonic() - self._indexed_at > INDEX_SECONDS:
                # set before the scan, so that a change during it triggers the next one
                self._indexed_mtime_ns, self._indexed_at = mtime, time.monotonic()
                index_folders(self.queue.engine, self.library)


def service(request: Request) -> Service:
    """The dependency that hands a route the application's `Service`."""
    return request.app.state.service
