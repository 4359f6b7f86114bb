"""The ``hepatica`` command line: a thin shell over the Python API (`hepatica.pipeline`, `hepatica.phantom`)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hepatica import __version__
from hepatica.errors import BackendUnavailableError, HepaticaInputError, UnreadableFileError
from hepatica.io.atomic import write_text_atomic
from hepatica.io.phase import parse_phase

console = Console(stderr=True)


@click.group()
@click.version_option(__version__, prog_name="hepatica")
def main() -> None:
    """Hepatica: AI-assisted imaging of liver tumours."""


@main.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (created if needed).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the phantom study.")
@click.option("--quiet", is_flag=True, help="No progress display.")
def demo(out_dir: Path, seed: int, quiet: bool) -> None:
    """Generate a four-phase liver CT phantom and analyse it: writes OUT/result.json and OUT/report.html."""
    from hepatica.demo import demo as run_demo

    with _errors_as_messages(), _progress(quiet) as progress:
        outputs = run_demo(out_dir, seed=seed, progress=progress)
    _done(outputs)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (created if needed).",
)
@click.option(
    "--phase",
    "phase_overrides",
    multiple=True,
    metavar="SERIES=PHASE",
    help="Set a series' phase: SERIES is its number, UID, description or id (S1, S2...); "
    "PHASE is pre, arterial, portal_venous or delayed. Repeatable.",
)
@click.option(
    "--backend",
    default="bundled",
    show_default=True,
    type=click.Choice(["bundled", "totalsegmentator"]),
    help="Segmentation backend.",
)
@click.option("--no-segment", is_flag=True, help="Skip liver and lesion segmentation (and radiomics).")
@click.option("--no-radiomics", is_flag=True, help="Skip radiomics features of the liver and lesions.")
@click.option("--no-lirads", is_flag=True, help="Skip phase alignment and LI-RADS characterization.")
@click.option(
    "--high-risk/--not-high-risk",
    default=None,
    help="Whether the patient is at high risk for HCC (LI-RADS applies only then). Not stated: "
    "categories are computed as if, and say so.",
)
@click.option(
    "--prior",
    "prior_inputs",
    multiple=True,
    metavar="INPUT",
    help="An earlier study of the same patient (a DICOM folder or image files, as INPUTS; repeatable): "
    "its lesions are matched to this study's for threshold growth and RECIST 1.1.",
)
@click.option(
    "--interval-days",
    type=click.FloatRange(min=0),
    default=None,
    help="Days between the prior and this study (default: from the DICOM study dates).",
)
@click.option(
    "--patient-identifiers",
    is_flag=True,
    help="Print the patient's name, ID, birth date, sex, accession number and study date in the report "
    "header (never in result.json). Default: a patient-free report.",
)
@click.option(
    "--deidentify",
    is_flag=True,
    help="De-identify the DICOM SEG and SR (DICOM PS3.15 Basic Profile, dates shifted, UIDs remapped "
    "consistently; set HEPATICA_DEIDENTIFY_SECRET to map them the same way in every export) and the UIDs in "
    "result.json, for research exports. Default: SEG and SR carry the patient module, as a PACS needs.",
)
@click.option(
    "--liver-mask",
    type=click.Path(exists=True, path_type=Path),
    help="Your own liver mask (NIfTI, NRRD or DICOM SEG; e.g. corrected in 3D Slicer) instead of the backend's: "
    "resampled onto the segmented series when it lies on another grid, refused when it does not belong to it.",
)
@click.option(
    "--lesion-mask",
    type=click.Path(exists=True, path_type=Path),
    help="Your own lesion mask (NIfTI, NRRD or DICOM SEG; non-zero = lesion, one value per lesion kept apart) "
    "instead of the backend's; LI-RADS, radiomics and the report then describe these lesions.",
)
@click.option(
    "--operating-point",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Confidence at which a lesion candidate is reported as a lesion: lower finds more and risks more false "
    "lesions; candidates under it are listed in result.json as below threshold.",
)
@click.option("--no-pdf", is_flag=True, help="Write report.html only, not report.pdf.")
@click.option("--quiet", is_flag=True, help="No progress display.")
def analyze(
    inputs: tuple[str, ...],
    out_dir: Path,
    phase_overrides: tuple[str, ...],
    backend: str,
    no_segment: bool,
    no_radiomics: bool,
    no_lirads: bool,
    high_risk: bool | None,
    prior_inputs: tuple[str, ...],
    interval_days: float | None,
    patient_identifiers: bool,
    deidentify: bool,
    liver_mask: Path | None,
    lesion_mask: Path | None,
    operating_point: float,
    no_pdf: bool,
    quiet: bool,
) -> None:
    """Analyse a study: a DICOM folder, or image files one per phase (PHASE=FILE, e.g. arterial=art.nii.gz).

    Writes OUT/result.json, OUT/report.html and report.pdf, OUT/images/, OUT/viewer/ (the phases for
    hepatica serve), OUT/segmentation/ (liver and lesion masks) and
    OUT/radiomics/ (IBSI features of the liver and each lesion); result.json and the report hold the LI-RADS
    features, category and reasons of each lesion.
    """
    from hepatica.options import AnalysisOptions, read_options

    with _errors_as_messages():
        study_inputs = _parse_inputs(inputs)
        prior = _parse_inputs(prior_inputs) if prior_inputs else None
        overrides = dict(_split_assignment(item, "--phase") for item in phase_overrides)
        options: AnalysisOptions = read_options(
            {
                "phases": overrides,
                "segment": not no_segment,
                "backend": backend,
                "radiomics": not no_radiomics,
                "lirads": not no_lirads,
                "high_risk": high_risk,
                "interval_days": interval_days,
                "patient_identifiers": patient_identifiers,
                "deidentify": deidentify,
                "operating_point": operating_point,
                "pdf": not no_pdf,
            },
            "the command line",
        )
    from hepatica.pipeline import analyze as run_analyze

    with _errors_as_messages(), _progress(quiet) as progress:
        outputs = run_analyze(
            study_inputs,
            out_dir,
            options,
            prior=prior,
            liver_mask=liver_mask,
            lesion_mask=lesion_mask,
            progress=progress,
        )
    _done(outputs)


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (created if needed).",
)
@click.option(
    "--backend",
    default="bundled",
    show_default=True,
    type=click.Choice(["bundled", "totalsegmentator"]),
    help="bundled: the ONNX models shipped with Hepatica; totalsegmentator: an installed TotalSegmentator.",
)
@click.option(
    "--deidentify",
    is_flag=True,
    help="De-identify the DICOM SEG and remap the series UID in segmentation.json, as analyze --deidentify does.",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
def segment(input_path: str, out_dir: Path, backend: str, deidentify: bool, quiet: bool) -> None:
    """Segment the liver and its lesions in a CT: a DICOM folder or an image file (NIfTI, NRRD, MHA).

    Writes OUT/liver.nii.gz, OUT/lesions.nii.gz (one label per lesion), OUT/segmentation.json and, for DICOM
    input, OUT/segmentation.dcm (DICOM SEG). The portal-venous series is used when a folder holds several.
    """
    from hepatica.pipeline import segment_study

    with _errors_as_messages(), _progress(quiet) as progress:
        outputs = segment_study(input_path, out_dir, backend=backend, progress=progress, deidentify=deidentify)
    summary = outputs.result.segmentation
    console.print(
        f"Liver {summary.liver_volume_ml:.0f} mL, {summary.lesion_count} lesion(s), "
        f"tumour burden {summary.tumour_burden_percent:.1f} %"
    )
    console.print(f"Result: {escape(str(outputs.result_json))}")


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=0, show_default=True)
@click.option("--dose", default=1.0, show_default=True, help="Relative dose; noise SD is 11/sqrt(dose) HU.")
@click.option(
    "--lesion",
    "lesions",
    multiple=True,
    metavar="TYPE:DIAMETER_MM",
    help="e.g. hcc:25, or hcc:40:exophytic for one bulging out of the liver (types: hcc, hemangioma, cyst, "
    "metastasis, fnh). Default: one of each.",
)
@click.option("--no-lesions", is_flag=True, help="A liver without lesions (for false-positive checks).")
@click.option(
    "--adjacent-mass",
    "adjacent_mass_mm",
    type=float,
    default=None,
    metavar="DIAMETER_MM",
    help="Add a solid mass of this diameter outside the liver, pressed against its under-surface.",
)
def phantom(
    out_dir: Path,
    seed: int,
    dose: float,
    lesions: tuple[str, ...],
    no_lesions: bool,
    adjacent_mass_mm: float | None,
) -> None:
    """Write a phantom study (NIfTI, DICOM, ground truth) without analysing it."""
    from hepatica.phantom import DEFAULT_LESIONS, LesionSpec, make_phantom_study
    from hepatica.phantom.write import write_phantom_study

    with _errors_as_messages():
        if no_lesions and lesions:
            raise HepaticaInputError("--no-lesions and --lesion contradict each other; give one of them")
        specs = [] if no_lesions else [_parse_lesion(item, LesionSpec) for item in lesions] or list(DEFAULT_LESIONS)
        with console.status("Generating the phantom study"):
            study = make_phantom_study(seed=seed, lesions=specs, dose=dose, adjacent_mass_mm=adjacent_mass_mm)
            files = write_phantom_study(study, out_dir)
    console.print(f"Phantom study written to {files.root} (truth in {files.truth_json})")


@main.command()
@click.option("--image", "image_path", type=click.Path(path_type=Path), help="Image file or DICOM series folder.")
@click.option("--mask", "mask_path", type=click.Path(path_type=Path), help="Mask file on the image's grid.")
@click.option("--label", type=int, default=None, help="ROI label in the mask (default: every voxel > 0).")
@click.option(
    "--batch",
    "manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with columns image, mask and optionally label and case, instead of --image/--mask.",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Parameter file (YAML): Hepatica's, or PyRadiomics's for the settings both share.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output table, .csv or .parquet; the parameters are saved beside it (.params.yaml).",
)
@click.option("--jobs", default=1, show_default=True, help="Cases extracted in parallel (batch).")
@click.option("--quiet", is_flag=True, help="No progress display.")
def radiomics(
    image_path: Path | None,
    mask_path: Path | None,
    label: int | None,
    manifest: Path | None,
    params_file: Path | None,
    out_file: Path,
    jobs: int,
    quiet: bool,
) -> None:
    """IBSI-compliant radiomics features, one row per ROI and image type (IBSI tags as columns).

    A batch skips the cases an earlier run with the same parameters finished (kept in OUT.cases/)."""
    from hepatica.radiomics.batch import Case, read_manifest, run_batch
    from hepatica.radiomics.settings import ExtractionSettings, load_settings

    with _errors_as_messages():
        if bool(manifest) == bool(image_path or mask_path) or (not manifest and not (image_path and mask_path)):
            raise HepaticaInputError("Give either --image and --mask, or --batch MANIFEST.csv.")
        settings, file_label, ignored = load_settings(params_file) if params_file else (ExtractionSettings(), None, [])
        if ignored:
            console.print(
                f"[yellow]not carried over from the PyRadiomics file:[/] {', '.join(ignored)}",
                highlight=False,
                soft_wrap=True,
            )
        cases = (
            read_manifest(manifest)
            if manifest
            else [
                Case(
                    Path(image_path).name, Path(image_path), Path(mask_path), label if label is not None else file_label
                )
            ]
        )
    with _errors_as_messages(), _progress(quiet or not manifest) as progress:
        update = (lambda done, total: progress("Cases", done + 1, total)) if progress else None
        errors = run_batch(cases, settings, out_file, jobs=jobs, progress=update)
    for name, error in errors.items():
        console.print(f"[bold red]failed:[/] {escape(name)}: {escape(error)}", highlight=False, soft_wrap=True)
    console.print(
        f"Features: {out_file} ({len(cases) - len(errors)} of {len(cases)} cases)", highlight=False, soft_wrap=True
    )
    if errors:
        sys.exit(2)


@main.command()
@click.argument("features_file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON here instead of printing it.",
)
def lirads(features_file: Path, out_file: Path | None) -> None:
    """LI-RADS v2018 category and reasons for observations in FEATURES_FILE (JSON: one observation or a list;
    schema: `hepatica schema --lirads`; - reads standard input)."""
    import json

    from hepatica.lirads import categorize, parse_observations

    with _errors_as_messages():
        source = "standard input" if str(features_file) == "-" else str(features_file)
        try:
            text = sys.stdin.read() if str(features_file) == "-" else features_file.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise HepaticaInputError(f"{source}: cannot read it ({exc}).") from exc
        observations = parse_observations(text, source)
        results = [categorize(o).to_json() for o in observations]
        single = not text.lstrip().startswith("[")
        output = json.dumps(results[0] if single else results, indent=2) + "\n"
    if out_file:
        write_text_atomic(out_file, output)
    else:
        click.echo(output, nl=False)


def _job_options(command):
    """The options of how a worker treats each job (shared by serve and worker)."""
    command = click.option(
        "--keep-input",
        is_flag=True,
        help="Keep each upload's raw input (which carries the patient's identifiers) after its analysis "
        "succeeded; by default it is deleted then.",
    )(command)
    return click.option(
        "--job-time-limit",
        "job_time_limit_s",
        default=1800.0,
        show_default=True,
        type=click.FloatRange(min=1),
        help="Seconds one analysis may run; past it the job is stopped at its next step and failed.",
    )(command)


@main.command()
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of studies: each sub-folder an analysis (hepatica analyze --out DATA/NAME); uploads are "
    "analysed into new sub-folders. Or one analysis folder itself (e.g. the demo's), shown alone.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--max-upload-mb",
    default=2048.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Largest upload accepted (MiB).",
)
@click.option("--no-radiomics", is_flag=True, help="Analyse uploads without radiomics (faster).")
@click.option(
    "--database",
    "database_url",
    metavar="URL",
    help="Job database (SQLAlchemy URL, e.g. postgresql+psycopg://user@host/hepatica); default SQLite "
    "DATA/hepatica.db.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(0, 64),
    help="Analyses run in this process at once (0: leave them to `hepatica worker` processes).",
)
@click.option(
    "--pacs",
    "pacs_url",
    metavar="URL",
    help="DICOMweb root of the PACS (e.g. http://127.0.0.1:8042/dicom-web for Orthanc): studies can be "
    "submitted by UID, their SEG and SR go back there.",
)
@click.option(
    "--watch-orthanc",
    metavar="URL",
    help="Orthanc's REST root (e.g. http://127.0.0.1:8042): analyse each new study it receives (needs "
    "--pacs, its DICOMweb root). One watcher per Orthanc.",
)
@_job_options
def serve(
    data_dir: Path,
    host: str,
    port: int,
    max_upload_mb: float,
    no_radiomics: bool,
    database_url: str | None,
    workers: int,
    pacs_url: str | None,
    watch_orthanc: str | None,
    keep_input: bool,
    job_time_limit_s: float,
) -> None:
    """Serve the studies in DATA: a study list, a viewer per study (phases, windows, overlays, lesions) and
    uploads of new studies (a zip of DICOM or NIfTI files) that are analysed in the background."""
    import uvicorn

    from hepatica.options import AnalysisOptions
    from hepatica.serve import create_app
    from hepatica.serve.library import is_analysis_folder
    from hepatica.store.database import default_url, open_database
    from hepatica.store.tokens import tokens_exist

    single = is_analysis_folder(data_dir)
    if host not in ("127.0.0.1", "localhost", "::1"):
        with _errors_as_messages():
            if (
                single
                or (database_url is None and not data_dir.is_dir())
                or not tokens_exist(open_database(database_url or default_url(data_dir)))
            ):
                raise HepaticaInputError(
                    f"serving on {host} (beyond this machine) needs API tokens first: "
                    f"hepatica token create --data {data_dir} --name NAME --role submit"
                )
    with _errors_as_messages():
        app = create_app(
            data_dir,
            max_upload_mb=max_upload_mb,
            analysis_options=AnalysisOptions(radiomics=not no_radiomics),
            database_url=database_url,
            workers=workers,
            pacs_url=pacs_url,
            watch_orthanc=watch_orthanc,
            keep_input=keep_input,
            job_time_limit_s=job_time_limit_s,
        )
    what = f"the analysis in {data_dir} (one study; serve a folder of studies to upload)" if single else data_dir
    console.print(f"Serving {what} on http://{host}:{port}/ (Ctrl-C stops)", highlight=False, soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder of studies `hepatica serve --data` uses (shared with the server).",
)
@click.option("--database", "database_url", metavar="URL", help="The server's job database; default DATA/hepatica.db.")
@click.option(
    "--lease-seconds",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="How long a job stays this worker's without a heartbeat (then another worker takes it over).",
)
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--pacs", "pacs_url", metavar="URL", help="DICOMweb root of the PACS (as for serve).")
@_job_options
def worker(
    data_dir: Path,
    database_url: str | None,
    lease_seconds: float,
    once: bool,
    pacs_url: str | None,
    keep_input: bool,
    job_time_limit_s: float,
) -> None:
    """Run queued analyses of `hepatica serve` in this process; start as many as the machine allows. Each job is
    analysed with the options stored with it (the server's, e.g. `hepatica serve --no-radiomics`)."""
    import threading

    from hepatica.serve.library import StudyLibrary
    from hepatica.serve.pacs import Pacs
    from hepatica.serve.worker import Worker
    from hepatica.store.database import default_url, open_database
    from hepatica.store.queue import JobQueue

    queue = JobQueue(open_database(database_url or default_url(data_dir)), lease_seconds)
    runner = Worker(
        StudyLibrary(Path(data_dir)),
        queue,
        pacs=Pacs(pacs_url) if pacs_url else None,
        keep_input=keep_input,
        time_limit_s=job_time_limit_s,
    )
    if once:
        while runner.run_one():
            pass
        return
    stop = threading.Event()
    try:
        runner.run_until(stop)
    except KeyboardInterrupt:
        stop.set()


@main.command()
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema here instead of printing it.",
)
@click.option("--lirads", "of_lirads", is_flag=True, help="The schema of `hepatica lirads` input instead.")
def schema(out_file: Path | None, of_lirads: bool) -> None:
    """Print the JSON schema of result.json (or of the LI-RADS input)."""
    from hepatica.lirads import observation_json_schema_text
    from hepatica.result import result_json_schema_text

    text = observation_json_schema_text() if of_lirads else result_json_schema_text()
    if out_file:
        write_text_atomic(out_file, text)
    else:
        click.echo(text, nl=False)


