"""The folder of studies that ``hepatica serve`` shows: one sub-folder per study, holding an analysis written by
``hepatica analyze`` (``result.json`` and the files it names) and, for uploads, ``input/`` and ``status.json``.
`open_library` also takes one analysis folder itself (``hepatica serve --data hepatica-demo``): the library then
holds that one study and takes no uploads.

Study ids are folder names of letters, digits, '.', '_' and '-' only; every file a request names is resolved inside
its study folder and must be one the result lists (or the report), so no request reaches any other file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from hepatica.io.atomic import write_text_atomic
from hepatica.result import StudyResult

STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
RESULT_FILE, STATUS_FILE, INPUT_FOLDER = "result.json", "status.json", "input"

State = Literal["queued", "running", "done", "failed"]


class StudyStatus(BaseModel):
    """Where a study's analysis stands: state, the current step (number of total) and, on failure, why."""

    state: State
    step: str = ""
    number: int = 0
    total: int = 0
    error: str | None = None
    submitted_utc: str | None = None
    finished_utc: str | None = None
    options: dict = Field(default_factory=dict, description="Analysis options given with the upload.")


class UnknownStudyError(LookupError):
    """No study of that id (or a file the study does not have)."""


class UnreadableResultError(ValueError):
    """A study's result.json exists but cannot be read (damaged, or written by an incompatible version)."""


#: What a study with an unreadable result.json still serves: the files that do not depend on it.
FIXED_FILES = ("report.html", "report.pdf")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def is_analysis_folder(folder: Path) -> bool:
    """Whether ``folder`` is itself an analysis (``hepatica analyze --out FOLDER``), not a folder of them."""
    return (Path(folder) / RESULT_FILE).is_file()


def open_library(data_dir: Path | str) -> StudyLibrary:
    """The studies of ``data_dir``: its sub-folders, or ``data_dir`` alone when it is one analysis."""
    data_dir = Path(data_dir)
    if is_analysis_folder(data_dir):
        return StudyLibrary(data_dir.resolve().parent, single=data_dir.resolve())
    return StudyLibrary(data_dir)


@dataclass(frozen=True)
class StudyLibrary:
    """The studies under ``root``; with ``single``, only that analysis folder (its id: its name, made safe)."""

    root: Path
    single: Path | None = None

    @property
    def single_id(self) -> str | None:
        if self.single is None:
            return None
        return re.sub(r"[^A-Za-z0-9._-]", "-", self.single.name).lstrip("._-")[:100] or "study"

    def folder(self, study_id: str) -> Path:
        """The study's folder; UnknownStudyError for an invalid id or a folder that does not exist."""
        if not STUDY_ID.match(study_id):
            raise UnknownStudyError(f"no study {study_id!r}")
        if self.single is not None:
            if study_id != self.single_id:
                raise UnknownStudyError(f"no study {study_id!r}")
            return self.single
        folder = self.root / study_id
        if not folder.is_dir():
            raise UnknownStudyError(f"no study {study_id!r}")
        return folder

    def study_ids(self) -> list[str]:
        """Ids of the folders holding a result or a status, newest first."""
        if self.single is not None:
            return [self.single_id] if is_analysis_folder(self.single) else []
        if not self.root.is_dir():
            return []
        found = [
            p
            for p in self.root.iterdir()
            if p.is_dir() and STUDY_ID.match(p.name) and ((p / RESULT_FILE).is_file() or (p / STATUS_FILE).is_file())
        ]
        return [p.name for p in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)]

    def status(self, study_id: str) -> StudyStatus:
        """The recorded status; a folder with a result and no status is a finished analysis."""
        folder = self.folder(study_id)
        if (folder / STATUS_FILE).is_file():
            try:
                return StudyStatus.model_validate_json((folder / STATUS_FILE).read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as error:
                return StudyStatus(
                    state="failed", error=f"the study's status.json is unreadable ({type(error).__name__})"
                )
        if (folder / RESULT_FILE).is_file():
            return StudyStatus(state="done")
        raise UnknownStudyError(f"no study {study_id!r}")

    def write_status(self, study_id: str, status: StudyStatus) -> None:
        write_text_atomic(self.root / study_id / STATUS_FILE, status.model_dump_json(indent=2) + "\n")

    @property
    def takes_uploads(self) -> bool:
        """False when serving one analysis folder: new studies need a folder of studies to go into."""
        return self.single is None

    def result(self, study_id: str) -> StudyResult:
        """The study's result; UnknownStudyError while there is none."""
        path = self.folder(study_id) / RESULT_FILE
        if not path.is_file():
            raise UnknownStudyError(f"study {study_id!r} has no result yet")
        try:
            return StudyResult.read_json(path)
        except (ValueError, UnicodeDecodeError) as error:  # pydantic's ValidationError is a ValueError
            raise UnreadableResultError(
                f"the result of study {study_id!r} is unreadable ({type(error).__name__}): result.json is damaged "
                "or was written by another version; analyse the study again"
            ) from error

    def served_files(self, study_id: str) -> set[str]:
        """Paths (relative to the study folder) that may be downloaded: the result, the reports and every file
        the result names."""
        try:
            result = self.result(study_id)
        except UnreadableResultError:
            return set(FIXED_FILES)
        files = {RESULT_FILE, *FIXED_FILES}
        files |= {k.file for k in result.key_images} | {v.file for v in result.viewer_volumes}
        if result.segmentation:
            files |= set(result.segmentation.files.values())
        if result.radiomics:
            files |= set(result.radiomics.files.values())
        return files

    def file(self, study_id: str, relative: str) -> Path:
        """A downloadable file of the study; UnknownStudyError for anything else."""
        folder = self.folder(study_id)
        if relative not in self.served_files(study_id):
            raise UnknownStudyError(f"study {study_id!r} has no file {relative!r}")
        path = (folder / relative).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise UnknownStudyError(f"study {study_id!r} has no file {relative!r}")
        return path
