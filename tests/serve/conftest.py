"""A real Orthanc for the PACS tests (Debian packages ``orthanc``, ``orthanc-dicomweb``; CI installs them) on a free
loopback port; without it those tests skip, unless HEPATICA_REQUIRE_ORTHANC=1. The PostgreSQL fixtures are in
tests/conftest.py (the store's tests use them too)."""

import os
import shutil
import socket
import subprocess

import pytest


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
