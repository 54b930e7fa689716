"""X8: every response of the sidecar carries the security headers: pages, error pages, the
health check, redirects and the theme's files."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import Settings

PATHS = {
    "page": ("GET", "/akses/daftar"),
    "not found": ("GET", "/tidak-ada"),
    "server error": ("GET", "/boom"),
    "csrf refused": ("POST", "/akses/contoh"),
    "health": ("GET", "/health"),
    "redirect to login": ("GET", "/akses/beranda"),
    "theme file": ("GET", "/theme/akses/css/gerbang.css"),
    "static file": ("GET", "/static/akses.css"),
}


@pytest.mark.parametrize("name", sorted(PATHS))
def test_x8_every_response_carries_the_headers(app: Flask, client: FlaskClient,
                                               name: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the themed 500, as users get it
    method, path = PATHS[name]
    response = client.open(path, method=method)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if name in ("theme file", "static file"):
        assert response.status_code == 200 and "no-store" not in response.headers.get(
            "Cache-Control", "")
    else:
        assert response.headers["Cache-Control"] == "no-store"


def test_x8_forms_may_go_on_to_keycloak_and_nowhere_else(client: FlaskClient) -> None:
    csp = client.get("/akses/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://login.example.test" in csp


def test_x8_hsts_in_production_over_https(client: FlaskClient,
                                          make_settings: Callable[..., Settings]) -> None:
    # The app of these tests is served as https://sidecar.example.test.
    assert client.get("/health").headers["Strict-Transport-Security"].startswith(
        "max-age=31536000")
    local = create_app(make_settings(public_url="http://127.0.0.1:5000")).test_client()
    assert "Strict-Transport-Security" not in local.get("/health").headers


def test_x8_no_page_has_an_inline_script_or_style(client: FlaskClient) -> None:
    for path in ("/", "/akses/", "/akses/daftar", "/akses/daftar/individu-lokal",
                 "/akses/lupa-kata-sandi"):
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html and "<style" not in html and " style=" not in html, path


def test_x8_a_response_caches_may_keep_never_carries_the_session_cookie(
        client: FlaskClient, log_in: Callable[..., str]) -> None:
    """Flask renews a permanent session's cookie on every response; on the theme's files
    (and the CRL, public for a minute) a shared cache could hand one browser's login to the
    next (a review of the day's change)."""
    log_in(client)
    with client.session_transaction() as session:
        session.permanent = True
    assert "Set-Cookie" in client.get("/akses/daftar").headers  # a page: renewed
    for path in ("/theme/akses/css/gerbang.css", "/static/akses.css"):
        response = client.get(path)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, path
