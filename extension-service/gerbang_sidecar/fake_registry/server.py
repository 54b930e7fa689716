"""Serving the fake registries: in a background thread for tests, or from the CLI."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gerbang_sidecar.fake_registry.app import create_fake_registry_app


class QuietRequestHandler(WSGIRequestHandler):
    """Logs method, path and status only: the gateway's query string holds phone numbers.
    Speaks HTTP/1.1, so clients keep their connections as they would with a real registry."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log("info", '"%s %s" %s', self.command, urlsplit(self.path).path, code)


def make_fake_registry_server(app: Flask | None = None, host: str = "127.0.0.1",
                              port: int = 0) -> BaseWSGIServer:
    """A threaded server (a hanging request must not block the others); port 0 = free."""
    return make_server(host, port, app or create_fake_registry_app(), threaded=True,
                       request_handler=QuietRequestHandler)


@contextmanager
def running_fake_registry(app: Flask | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the fake registries on a free port; yields the base URL, e.g.
    ``http://127.0.0.1:54321`` (registries live under ``/dukcapil``, ``/oss``…)."""
    server = make_fake_registry_server(app, host)
    thread = threading.Thread(target=server.serve_forever, name="fake-registry", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