@main.group()
def cohort() -> None:
    """Many studies at once on Dask: resumable, results in the database and Parquet."""


@cohort.command("run")
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for cases/<case>/ (each an analysis), cohort.parquet and hepatica.db.",
)
@click.option("--scheduler", metavar="ADDRESS", help="A Dask scheduler (tcp://host:8786); default a local cluster.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker processes of the local cluster.",
)
@click.option("--database", "database_url", metavar="URL", help="Database for the case rows; default OUT/hepatica.db.")
@click.option("--no-radiomics", is_flag=True, help="Skip radiomics (faster).")
@click.option("--no-lirads", is_flag=True, help="Skip phase alignment and LI-RADS.")
@click.option(
    "--deidentify",
    is_flag=True,
    help="De-identify every case's SEG and SR and remap its UIDs, as analyze --deidentify does; set "
    "HEPATICA_DEIDENTIFY_SECRET so that a study shared by two cases (as a prior) maps the same way in both.",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
def cohort_run(
    manifest: Path,
    out_dir: Path,
    scheduler: str | None,
    workers: int,
    database_url: str | None,
    no_radiomics: bool,
    no_lirads: bool,
    deidentify: bool,
    quiet: bool,
) -> None:
    """Analyse every study of MANIFEST (CSV: case, input[, prior, high_risk]) not yet done in OUT."""
    from hepatica.cohort.run import run_cohort
    from hepatica.options import AnalysisOptions

    options = AnalysisOptions(radiomics=not no_radiomics, lirads=not no_lirads, deidentify=deidentify)
    with _errors_as_messages(), _progress(quiet) as update:

        def report(outcome, done: int, total: int) -> None:
            if update is not None:
                update(f"{outcome.case}: {outcome.state}", done + 1, total)  # the bar shows number - 1 done

        outcomes = run_cohort(manifest, out_dir, scheduler, workers, database_url, options, report)
    failed = [o for o in outcomes if o.state == "failed"]
    table = escape(str(out_dir / "cohort.parquet"))
    console.print(f"{len(outcomes) - len(failed)} of {len(outcomes)} cases done; {table}")
    for outcome in failed:
        console.print(f"  {escape(outcome.case)}: {escape(outcome.error or '')}")
    if failed:
        sys.exit(1)


@main.group()
def token() -> None:
    """API tokens of `hepatica serve` (roles: read, submit). Once one exists, every request needs one."""


def _token_engine(data_dir: Path, database_url: str | None):
    from hepatica.store.database import default_url, open_database

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return open_database(database_url or default_url(data_dir))


_DATA = click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The server's data folder.",
)
_DATABASE = click.option("--database", "database_url", metavar="URL", help="The server's database, if not the default.")


