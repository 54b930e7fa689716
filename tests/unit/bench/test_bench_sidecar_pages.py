"""The registration benchmark's page driver and its loopback server, against a stub of the
sidecar's pages (same form ids, CSRF field, session cookie and redirect): no Keycloak."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, redirect, request, session
from flask.typing import ResponseReturnValue

from bench.browser import PageError
from bench.environment import SidecarServer
from bench.registration import EMAIL_SENT, FORM_PATH, register_through_pages
from bench.synthetic import synthetic_people


def stub_pages(*, refuse: bool = False, thanks: bool = True) -> tuple[Flask, list[dict]]:
    """Form -> confirmation -> Aktivasi -> redirect -> thank-you, checking what the real
    pages check: the CSRF token of the session and the token kept in the session cookie."""
    app = Flask(__name__)
    app.secret_key = secrets.token_hex(16)
    received: list[dict] = []

    @app.get(FORM_PATH)
    def form() -> str:
        session["csrf"] = secrets.token_hex(8)
        return (f'<form method="post" action="{FORM_PATH}" id="registration-form">'
                f'<input type="hidden" name="csrf_token" value="{session["csrf"]}">'
                + "".join(f'<input id="{n}" name="{n}" value="">'
                          for n in ("name", "nik", "phone", "email"))
                + '<button type="submit" id="next">Selanjutnya</button></form>')

    @app.post(FORM_PATH)
    def check() -> tuple[str, int]:
        if request.form.get("csrf_token") != session.get("csrf"):
            return "CSRF", 400
        received.append(dict(request.form))
        if refuse:
            return '<form id="registration-form" method="post"></form>', 200
        session["token"] = "t-1"
        return ('<dl id="confirmation"></dl><form method="post" action="/akses/daftar/aktivasi"'
                f' id="activate-form"><input type="hidden" name="csrf_token" '
                f'value="{session["csrf"]}"></form>'), 200

    @app.post("/akses/daftar/aktivasi")
    def activate() -> ResponseReturnValue:
        if request.form.get("csrf_token") != session.get("csrf") or "token" not in session:
            return "refused", 400
        return redirect("/akses/daftar/terima-kasih")

    @app.get("/akses/daftar/terima-kasih")
    def thank_you() -> str:
        if not thanks:
            return "<h1>Pendaftaran</h1>"
        return f'<h1 id="thanks">Terima kasih</h1><p>{EMAIL_SENT[0]}</p>'

    return app, received


@pytest.fixture
def server() -> Iterator[SidecarServer]:
    served = SidecarServer()
    yield served
    served.stop()


def test_server_listens_before_an_app_is_mounted(server: SidecarServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert requests.get(server.url + "/", timeout=5).status_code == 503
    app, _ = stub_pages()
    with server.serving(app) as url:
        assert url == server.url
        assert requests.get(url + FORM_PATH, timeout=5).status_code == 200
    assert requests.get(server.url + FORM_PATH, timeout=5).status_code == 503


def test_one_registration_walks_every_page_with_csrf_and_session(
        server: SidecarServer) -> None:
    app, received = stub_pages()
    people = synthetic_people(2)
    with server.serving(app) as url:
        for person in people:  # a fresh cookie jar each time
            register_through_pages(url, person)
    assert [r["nik"] for r in received] == [p.nik for p in people]
    assert received[0]["email"] == people[0].email
    assert received[0]["name"] == people[0].name and received[0]["phone"] == people[0].phone


@pytest.mark.parametrize("options, message", [
    pytest.param({"refuse": True}, "Selanjutnya", id="form_refused"),
    pytest.param({"thanks": False}, "no thank-you page", id="no_thank_you_page"),
])
def test_a_registration_not_reaching_the_sent_page_fails(
        server: SidecarServer, options: dict[str, bool], message: str) -> None:
    app, _ = stub_pages(**options)
    with server.serving(app) as url, pytest.raises(PageError, match=message):
        register_through_pages(url, synthetic_people(1)[0])
