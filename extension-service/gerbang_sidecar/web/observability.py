"""Request ids and request metrics for every request, and ``/metrics`` (issue 11 item 5).

Every request gets an id: the caller's ``X-Request-ID`` when it is sane (the reverse proxy's;
``request_ids.accept_request_id`` refuses anything that could carry an identifier), else a
new one. It is bound for the request (log lines, calls to Keycloak and the registries) and
sent back in the response's ``X-Request-ID``. Each request's time is reported under its
Flask route -- the URL rule such as ``/bsre/aktivasi/<token>``, never the path, which may
hold a token -- with its method and status.

``/metrics`` is for Prometheus only, like ``/internal/ready`` is for the orchestrator: it
answers a caller on loopback or a private network that reached the sidecar directly, and 404
to anyone else. A request that carries forwarding headers came through a proxy and is
refused even from a private address, so a proxy that forwards ``/metrics`` by mistake (or
whose address is missing from TRUSTED_PROXIES) still exposes nothing; with TRUSTED_PROXIES
right, a public client's forwarded address is not private anyway. Nothing in it is personal
(X3): routes, registry names, outcomes and counts.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, abort, g, request

from gerbang_sidecar.request_ids import (
    REQUEST_ID_HEADER,
    accept_request_id,
    bind_request_id,
    unbind_request_id,
)
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.health import internal_caller

bp = Blueprint("observability", __name__)

UNMATCHED_ROUTE = "<unmatched>"
# Any other word a client sends as its method is one label value, not a new series each.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The request metric's method label, shared with the OCSP endpoint in front of Flask."""
    return method if method in KNOWN_METHODS else "OTHER"


@bp.get("/metrics")
def metrics() -> Response:
    if not internal_caller():
        abort(404)
    scrape = services().metrics.scrape()
    return Response(scrape.body, content_type=scrape.content_type)


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_binding = bind_request_id(g.request_id)


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    if started is not None:
        services().metrics.http_request(
            route=request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE,
            method=method_label(request.method),
            status=response.status_code, seconds=time.perf_counter() - started)
    return response


def _forget(_error: BaseException | None) -> None:
    binding = g.pop("request_id_binding", None)
    if binding is not None:
        unbind_request_id(binding)


def init_app(app: Flask) -> None:
    """First of the hooks: the id is bound before any other hook logs or calls out, and the
    response hook runs last, so it times and labels the response as it leaves."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
    app.register_blueprint(bp)