@token.command("create")
@_DATA
@_DATABASE
@click.option("--name", required=True, help="Who or what the token is for.")
@click.option("--role", type=click.Choice(["read", "submit"]), default="read", show_default=True)
def token_create(data_dir: Path, database_url: str | None, name: str, role: str) -> None:
    """Create a token and print it (only its hash is stored: keep it now)."""
    from hepatica.store.tokens import create_token

    with _errors_as_messages():
        click.echo(create_token(_token_engine(data_dir, database_url), name, role))


@token.command("list")
@_DATA
@_DATABASE
def token_list(data_dir: Path, database_url: str | None) -> None:
    """The tokens: id, name, role, revoked."""
    from hepatica.store.tokens import list_tokens

    for info in list_tokens(_token_engine(data_dir, database_url)):
        click.echo(f"{info.id}\t{info.name}\t{info.role}\t{'revoked' if info.revoked else 'active'}")


@token.command("revoke")
@_DATA
@_DATABASE
@click.argument("token_id", type=int)
def token_revoke(data_dir: Path, database_url: str | None, token_id: int) -> None:
    """Revoke token TOKEN_ID (from `hepatica token list`)."""
    from hepatica.store.tokens import revoke_token

    with _errors_as_messages():
        if not revoke_token(_token_engine(data_dir, database_url), token_id):
            raise HepaticaInputError(f"no token {token_id}; see hepatica token list")


