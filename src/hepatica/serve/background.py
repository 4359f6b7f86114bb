"""The service in a background thread of this process, on a free loopback port: for scripts and tests that
drive it with a browser (``scripts/screenshots.py``, ``tests/serve/test_viewer_browser.py``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from hepatica.serve.app import create_app


@contextmanager
def serving(folder: Path | str, start_timeout_s: float = 30.0, **options) -> Iterator[str]:
    """Serve ``create_app(folder, **options)`` on 127.0.0.1 and yield its base address (``http://127.0.0.1:N``);
    stopped on leaving the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(folder, **options), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="hepatica-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"the server on port {port} did not start within {start_timeout_s:.0f} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
