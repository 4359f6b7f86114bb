"""A study: the image series of one examination, each with its contrast phase, in one physical frame.

``load_study`` accepts a DICOM folder (one or several series; a multi-phase study), a folder of image files,
or image files given one per phase (``{"arterial": "a.nii.gz", ...}`` or a list of paths whose names say the
phase). Phases are detected from the DICOM headers (see `phase`) and can be overridden per series.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hepatica.errors import HepaticaInputError, NoImageDataError, PhaseError
from hepatica.io.dicom import SkippedFile, describe_series, load_dicom_series, scan_dicom_folder
from hepatica.io.files import is_image_file, read_image
from hepatica.io.phase import Phase, PhaseEstimate, estimate_phases, parse_phase, phase_from_text
from hepatica.io.values import replace_non_finite
from hepatica.io.volume import Volume


@dataclass
class StudySeries:
    """One image series of a study: its volume, a short id ('S1', 'S2', ...), and its phase."""

    id: str
    volume: Volume
    phase: PhaseEstimate
    name: str  # identifier-free description for messages and reports
    input_id: str  # the series UID, or the file's SHA-256 for image files


@dataclass
class Study:
    """The series of one examination. ``by_phase`` holds the series chosen for each known phase."""

    series: list[StudySeries]
    source: str  # "dicom" or "files"
    skipped: list[SkippedFile] = field(default_factory=list)
    segmentations: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def by_phase(self) -> dict[Phase, StudySeries]:
        """One series per known phase: where several share a phase, the one with the most slices."""
        chosen: dict[Phase, StudySeries] = {}
        for s in self.series:
            if s.phase.phase is Phase.UNKNOWN:
                continue
            best = chosen.get(s.phase.phase)
            if best is None or s.volume.array.shape[0] > best.volume.array.shape[0]:
                chosen[s.phase.phase] = s
        return dict(sorted(chosen.items(), key=lambda kv: list(Phase).index(kv[0])))

    @property
    def shown_series(self) -> list[StudySeries]:
        """What the report and the viewer show: the series of each known phase in phase order, then every series
        of unknown phase."""
        return list(self.by_phase.values()) + [s for s in self.series if s.phase.phase is Phase.UNKNOWN]

    @property
    def study_uid(self) -> str | None:
        uids = {s.volume.metadata.get("study_uid") for s in self.series} - {None}
        return next(iter(uids)) if len(uids) == 1 else None

    def missing_phases(self) -> list[Phase]:
        """Phases of a full multiphase liver protocol that the study lacks."""
        have = self.by_phase
        return [p for p in (Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED) if p not in have]


StudyInput = str | Path | Sequence[str | Path] | Mapping[str, str | Path]


def load_study(inputs: StudyInput, phases: Mapping[str, str] | None = None) -> Study:
    """Read a study from a DICOM folder, a folder of image files, or image files (one per phase).

    Parameters
    ----------
    inputs : a folder; a list of image files; or a mapping phase name -> image file.
    phases : overrides, series selector -> phase name. A selector is a series number ('3'), a
        SeriesInstanceUID, a SeriesDescription, a file name, or a study series id ('S2').
    """
    overrides = {str(k): parse_phase(v) for k, v in (phases or {}).items()}
    if isinstance(inputs, Mapping):
        files = [(Path(p), parse_phase(name)) for name, p in inputs.items()]
        study = _load_files(files)
    else:
        paths = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
        if not paths:
            raise NoImageDataError("No input given: name a DICOM folder or one image file per phase.")
        if len(paths) == 1 and paths[0].is_dir():
            folder = paths[0]
            images = sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p))
            study = _load_files([(p, None) for p in images]) if images else _load_dicom(folder)
        else:
            for p in paths:
                if p.is_dir():
                    raise HepaticaInputError(f"{p}: give either one DICOM folder or image files, not both.")
            study = _load_files([(p, None) for p in paths])
    _apply_overrides(study, overrides)
    _check_phases(study)
    _set_aside_non_finite(study)
    return study


def _set_aside_non_finite(study: Study) -> None:
    """Replace each series' NaN and infinite voxels (`hepatica.io.values`), with a study warning saying where."""
    for s in study.series:
        s.volume, warning = replace_non_finite(s.volume, f"Series {s.id} ({s.name})")
        if warning:
            study.warnings.append(warning)


def _load_dicom(folder: Path) -> Study:
    scan = scan_dicom_folder(folder)
    estimates = estimate_phases([s.phase_clues() for s in scan.series])
    series = []
    for n, (dicom_series, estimate) in enumerate(zip(scan.series, estimates, strict=True), start=1):
        volume = load_dicom_series(dicom_series)
        series.append(
            StudySeries(
                id=f"S{n}",
                volume=volume,
                phase=estimate,
                name=describe_series(dicom_series),
                input_id=dicom_series.uid or f"sha256:{_hash_files(dicom_series.files)}",
            )
        )
    study = Study(series=series, source="dicom", skipped=scan.skipped, segmentations=scan.segmentations)
    uids = {s.volume.metadata.get("study_uid") for s in series} - {None}
    if len(uids) > 1:
        study.warnings.append(
            f"The folder holds {len(uids)} different studies (StudyInstanceUID); they are analysed together as one."
        )
    return study


def _load_files(files: list[tuple[Path, Phase | None]]) -> Study:
    if not files:
        raise NoImageDataError("No image files given.")
    series = []
    for n, (path, phase) in enumerate(files, start=1):
        volume = read_image(path)
        if phase is not None:
            estimate = PhaseEstimate(phase, "user", f"given as the {phase.label.lower()} image", 1.0)
        else:
            estimate = phase_from_text(_stem(path), source="file-name") or PhaseEstimate(
                Phase.UNKNOWN, "none", "no phase given and none in the file name", 0.0
            )
        series.append(
            StudySeries(
                id=f"S{n}", volume=volume, phase=estimate, name=path.name, input_id=f"sha256:{_hash_files([path])}"
            )
        )
    return Study(series=series, source="files")


def _apply_overrides(study: Study, overrides: dict[str, Phase]) -> None:
    for selector, phase in overrides.items():
        matches = [s for s in study.series if selector in _selectors(s)]
        if not matches:
            known = "; ".join(f"{s.id} = {s.name}" for s in study.series)
            raise PhaseError(f"No series matches {selector!r} for the phase override. Series in this study: {known}.")
        for s in matches:
            s.phase = PhaseEstimate(phase, "user", f"set by the user ({selector!r})", 1.0)


def _selectors(s: StudySeries) -> set[str]:
    meta = s.volume.metadata
    values = {s.id, s.name, meta.get("series_uid"), meta.get("series_description"), meta.get("file_name")}
    if meta.get("series_number") is not None:
        values.add(str(meta["series_number"]))
    return {v for v in values if v}


def _check_phases(study: Study) -> None:
    counts: dict[Phase, list[str]] = {}
    for s in study.series:
        counts.setdefault(s.phase.phase, []).append(s.id)
    for phase, ids in counts.items():
        if phase is not Phase.UNKNOWN and len(ids) > 1:
            chosen = study.by_phase[phase].id
            study.warnings.append(
                f"{len(ids)} series ({', '.join(ids)}) are {phase.label.lower()}; {chosen} (most slices) is used "
                "for that phase. Set phases explicitly to choose another."
            )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