@main.group()
def model() -> None:
    """Radiomics models on feature tables: train with nested cross-validation, evaluate on another table."""


@model.command("train")
@click.argument("features_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--outcome", required=True, help="Outcome column (binary; the event indicator with --time).")
@click.option(
    "--clinical",
    "clinical_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Clinical table (CSV/Parquet, one row per case): combined with a rad-score in a nomogram.",
)
@click.option("--time", "time_column", help="Time-to-event column (months): fits a survival model.")
@click.option(
    "--model",
    "model_name",
    help="Binary: radscore_nomogram (with --clinical), lasso_then_logistic "
    "(default without), lasso, ridge, elastic_net, mrmr_logistic, random_forest, svm, gradient_boosting; "
    "survival: cox_lasso (default), random_survival_forest.",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="COLUMN",
    help="A clinical column that is not a predictor (another outcome, a date); repeat for several.",
)
@click.option(
    "--reliability",
    "reliability_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ICC table from `hepatica model reliability`: leave out features below --min-icc first.",
)
@click.option("--min-icc", default=0.75, show_default=True, type=click.FloatRange(-1, 1))
@click.option("--id", "id_column", default="case", show_default=True, help="Column that names the case in both tables.")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for model/, report.html, metrics.json, predictions.csv, plots/.",
)
def model_train(
    features_file: Path,
    outcome: str,
    clinical_file: Path | None,
    time_column: str | None,
    model_name: str | None,
    ignore: tuple[str, ...],
    reliability_file: Path | None,
    min_icc: float,
    id_column: str,
    seed: int,
    out_dir: Path,
) -> None:
    """Fit a model on FEATURES_FILE (e.g. `hepatica radiomics --batch` output), validate it by nested
    cross-validation, save it and write a TRIPOD-style report."""
    from hepatica.model.reliability import read_reliability
    from hepatica.model.train import train

    with _errors_as_messages():
        reliability = read_reliability(reliability_file) if reliability_file else None
        metrics = train(
            features_file,
            outcome,
            out_dir,
            clinical_file,
            time_column,
            model_name,
            id_column,
            seed,
            list(ignore),
            reliability,
            min_icc,
        )
    _print_model_summary(metrics, out_dir)


