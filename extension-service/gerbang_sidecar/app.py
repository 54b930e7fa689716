"""Application factory: every extension, adapter and blueprint is wired here, never at import."""

from __future__ import annotations

from typing import Any

from flask import Flask

from gerbang_sidecar.adapters import registries, storage
from gerbang_sidecar.config import Settings, load_settings
from gerbang_sidecar.logging_setup import configure_logging
from gerbang_sidecar.web import health


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    settings = config if isinstance(config, Settings) else load_settings(**(config or {}))
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(SECRET_KEY=settings.secret_key, GERBANG=settings)
    configure_logging(settings.log_level)

    health.init_app(app)
    storage.init_app(app)
    registries.init_app(app)
    return app
