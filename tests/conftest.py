"""Shared fixtures: the real-data folder (``GCL_DATA_DIR``) and a loopback HTTP server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.recbole_blocker import block_recbole

if os.environ.get("GCL_BLOCK_RECBOLE") == "1":
    block_recbole()  # the core suite must pass without the optional RecBole extra


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real benchmark data folder, or skip when it is not configured."""
    env = os.environ.get("GCL_DATA_DIR")
    if not env or not Path(env).is_dir():
        pytest.skip("GCL_DATA_DIR is not set to a folder with the benchmark data")
    return Path(env).resolve()  # absolute: some tests change the working directory


def require(data_dir: Path, *relative: str) -> None:
    """Skip the test unless every file exists under ``data_dir``."""
    missing = [r for r in relative if not (data_dir / r).is_file()]
    if missing:
        pytest.skip(f"missing real data files under {data_dir}: {missing}")


class FixtureServer:
    """A loopback HTTP server whose routes map a path to (status, body, declared length)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, int | None]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, declared = routes.get(self.path, (404, b"not found", None))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) if declared is None else declared))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, body: bytes, *, status: int = 200, declared_length: int | None = None) -> str:
        self.routes[path] = (status, body, declared_length)
        return self.url + path


@pytest.fixture
def http_server() -> Iterator[FixtureServer]:
    server = FixtureServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