@model.command("evaluate")
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("features_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--clinical",
    "clinical_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Clinical table of these cases (needed when the model uses clinical variables).",
)
@click.option("--id", "id_column", default="case", show_default=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.html, metrics.json, predictions.csv, plots/.",
)
def model_evaluate(
    model_dir: Path, features_file: Path, clinical_file: Path | None, id_column: str, out_dir: Path
) -> None:
    """Validate the model saved in MODEL_DIR (the `model/` folder `hepatica model train` wrote) on the cases of
    FEATURES_FILE, e.g. an external cohort. The outcome columns must be in the tables."""
    from hepatica.model.train import evaluate

    with _errors_as_messages():
        metrics = evaluate(model_dir, features_file, out_dir, clinical_file, id_column)
    _print_model_summary(metrics, out_dir)


@model.command("reliability")
@click.option(
    "--batch",
    "manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Manifest of images and masks (as for `hepatica radiomics --batch`): ICC(1,1) over perturbed copies.",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Radiomics parameter file (the one the modelled features were extracted with).",
)
@click.option(
    "--copies",
    default=8,
    show_default=True,
    type=click.IntRange(2, 100),
    help="Perturbed copies per case (noise, rotation, translation, volume, contour).",
)
@click.option(
    "--retest",
    nargs=2,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="TEST RETEST",
    help="Two feature tables of the same patients scanned twice: test-retest ICC(2,1).",
)
@click.option("--id", "id_column", default="case", show_default=True)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV: feature, icc, icc_low, kind, cases, repetitions.",
)
def model_reliability(
    manifest: Path | None, params_file: Path | None, copies: int, retest, id_column: str, out_file: Path
) -> None:
    """Per-feature reliability (ICC), to leave unstable features out before modelling (`model train
    --reliability`)."""
    from hepatica.model.reliability import perturbation_icc, retest_icc, write_reliability
    from hepatica.model.tables import read_table, wide_features

    with _errors_as_messages():
        if (manifest is None) == (retest is None):
            raise HepaticaInputError("give either --batch MANIFEST (perturbations) or --retest TEST RETEST")
        if manifest is not None:
            from hepatica.radiomics.batch import read_manifest
            from hepatica.radiomics.settings import ExtractionSettings, load_settings

            settings = load_settings(params_file)[0] if params_file else ExtractionSettings()
            cases = read_manifest(manifest)
            table = perturbation_icc(cases, settings, copies)
            write_reliability(table, out_file, "ICC(1,1) perturbation", len(cases), copies)
        else:
            first, second = (wide_features(read_table(p, id_column), id_column) for p in retest)
            table = retest_icc(first, second)
            write_reliability(table, out_file, "ICC(2,1) test-retest", len(first.index.intersection(second.index)), 2)
    reliable = int((table["icc"] >= 0.75).sum())
    console.print(f"{reliable} of {len(table)} features have ICC >= 0.75; {escape(str(out_file))}")


