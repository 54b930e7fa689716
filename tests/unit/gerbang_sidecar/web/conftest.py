"""A sidecar app over its own SQLite database and in-memory twins of Keycloak, the registries
and the mailer (all reachable as ``services``), plus a tiny public form to exercise the
shared form machinery (CSRF, field errors, rate limit, temporary problem)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import Settings
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import portal_login_required
from gerbang_sidecar.web.rate_limit import rate_limited
from gerbang_sidecar.wiring import Services, build_services
from support.clock import FakeClock

FORM_LIMIT = 3


class SampleForm(FlaskForm):
    name = StringField("sample.name", validators=[DataRequired(message="form.required")])
    email = StringField("Email", validators=[
        DataRequired(message="form.required"),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="form.invalid_email")])


def _add_sample_views(app: Flask) -> None:
    @app.route("/akses/contoh", methods=["GET", "POST"])
    @rate_limited(FORM_LIMIT, 600)
    def sample_form() -> ResponseReturnValue:
        use_portal("akses")
        form = SampleForm()
        if form.validate_on_submit():
            if form.name.data == "outage":
                raise KeycloakUnavailable("down")
            if form.name.data == "outage-kept":
                return temporary_problem("sample_form.html", form=form)
            return "ok"
        return form_page("sample_form.html", form=form)

    @app.route("/akses/rahasia", methods=["GET", "POST"])
    @portal_login_required("akses", "akses-portal")
    def private_page() -> ResponseReturnValue:
        return "secret"

    @app.get("/boom")
    def boom() -> ResponseReturnValue:
        raise RuntimeError("unexpected")


@pytest.fixture
def fake_keycloak() -> FakeKeycloakUsers:
    """Keycloak's in-memory twin behind the app (a test module may put a subclass here)."""
    return FakeKeycloakUsers()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test wants changed (``@pytest.mark.parametrize("settings_overrides", …)``)."""
    return {}


@pytest.fixture
def services(make_settings: Callable[..., Settings], clock: FakeClock,
             fake_keycloak: FakeKeycloakUsers,
             settings_overrides: dict[str, Any]) -> Iterator[Services]:
    built = build_services(make_settings(
        keycloak_url="http://keycloak.internal:8080",
        keycloak_public_url="https://login.example.test",
        public_url="https://sidecar.example.test",
        portal_client_secrets={"akses-portal": "s3cret"}, **settings_overrides),
        clock=clock, keycloak=fake_keycloak)
    yield built
    built.close()


@pytest.fixture
def app(tmp_path: Path, services: Services) -> Flask:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "sample_form.html").write_text(
        '{% extends "base.html" %}{% from "_forms.html" import error_summary, field, actions %}'
        '{% block content %}{{ error_summary(form) }}<form method="post" novalidate>'
        '{{ form.csrf_token }}{{ field(form.name) }}{{ field(form.email, type="email") }}'
        '{{ actions("portal.register") }}</form>{% endblock %}', encoding="utf-8")
    app = create_app(services=services)
    from jinja2 import ChoiceLoader, FileSystemLoader

    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(templates)])  # type: ignore[list-item]
    app.config["TESTING"] = True
    _add_sample_views(app)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def csrf_token(client: FlaskClient) -> Callable[[], str]:
    """The CSRF token of the sample form, as a browser would have it."""

    def read() -> str:
        html = client.get("/akses/contoh").get_data(as_text=True)
        marker = 'name="csrf_token" type="hidden" value="'
        start = html.index(marker) + len(marker)
        return html[start:html.index('"', start)]

    return read


@pytest.fixture
def form_limit() -> int:
    return FORM_LIMIT


@pytest.fixture
def log_in(services: Services) -> Callable[..., str]:
    """Log a browser in as the OIDC callback does: a server-side login (X9) and its key in the
    signed cookie. Returns the key."""

    def log_in_as(client: FlaskClient, *, sub: str = "u1", client_id: str = "akses-portal",
                  roles: tuple[str, ...] = (), name: str = "Budi",
                  username: str = "budi@example.test", id_token: str = "t",
                  keycloak_session: str | None = None, minutes: float = 30,
                  email: str | None = None) -> str:
        from datetime import timedelta

        from gerbang_sidecar.portals import client as portal_client
        from gerbang_sidecar.web.portal_login import SESSION_KEY

        realm = portal_client(client_id).realm
        if roles:
            # Keycloak put them in the token because it holds them; privileged pages ask it
            # again on every request.
            services.keycloak.grant(realm, sub, list(roles))  # type: ignore[attr-defined]
        key = services.portal_sessions.start(
            realm=realm, client_id=client_id, subject=sub,
            keycloak_session=keycloak_session,
            data={"username": username, "name": name,
                  "email": email or (username if "@" in username else None),
                  "roles": list(roles),
                  "id_token": id_token},
            lifetime=timedelta(minutes=minutes))
        with client.session_transaction() as session:
            session[SESSION_KEY] = {**session.get(SESSION_KEY, {}), client_id: key}
        return key

    return log_in_as
