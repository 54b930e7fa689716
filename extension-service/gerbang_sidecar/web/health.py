"""Liveness at ``/health`` (public, no I/O: the process answers) and readiness at
``/internal/ready`` (the database and the outside systems, cached and time-bounded; only
for callers on loopback or a private network, i.e. the orchestrator, never the internet).

Anything that came through a reverse proxy (a forwarding header) gets 404 like any unknown
page, as ``/metrics`` does: behind source NAT the proxy's own address may be private.
"""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Flask, abort, jsonify, request

from gerbang_sidecar.web.context import services

bp = Blueprint("health", __name__)

FORWARDING_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
                      "Forwarded", "X-Real-IP")
# Loopback and the private ranges an orchestrator's network uses (RFC 1918, RFC 4193, and
# RFC 6598's shared space, which some clusters give their pods): none is routed on the
# internet.
INTERNAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
    "100.64.0.0/10", "fc00::/7"))


@bp.get("/health")
def health() -> tuple[object, int]:
    return jsonify(status="up"), 200


@bp.get("/internal/ready")
def ready() -> tuple[object, int]:
    if not internal_caller():
        abort(404)
    readiness = services().readiness.check()
    return (jsonify(status=readiness.status, checks=readiness.checks),
            200 if readiness.ready else 503)


def internal_caller() -> bool:
    """The orchestrator or the scraper on a private network, asking directly: a request
    that came through a proxy (any forwarding header) is not, whatever address the proxy
    has -- behind source NAT every hop may look private."""
    if any(header in request.headers for header in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in INTERNAL_NETWORKS
               if network.version == address.version)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