def _print_model_summary(metrics: dict, out_dir: Path) -> None:
    where = "on this table" if metrics.get("external") else "nested cross-validation"
    if metrics["kind"] == "survival":
        c, low, high = metrics["c_index"]
        console.print(f"{metrics['model']}: C-index {c:.3f} ({low:.3f}-{high:.3f}), {where}")
    else:
        auc, low, high = metrics["auc"]["delong"]
        console.print(
            f"{metrics['model']}: AUC {auc:.3f} ({low:.3f}-{high:.3f}), {where}; calibration slope "
            f"{metrics['calibration']['slope']:.2f}"
        )
    console.print(f"report: {escape(str(out_dir / 'report.html'))}")


# ------------------------------------------------------------------------------------------------ helpers
def _parse_inputs(inputs: tuple[str, ...]):
    """Paths, or PHASE=PATH pairs (all or none); a path that does not exist is refused here, before the analysis'
    libraries are loaded, so the message comes at once."""
    pairs = [item for item in inputs if "=" in item and not Path(item).exists()]
    if not pairs:
        for item in inputs:
            _require(item)
        return list(inputs) if len(inputs) > 1 else inputs[0]
    if len(pairs) != len(inputs):
        raise HepaticaInputError("Give either all inputs as PHASE=FILE or none of them.")
    mapping = {}
    for item in inputs:
        name, path = _split_assignment(item, "input")
        phase = parse_phase(name).value
        mapping[phase] = _require(path)
    return mapping


