"""X6: the OCSP responder's HTTP binding (RFC 6960 appendix A) as a bare WSGI layer in front
of Flask.

``POST /pki/ocsp``               the DER request as the body (openssl ocsp, PDF validators)
``GET /pki/ocsp/<base64>``       the request base64-encoded in the URL (RFC 5019 clients)

Flask's request handling -- the request context, every app's before/after hooks, session
and locale -- cost about a quarter of each answer, and none of it applies here: no session,
no page, no form. This layer keeps what does apply: the 8 KiB limit, 400 for a POST that is
not ``application/ocsp-request``, the request id (taken or made, bound while the answer is
made, sent back as ``X-Request-ID``) and the request-latency metric under the same route
labels the Flask routes had. Everything else goes on to Flask unchanged.

Of the security headers every page gets (web/security_headers.py) an OCSP answer keeps
``X-Content-Type-Options: nosniff`` -- the body echoes bytes the client chose (the nonce,
the CertID), so no browser may guess it to be HTML -- and HSTS on an https site. The rest
(Content-Security-Policy, X-Frame-Options, Cross-Origin-Opener-Policy, Permissions-Policy,
Referrer-Policy) govern documents a browser renders, runs scripts in or frames; a DER body
is none of that. ``Cache-Control: no-store`` as before: a revocation must reach the next
client, not a proxy's copy.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from flask import Flask

from gerbang_sidecar.ports.metrics import Metrics
from gerbang_sidecar.request_ids import REQUEST_ID_HEADER, accept_request_id, request_id_scope
from gerbang_sidecar.services.certificates.ocsp import INTERNAL_ERROR, OcspResponder
from gerbang_sidecar.web.observability import method_label
from gerbang_sidecar.web.security_headers import headers_for
from gerbang_sidecar.wiring import Services

log = logging.getLogger(__name__)

PATH = "/pki/ocsp"
GET_PREFIX = PATH + "/"
# The metric's route labels: what the Flask rules were called, so dashboards keep working.
POST_ROUTE = PATH
GET_ROUTE = "/pki/ocsp/<path:encoded>"
MAX_OCSP_REQUEST = 8 * 1024
REQUEST_TYPE = "application/ocsp-request"
KEPT_HEADERS = ("X-Content-Type-Options", "Strict-Transport-Security")
RESPONSE_TYPE = "application/ocsp-response"
_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, allow: str | None = None) -> None:
        super().__init__(status.phrase)
        self.status = status
        self.allow = allow


class OcspEndpoint:
    def __init__(self, app: WsgiApp, responder: OcspResponder, metrics: Metrics,
                 headers: list[tuple[str, str]]) -> None:
        self._app = app
        self._responder = responder
        self._metrics = metrics
        self._headers = headers  # sent with every answer, the module says which and why

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PATH:
            route = POST_ROUTE
        elif path.startswith(GET_PREFIX) and len(path) > len(GET_PREFIX):
            route = GET_ROUTE
        else:
            return self._app(environ, start_response)
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET")
        with request_id_scope(accept_request_id(environ.get("HTTP_X_REQUEST_ID"))) as request_id:
            headers = [(REQUEST_ID_HEADER, request_id), *self._headers]
            failed = False
            try:
                body = self._answer(route, method, environ, path)
                status, content_type = HTTPStatus.OK, RESPONSE_TYPE
            except _Refused as refused:
                status, content_type = refused.status, "text/plain; charset=utf-8"
                body = refused.status.phrase.encode()
                if refused.allow:
                    headers.append(("Allow", refused.allow))
            except Exception:
                # RFC 6960 2.3 answers internalError; a client reads that, not an HTTP 500.
                log.exception("unhandled error answering OCSP")
                status, content_type, body = HTTPStatus.OK, RESPONSE_TYPE, INTERNAL_ERROR
                failed = True
        start_response(_STATUS_LINES[status], [
            ("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
        self._metrics.http_request(route=route, method=method_label(method),
                                   status=500 if failed else int(status),  # for the alerts
                                   seconds=time.perf_counter() - started)
        return [] if method == "HEAD" else [body]

    def _answer(self, route: str, method: str, environ: Environ, path: str) -> bytes:
        if route == POST_ROUTE:
            if method != "POST":
                raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, allow="POST")
            return self._responder.respond(_posted(environ))
        if method not in ("GET", "HEAD"):
            raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, allow="GET, HEAD")
        try:
            # PATH_INFO is already percent-decoded once; clients that encode the base64
            # again (RFC 6960 A.1 asks for URL encoding) are decoded a second time.
            der = base64.b64decode(unquote(path[len(GET_PREFIX):]), validate=False)
        except ValueError:  # binascii.Error too
            raise _Refused(HTTPStatus.BAD_REQUEST) from None
        return self._responder.respond(der[:MAX_OCSP_REQUEST])


def _posted(environ: Environ) -> bytes:
    """The body of an ``application/ocsp-request`` POST of at most MAX_OCSP_REQUEST bytes."""
    mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if mimetype != REQUEST_TYPE:
        raise _Refused(HTTPStatus.BAD_REQUEST)
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH", "")
    if declared.isdecimal():
        if int(declared) > MAX_OCSP_REQUEST:
            raise _Refused(HTTPStatus.BAD_REQUEST)
        return stream.read(int(declared))
    if not environ.get("wsgi.input_terminated"):
        return b""  # no length and no end to wait for: nothing was sent
    body = stream.read(MAX_OCSP_REQUEST + 1)  # chunked: read one byte past the limit
    if len(body) > MAX_OCSP_REQUEST:
        raise _Refused(HTTPStatus.BAD_REQUEST)
    return body


def install(app: Flask, services: Services) -> None:
    """Put the endpoint in front of everything else the app's WSGI callable does."""
    page_headers = headers_for(services.settings)
    headers = [(name, page_headers[name]) for name in KEPT_HEADERS if name in page_headers]
    app.wsgi_app = OcspEndpoint(  # type: ignore[method-assign]
        app.wsgi_app, services.ocsp, services.metrics,
        [*headers, ("Cache-Control", "no-store")])
