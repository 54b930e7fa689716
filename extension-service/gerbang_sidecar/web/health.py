"""Health endpoint: the database and each outside system's reachability."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify

from gerbang_sidecar.web.context import services

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[object, int]:
    checks = {}
    for name, probe in sorted(services().probes.items()):
        try:
            checks[name] = "up" if probe() else "down"
        except Exception:  # a probe must never take the health page down with it
            log.exception("health probe %s failed", name)
            checks[name] = "down"
    # The sidecar is ready when its own database is; registries being down degrades, not fails.
    ready = checks.get("database", "up") == "up"
    status = "up" if all(v == "up" for v in checks.values()) else ("degraded" if ready else "down")
    return jsonify(status=status, checks=checks), 200 if ready else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
