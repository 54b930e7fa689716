"""Flask wiring: one Storage per application, one session per request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.web.health import register_probe

EXTENSION = "gerbang_storage"
_G_SESSION = "_gerbang_db_session"


def init_app(app: Flask, *, migrate: bool | None = None) -> Storage:
    """Build the engine from ``app.config["GERBANG"]`` and register the "database" probe.

    Outside production the schema is brought to head on start, so a local run needs no step;
    production runs ``python -m gerbang_sidecar.migrations upgrade`` before deploying (several
    gunicorn workers must not race each other through a migration).
    """
    settings = app.config["GERBANG"]
    storage = Storage.from_settings(settings)
    if migrate if migrate is not None else not settings.is_production:
        from gerbang_sidecar.migrations import upgrade

        upgrade(storage.engine)
    app.extensions[EXTENSION] = storage
    register_probe(app, "database", storage.ping)
    app.teardown_appcontext(_close_session)
    return storage


def get_storage(app: Flask | None = None) -> Storage:
    return (app or current_app).extensions[EXTENSION]


def get_session() -> Session:
    """The request's session (created on first use, closed at teardown; uncommitted work
    is rolled back then)."""
    session = g.get(_G_SESSION)
    if session is None:
        session = get_storage().session_factory()
        setattr(g, _G_SESSION, session)
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop(_G_SESSION, None)
    if session is not None:
        session.close()