def _require(path: str) -> str:
    if not Path(path).exists():
        raise UnreadableFileError(path, "does not exist", "Check the path.")
    return path


def _split_assignment(item: str, what: str) -> tuple[str, str]:
    key, sep, value = item.rpartition("=") if what == "--phase" else item.partition("=")
    if not sep or not key or not value:
        raise HepaticaInputError(f"{what} {item!r}: expected the form NAME=VALUE.")
    return key, value


def _parse_lesion(item: str, spec_type):
    kind, _, rest = item.partition(":")
    size, _, where = rest.partition(":")
    if where.strip().lower() not in ("", "exophytic"):
        raise HepaticaInputError(f"--lesion {item!r}: the third part may only be 'exophytic', e.g. hcc:40:exophytic.")
    try:
        return spec_type(kind.strip().lower(), float(size), exophytic=bool(where.strip()))
    except ValueError as exc:
        raise HepaticaInputError(
            f"--lesion {item!r}: expected TYPE:DIAMETER_MM[:exophytic], e.g. hcc:25 ({exc})."
        ) from exc


@contextmanager
def _errors_as_messages():
    """Turn input errors into a one-line message and exit status 2, a missing backend into exit status 3."""
    try:
        yield
    except HepaticaInputError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except BackendUnavailableError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(3)


@contextmanager
def _progress(quiet: bool):
    if quiet:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<32}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Starting", total=1)

        def update(description: str, number: int, total: int) -> None:
            bar.update(task, description=description, completed=number - 1, total=total)

        yield update
        bar.update(task, description="Done", completed=bar.tasks[task].total)


def _done(outputs) -> None:
    pdf = f" and {outputs.report_pdf}" if outputs.report_pdf else ""
    quality = outputs.result.quality
    if quality is not None and quality.flags:
        console.print(
            f"[bold red]Quality control: needs review[/] ({escape(', '.join(quality.flags))}; see the report)"
        )
    elif quality is not None:
        console.print("Quality control: done (every check passed)")
    console.print(f"Report: {outputs.report_html}{pdf}\nResult: {outputs.result_json}", soft_wrap=True, highlight=False)
