"""The web processes' entry points: process-wide logging, then the app.

gunicorn (docker-compose.yml) runs ``gerbang_sidecar.serve:wsgi_app()`` and ``make run`` runs
it under ``flask run``; tests build apps with ``create_app`` and leave logging to pytest.
With several gunicorn workers, metrics need ``PROMETHEUS_MULTIPROC_DIR`` and
``-c python:gerbang_sidecar.gunicorn_config`` (docs/operations.md).

The OCSP responder runs apart in production (``python -m gerbang_sidecar serve-ocsp``,
cli.py): granian, an HTTP server written in Rust, in front of ``ocsp_wsgi_app``. An OCSP answer is a
few hundred microseconds of Python; gunicorn's own handling of a request cost more than
that, and more than OpenSSL's whole responder (docs/certificates.md, "OCSP").
"""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.app import create_app, create_ocsp_app
from gerbang_sidecar.config import load_settings
from gerbang_sidecar.logging_setup import configure_logging


def wsgi_app() -> Flask:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def ocsp_wsgi_app() -> Flask:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_ocsp_app(settings)
