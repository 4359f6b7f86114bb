"""Shared fixtures: the real test data in ../shared/data (skipped when absent) and small phantom studies."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hepatica.phantom import LesionSpec, LesionType, make_phantom_study
from hepatica.phantom.write import write_phantom_study

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HEPATICA_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared(relative: str) -> Path:
    """A path in ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real test data not available: {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def ircad_masks(tmp_path_factory) -> Path:
    """IRCAD patient 1's liver, tumour and cyst masks from MASKS_DICOM.zip, extracted into a temporary folder (never
    into the repository)."""
    archive = shared("ircad/3Dircadb1.1/MASKS_DICOM.zip")
    target = tmp_path_factory.mktemp("ircad_masks")
    with zipfile.ZipFile(archive) as z:
        z.extractall(
            target,
            members=[
                n
                for n in z.namelist()
                if n.startswith(("MASKS_DICOM/liver/", "MASKS_DICOM/livertumor", "MASKS_DICOM/liverkyst/"))
            ],
        )
    return target / "MASKS_DICOM"


@pytest.fixture(scope="session")
def small_phantom():
    """A coarse phantom (2 x 2 x 3 mm voxels) with three lesions: quick to make, for I/O tests."""
    return make_phantom_study(
        seed=7,
        spacing_mm=(2.0, 2.0, 3.0),
        lesions=[LesionSpec(LesionType.HCC, 30), LesionSpec(LesionType.CYST, 20), LesionSpec(LesionType.FNH, 24)],
    )


@pytest.fixture(scope="session")
def small_phantom_files(small_phantom, tmp_path_factory):
    """The coarse phantom written as NIfTI, DICOM and truth."""
    return write_phantom_study(small_phantom, tmp_path_factory.mktemp("phantom"))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """``hepatica demo`` run once for the session, into ``<tmp>/studies/demo`` (the folder a server can serve)."""
    out = tmp_path_factory.mktemp("studies") / "demo"
    subprocess.run(
        [sys.executable, "-m", "hepatica", "demo", "--out", str(out), "--quiet"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out


@pytest.fixture(scope="session")
def small_analysis(small_phantom_files, tmp_path_factory):
    """``analyze`` of the coarse phantom's DICOM study (no radiomics) into ``<tmp>/small-studies/phantom``."""
    from hepatica.options import AnalysisOptions
    from hepatica.pipeline import analyze

    out = tmp_path_factory.mktemp("small-studies") / "phantom"
    return analyze(small_phantom_files.dicom, out, AnalysisOptions(radiomics=False, high_risk=True))


@pytest.fixture(scope="session")
def standard_phantom():
    """The demo's phantom (seed 0, default lesions and resolution)."""
    return make_phantom_study(seed=0)


def dciodvfy_errors(path: Path) -> list[str]:
    """The error lines dicom3tools' validator prints for a DICOM file (skips the test without dciodvfy)."""
    import shutil

    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy not installed (Debian package dicom3tools; .ci/run installs it)")
    run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    return [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")]


def pydicom_sr_numbers(path) -> dict[str, list[float]]:
    """Every numeric entry of the SR's content tree by concept meaning, read with pydicom alone."""
    import pydicom

    values = {}

    def walk(items):
        for item in items:
            if item.ValueType == "NUM":
                values.setdefault(item.ConceptNameCodeSequence[0].CodeMeaning, []).append(
                    float(item.MeasuredValueSequence[0].NumericValue)
                )
            walk(item.get("ContentSequence", []))

    walk(pydicom.dcmread(path).ContentSequence)
    return values


# A real PostgreSQL for the store and service tests: a throw-away cluster on a free loopback port (Debian package
# postgresql; CI installs it). Without it the PostgreSQL cases skip, unless HEPATICA_REQUIRE_POSTGRES=1.
def _run_as_postgres(args, check=True):
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, check=check, capture_output=True, text=True)


@dataclass(frozen=True)
class PostgresCluster:
    """The test server: ``url`` of its database; ``restart()``, ``stop()`` and ``start()`` the server."""

    url: str
    restart: Callable[[], object]
    stop: Callable[[], object]
    start: Callable[[], object]


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory):
    """A fresh PostgreSQL server and database (`PostgresCluster`)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        if os.environ.get("HEPATICA_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (HEPATICA_REQUIRE_POSTGRES=1) but not installed")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    bindir = os.path.dirname(binaries[-1])
    folder = tmp_path_factory.mktemp("postgres")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        os.chmod(folder.parent, 0o755)
        os.chmod(folder.parent.parent, 0o755)
    data = folder / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _run_as_postgres([f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"]
    _run_as_postgres(start + ["start"])
    _run_as_postgres([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "hepatica_test"])

    stop = [f"{bindir}/pg_ctl", "-D", str(data), "-w", "-m"]
    yield PostgresCluster(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/hepatica_test",
        restart=lambda: _run_as_postgres(start + ["restart", "-m", "fast"]),
        stop=lambda: _run_as_postgres(stop + ["fast", "stop"]),
        start=lambda: _run_as_postgres(start + ["start"]),
    )
    _run_as_postgres(stop + ["immediate", "stop"], check=False)


@pytest.fixture()
def postgres_url(postgres_cluster):
    """The URL of a new, empty database on the test cluster, for one test."""
    import secrets

    from sqlalchemy import create_engine

    url = postgres_cluster.url
    name = f"hepatica_{secrets.token_hex(4)}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name
