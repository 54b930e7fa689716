"""The web process's entry point: process-wide logging, then the app.

gunicorn (docker-compose.yml) runs ``gerbang_sidecar.serve:wsgi_app()`` and ``make run`` runs
it under ``flask run``; tests build apps with ``create_app`` and leave logging to pytest.
With several gunicorn workers, metrics need ``PROMETHEUS_MULTIPROC_DIR`` and
``-c python:gerbang_sidecar.gunicorn_config`` (docs/operations.md).
"""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import load_settings
from gerbang_sidecar.logging_setup import configure_logging


def wsgi_app() -> Flask:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
