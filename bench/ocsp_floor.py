"""The OCSP benchmark's floor (bench/ocsp.py): what the sidecar's gunicorn command line costs
by itself. A WSGI app that reads the posted body and answers fixed bytes as long as the
sidecar's OCSP response, and does nothing else: no parsing, no database, no signature. No
responder served by that gunicorn can be faster, so its figures bound what Gerbang's code
can reach there."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

SIZE_VARIABLE = "GERBANG_BENCH_FLOOR_BYTES"
_BODY = bytes(int(os.environ.get(SIZE_VARIABLE, "1600")))


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = environ.get("CONTENT_LENGTH", "")
    environ["wsgi.input"].read(int(length) if length.isdecimal() else 0)
    start_response("200 OK", [("Content-Type", "application/ocsp-response"),
                              ("Content-Length", str(len(_BODY)))])
    return [_BODY]
