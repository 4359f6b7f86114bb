"""A PACS over DICOMweb (e.g. Orthanc with its DICOMweb plugin), through ``dicomweb-client``: pull a study's
instances (WADO-RS) into a folder, push the SEG and SR an analysis wrote back (STOW-RS). A PACS that does not
answer raises `PacsUnavailableError`, which the worker treats as passing: the job is retried later."""

from __future__ import annotations

from pathlib import Path

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient

from hepatica.errors import HepaticaError, HepaticaInputError
from hepatica.io.atomic import atomic_path


class PacsUnavailableError(HepaticaError):
    """The PACS could not be reached or failed on its side (5xx): try again later."""


class Pacs:
    """The DICOMweb service at ``url`` (its root, e.g. ``http://127.0.0.1:8042/dicom-web``)."""

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        self.url = url.rstrip("/")
        session = requests.Session()
        session.request = _with_timeout(session.request, timeout_s)
        self.client = DICOMwebClient(self.url, session=session)

    def pull_study(self, study_uid: str, folder: Path) -> int:
        """Write every instance of the study to ``folder/<series uid>/<sop uid>.dcm``; the number written."""
        instances = self._call(lambda: self.client.retrieve_study(study_uid), f"retrieving study {study_uid}")
        if not instances:
            raise HepaticaInputError(f"the PACS at {self.url} has no study {study_uid}")
        for dataset in instances:
            target = Path(folder) / str(dataset.SeriesInstanceUID) / f"{dataset.SOPInstanceUID}.dcm"
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                dataset.save_as(tmp, enforce_file_format=True)
        return len(instances)

    def push(self, paths: list[Path]) -> None:
        """Store the DICOM files ``paths`` in the PACS."""
        datasets = [pydicom.dcmread(path) for path in paths]
        self._call(lambda: self.client.store_instances(datasets), f"storing {len(datasets)} instances")

    def series_of(self, study_uid: str) -> list[dict]:
        """QIDO-RS series of a study (DICOM JSON)."""
        return self._call(lambda: self.client.search_for_series(study_uid), f"searching study {study_uid}")

    def _call(self, action, what: str):
        try:
            return action()
        except (requests.ConnectionError, requests.Timeout) as error:
            raise PacsUnavailableError(
                f"the PACS at {self.url} is not reachable ({what}); the job will be retried"
            ) from error
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if status == 404:
                raise HepaticaInputError(
                    f"the PACS at {self.url} has no such study ({what}); check the Study Instance UID"
                ) from error
            if status >= 500 or status in (408, 429, 503):
                raise PacsUnavailableError(
                    f"the PACS at {self.url} failed ({status}, {what}); the job will be retried"
                ) from error
            raise HepaticaInputError(f"the PACS at {self.url} refused the request ({status}, {what})") from error


def _with_timeout(request, timeout_s: float):
    def call(method, url, **kwargs):
        kwargs.setdefault("timeout", timeout_s)
        return request(method, url, **kwargs)

    return call
