"""A real PostgreSQL for the service tests: a throw-away cluster on a free loopback port (Debian package
``postgresql``; CI installs it). Without it the PostgreSQL cases skip, unless HEPATICA_REQUIRE_POSTGRES=1."""

import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import pytest


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OrthancServer:
    """A real Orthanc (Debian packages orthanc, orthanc-dicomweb) on a loopback port, with its DICOMweb plugin."""

    def __init__(self, folder, port: int) -> None:
        self.folder, self.port, self.process = folder, port, None
        self.url = f"http://127.0.0.1:{port}/dicom-web"

    def start(self) -> None:
        import json
        import time
        import urllib.request

        config = self.folder / "orthanc.json"
        config.write_text(
            json.dumps(
                {
                    "Name": "hepatica-test",
                    "StorageDirectory": str(self.folder / "db"),
                    "IndexDirectory": str(self.folder / "db"),
                    "HttpPort": self.port,
                    "DicomServerEnabled": False,
                    "RemoteAccessAllowed": False,
                    "AuthenticationEnabled": False,
                    "StableAge": 2,
                    "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
                    "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
                }
            )
        )
        with open(self.folder / "log", "a") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(["Orthanc", str(config)], stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/system", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Orthanc did not start; see " + str(self.folder / "log"))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture()
def orthanc(tmp_path):
    """A stopped Orthanc on a free port: ``start()`` / ``stop()`` it; stopped at the end."""
    if shutil.which("Orthanc") is None or not os.path.exists("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"):
        if os.environ.get("HEPATICA_REQUIRE_ORTHANC") == "1":
            pytest.fail("Orthanc is required (HEPATICA_REQUIRE_ORTHANC=1) but not installed")
        pytest.skip("Orthanc with DICOMweb is not installed (apt-get install orthanc orthanc-dicomweb)")
    server = OrthancServer(tmp_path, free_port())
    yield server
    server.stop()
