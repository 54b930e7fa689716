"""Liveness at ``/health`` (public, no I/O: the process answers) and readiness at
``/internal/ready`` (the database and the outside systems, cached and time-bounded; only
for callers on loopback or a private network, i.e. the orchestrator, never the internet).

Behind a reverse proxy the caller's address is the forwarded one (TRUSTED_PROXIES), so a
public client reaching ``/internal/ready`` through the proxy gets 404 like any unknown page.
"""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Flask, abort, jsonify, request

from gerbang_sidecar.web.context import services

bp = Blueprint("health", __name__)

# Loopback and the private ranges an orchestrator's network uses (RFC 1918, RFC 4193).
INTERNAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


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
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in INTERNAL_NETWORKS
               if network.version == address.version)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
