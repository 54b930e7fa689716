"""init_app: migrates a local database, registers the "database" probe, one session per
request."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import create_engine, text

from gerbang_sidecar.adapters.storage import get_session, get_storage, init_app
from gerbang_sidecar.config import load_settings
from gerbang_sidecar.migrations import current_revision, head_revision
from gerbang_sidecar.web import health


def make_app(tmp_path, **overrides) -> Flask:
    settings = load_settings({}, instance_path=tmp_path, **overrides)
    app = Flask(__name__)
    app.config.update(GERBANG=settings, TESTING=True)
    health.init_app(app)
    init_app(app)
    return app


def test_init_app_migrates_and_reports_database_health(tmp_path):
    app = make_app(tmp_path)
    storage = get_storage(app)
    assert current_revision(storage.engine) == head_revision()
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == "up"
    storage.dispose()


def test_init_app_closes_the_request_session(tmp_path):
    app = make_app(tmp_path)
    seen = []

    @app.get("/probe")
    def probe() -> str:
        session = get_session()
        assert get_session() is session
        seen.append(session)
        session.execute(text("SELECT 1"))
        return "ok"

    assert app.test_client().get("/probe").status_code == 200
    assert not seen[0].in_transaction()
    get_storage(app).dispose()


def test_health_reports_database_down(tmp_path):
    app = make_app(tmp_path)
    storage = get_storage(app)
    storage.dispose()
    storage.engine = create_engine(
        f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}")
    response = app.test_client().get("/health")
    assert response.status_code == 503
