"""Health endpoint: the database and each outside system's reachability."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify

bp = Blueprint("health", __name__)

# name -> probe returning True when reachable; filled by each concern's init_app.
HealthProbe = Callable[[], bool]


def register_probe(app: Flask, name: str, probe: HealthProbe) -> None:
    app.extensions.setdefault("gerbang_health_probes", {})[name] = probe


@bp.get("/health")
def health() -> tuple[object, int]:
    probes: dict[str, HealthProbe] = current_app.extensions.get("gerbang_health_probes", {})
    checks = {}
    for name, probe in sorted(probes.items()):
        try:
            checks[name] = "up" if probe() else "down"
        except Exception:  # a probe must never take the health page down with it
            current_app.logger.exception("health probe %s failed", name)
            checks[name] = "down"
    # The sidecar is ready when its own database is; registries being down degrades, not fails.
    ready = checks.get("database", "up") == "up"
    status = "up" if all(v == "up" for v in checks.values()) else ("degraded" if ready else "down")
    return jsonify(status=status, checks=checks), 200 if ready else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
