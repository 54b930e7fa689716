"""R1 (issue 8): every public sidecar form and page driven with generated input -- X5.

Any text a browser (or a script) can send, in every field, in the URL's token and query, with
and without a valid CSRF token: never a server error or a traceback, and nothing half-written
(no Keycloak account and no identity record from a form that only checks). A few hundred
cases run in ``make test``; ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz) runs 2,000 per test, over
10,000 in all.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.models import IdentityRecord
from gerbang_sidecar.web.akses.registration import SESSION_KEY as REGISTRATION_KEY

# One app and database per test function, shared by its examples: like one long session.
pytestmark = pytest.mark.parametrize("settings_overrides", [{"rate_limits_enabled": False}])
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Anything a form field can carry: unicode of every kind (no lone surrogates, which no
# browser can send), long runs, and the shapes of real identifiers.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=200),
    st.text(st.characters(blacklist_categories=["Cs"]), min_size=300, max_size=3000),
    st.sampled_from(["3171015203900001", "IDD120390482615", "TR5839201", "081234567890",
                     "+6281234567890", "siti.rahmawati@example.com", "' OR 1=1 --",
                     "<script>alert(1)</script>", "\x00", "%00", "../../etc/passwd",
                     "{{7*7}}", "${jndi:ldap://x}", "ا" * 50, "𝔊𝔢𝔯𝔟𝔞𝔫𝔤"]),
)
TOKENS = st.one_of(TEXT, st.sampled_from(["", "x" * 128, "x" * 129]))


def _csrf(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


def _sound(response) -> None:  # type: ignore[no-untyped-def]
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, body[:500])
    assert "Traceback" not in body


def _nothing_made(services) -> None:  # type: ignore[no-untyped-def]
    assert not [u for (realm, _), u in services.keycloak.users.items() if realm == "akses"]
    with services.storage.session_factory() as session:
        assert session.scalars(select(IdentityRecord)).all() == []


@pytest.mark.parametrize("kind", ["individu-lokal", "individu-asing", "institusi"])
@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={
    name: TEXT for name in ("name", "nik", "passport", "sid", "phone", "email", "type")}),
    with_token=st.booleans())
def test_r1_registration_form(app: Flask, services, kind: str, fields: dict[str, str],  # type: ignore[no-untyped-def]
                              with_token: bool) -> None:
    client = app.test_client()
    path = f"/akses/daftar/{kind}"
    data = {**fields, **({"csrf_token": _csrf(client, path)} if with_token else {})}
    _sound(client.post(path, data=data))
    _sound(client.get(f"{path}?kembali=1"))
    _nothing_made(services)


@FUZZ
@given(token=TOKENS, step=st.sampled_from(["aktivasi", "kirim-ulang", "terima-kasih"]))
def test_r1_registration_steps_with_any_session_token(app: Flask, services, token: str,  # type: ignore[no-untyped-def]
                                                     step: str) -> None:
    client = app.test_client()
    csrf = _csrf(client, "/akses/daftar/individu-lokal")
    with client.session_transaction() as session:
        session[REGISTRATION_KEY] = token
    if step == "terima-kasih":
        _sound(client.get(f"/akses/daftar/{step}"))
    else:
        _sound(client.post(f"/akses/daftar/{step}", data={"csrf_token": csrf}))
    _nothing_made(services)


@FUZZ
@given(identifier=TEXT, channel=TEXT, action=st.one_of(
    st.sampled_from(["next", "process", "back"]), TEXT))
def test_r1_forgot_password(app: Flask, services, identifier: str, channel: str,  # type: ignore[no-untyped-def]
                            action: str) -> None:
    client = app.test_client()
    csrf = _csrf(client, "/akses/lupa-kata-sandi")
    _sound(client.post("/akses/lupa-kata-sandi", data={
        "csrf_token": csrf, "identifier": identifier, "channel": channel, "action": action}))


@FUZZ
@given(token=TOKENS, password=TEXT, confirm=TEXT)
def test_r1_forgot_password_links(app: Flask, services, token: str, password: str,  # type: ignore[no-untyped-def]
                                  confirm: str) -> None:
    client = app.test_client()
    csrf = _csrf(client, "/akses/lupa-kata-sandi")
    quoted = quote(token, safe="")
    for path in (f"/akses/lupa-kata-sandi/terkirim/{quoted}",
                 f"/akses/lupa-kata-sandi/atur/{quoted}"):
        _sound(client.get(path))
        _sound(client.post(path, data={"csrf_token": csrf, "password": password,
                                       "password_confirm": confirm}))
    assert not services.keycloak.passwords


@FUZZ
@given(next_url=TEXT, state=TEXT, code=TEXT, lang=TEXT)
def test_r1_login_pages_and_query_strings(app: Flask, next_url: str, state: str,  # type: ignore[no-untyped-def]
                                          code: str, lang: str) -> None:
    client = app.test_client()
    _sound(client.get("/akses/masuk", query_string={"next": next_url}))
    _sound(client.get("/akses/oidc/callback", query_string={"state": state, "code": code}))
    _sound(client.get("/akses/daftar", query_string={"lang": lang}))
    _sound(client.get("/akses/lupa-kata-sandi", query_string={"lang": lang}))
    login = client.get("/akses/masuk", query_string={"next": next_url})
    assert login.headers.get("Location", "").startswith("https://login.example.test/")
    # Whatever "next" was, the session cookie stays small enough for a browser to keep it.
    cookie = client.get_cookie("gerbang_session")
    assert cookie is None or len(cookie.value) < 3000


@FUZZ
@given(email=TEXT, code=TEXT, action=st.one_of(
    st.sampled_from(["send", "resend", "verify"]), TEXT))
def test_r1_legacy_member_email_form(app: Flask, services, log_in, email: str, code: str,  # type: ignore[no-untyped-def]
                                     action: str) -> None:
    from gerbang_sidecar.web.akses.legacy_members import REGISTER_EMAIL_PATH

    client = app.test_client()
    log_in(client, sub="legacy-1", roles=("legacy-member",))
    csrf = _csrf(client, REGISTER_EMAIL_PATH)
    _sound(client.post(REGISTER_EMAIL_PATH, data={
        "csrf_token": csrf, "e-email": email, "c-code": code, "action": action}))
