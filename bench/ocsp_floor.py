"""The OCSP benchmark's floor (bench/ocsp.py): what the responder's server costs by itself.

A WSGI app that reads the posted body and answers fixed bytes as long as the sidecar's OCSP
response, and does nothing else: no parsing, no database, no signature. It is served by the
very function production's ``serve-ocsp`` uses (granian, the same options), so no responder
served that way can be faster: its figures bound what Gerbang's code can reach there.

``python -m bench.ocsp_floor --bind 127.0.0.1:PORT [serve-ocsp's options]``
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from typing import Any

from gerbang_sidecar.cli import add_ocsp_server_arguments, ocsp_server_options, serve_ocsp

SIZE_VARIABLE = "GERBANG_BENCH_FLOOR_BYTES"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def floor_app() -> WsgiApp:
    """The app (a factory, as serve_ocsp serves factories)."""
    body = bytes(int(os.environ.get(SIZE_VARIABLE, "1600")))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH", "")
        environ["wsgi.input"].read(int(length) if length.isdecimal() else 0)
        start_response("200 OK", [("Content-Type", "application/ocsp-response"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ocsp_floor")
    add_ocsp_server_arguments(parser)
    serve_ocsp(**ocsp_server_options(parser.parse_args()), target="bench.ocsp_floor:floor_app")


if __name__ == "__main__":
    main()
