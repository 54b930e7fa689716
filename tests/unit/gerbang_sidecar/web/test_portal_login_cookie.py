"""X9 and the session cookie around a login: what the OIDC callback keeps, ends and renews,
and what logging out leaves (nothing). The code exchange is faked at ``_openid``; the rest is
the real callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from gerbang_sidecar.portals import client as portal_client
from gerbang_sidecar.web import portal_login
from gerbang_sidecar.web.portal_login import (
    MAX_LOCAL_SESSION_SECONDS,
    PENDING_LOGIN_SECONDS,
    SESSION_KEY,
    TOKEN_ALGORITHMS,
)
from gerbang_sidecar.wiring import Services


def _through_keycloak(client: FlaskClient, monkeypatch: pytest.MonkeyPatch, services: Services,
                      *, sub: str, client_id: str = "akses-portal",
                      before_callback: Callable[[], None] = lambda: None,
                      locale: str | None = None, start: str | None = None,
                      sid: str | None = None):  # type: ignore[no-untyped-def]
    """A login as the browser makes it: /masuk (or ``start``), Keycloak (faked), the
    callback."""
    portal = portal_client(client_id)
    to_keycloak = client.get(start or f"/{portal.path}/masuk")
    state = parse_qs(urlsplit(to_keycloak.location).query)["state"][0]
    with client.session_transaction() as cookie:
        nonce = cookie["gerbang_login_pending"][client_id][state]["nonce"]
    issuer = f"{services.settings.keycloak_browser_url.rstrip('/')}/realms/{portal.realm}"
    asked: list[dict[str, Any]] = []

    class Keycloak:
        def token(self, **_: object) -> dict[str, object]:
            return {"id_token": "id", "access_token": "at", "refresh_expires_in": 1800}

        def decode_token(self, _: str, **options: Any) -> dict[str, object]:
            asked.append(options)
            return {"sub": sub, "nonce": nonce, "azp": client_id, "iss": issuer,
                    "aud": client_id, "realm_access": {"roles": []},
                    **({"locale": locale} if locale else {}), **({"sid": sid} if sid else {})}

    monkeypatch.setattr(portal_login, "_openid", lambda _client: Keycloak())
    before_callback()
    answer = client.get(f"/{portal.path}/oidc/callback?state={state}&code=abc")
    return answer, asked


def test_x9_a_login_pins_the_token_signature(client: FlaskClient, services: Services,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    answer, asked = _through_keycloak(client, monkeypatch, services, sub="u1")
    assert answer.status_code == 302
    assert asked == [{"algs": TOKEN_ALGORITHMS}] * 2  # the ID token and the access token


def test_x9_the_cookie_lives_no_longer_than_a_login(client: FlaskClient, services: Services,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    answer, _ = _through_keycloak(client, monkeypatch, services, sub="u1")
    cookie = next(h for h in answer.headers.getlist("Set-Cookie")
                  if h.startswith("gerbang_session="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires <= datetime.now(UTC) + timedelta(seconds=MAX_LOCAL_SESSION_SECONDS + 60)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_x9_an_answer_to_a_login_started_too_long_ago_is_refused(
        client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch,
        clock: Any) -> None:
    answer, _ = _through_keycloak(
        client, monkeypatch, services, sub="u1",
        before_callback=lambda: clock.advance(seconds=PENDING_LOGIN_SECONDS + 1))
    assert answer.status_code == 400
    assert client.get("/akses/rahasia").status_code == 302  # not logged in


def test_x9_another_persons_login_in_the_cookie_ends_at_the_next_login(
        app: Any, client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch,
        log_in: Callable[..., str]) -> None:
    """A shared computer: B logs in to OSS where A is logged in to AKSes. A's login leaves
    the cookie and ends, so a copy of the cookie taken before does not keep it; A's login
    on A's own phone is not this browser's to end."""
    earlier = log_in(client, sub="person-a")
    phone = app.test_client()
    on_the_phone = log_in(phone, sub="person-a")
    _through_keycloak(client, monkeypatch, services, sub="person-b", client_id="oss-portal")
    assert services.portal_sessions.current(earlier) is None
    assert services.portal_sessions.current(on_the_phone) is not None
    with client.session_transaction() as cookie:
        assert set(cookie[SESSION_KEY]) == {"oss-portal"}


def test_x9_a_form_token_from_before_the_login_is_not_taken_after_it(
        client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch,
        csrf_token: Callable[[], str]) -> None:
    before = csrf_token()
    _through_keycloak(client, monkeypatch, services, sub="u1")
    assert client.post("/akses/keluar", data={"csrf_token": before}).status_code == 400
    assert client.post("/akses/keluar", data={"csrf_token": csrf_token()}).status_code == 302


def test_x9_logging_out_leaves_nothing_of_this_browser_in_the_cookie(
        client: FlaskClient, csrf_token: Callable[[], str], log_in: Callable[..., str]) -> None:
    token = csrf_token()
    log_in(client)
    with client.session_transaction() as cookie:
        cookie["bsre_set_passphrase"] = "a-link-token"  # a link opened, a registration begun
        cookie["insw_registration"] = "a-registration-token"
    assert client.post("/akses/keluar", data={"csrf_token": token}).status_code == 302
    with client.session_transaction() as cookie:
        assert dict(cookie) == {}


@pytest.mark.parametrize("claim, remembered", [("en", "en"), ("id", "id"), ("fr", None),
                                               (None, None)])
def test_c5_the_language_chosen_on_keycloaks_login_page_carries_to_the_portal(
        client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch,
        claim: str | None, remembered: str | None) -> None:
    """Keycloak keeps a language picked on its login page as the account's locale, in the ID
    token; the sidecar's pages follow it after the login (a newcomer picked English there and
    got Indonesian pages). An unsupported one changes nothing."""
    answer, _asked = _through_keycloak(client, monkeypatch, services, sub="u1", locale=claim)
    assert answer.status_code == 302
    cookie = client.get_cookie("gerbang_lang")
    assert (cookie.value if cookie else None) == remembered


def test_x9_logins_under_way_in_two_tabs_both_come_back(
        client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """A renewal starts a login in every tab opened meanwhile: the second tab's must not
    replace the first one's (its answer was refused as "login failed")."""
    starts = [client.get(f"/akses/masuk?next=/akses/{page}") for page in ("a", "b")]
    states = [parse_qs(urlsplit(s.location).query)["state"][0] for s in starts]
    with client.session_transaction() as cookie:
        nonces = {st: cookie["gerbang_login_pending"]["akses-portal"][st]["nonce"]
                  for st in states}
    issuer = f"{services.settings.keycloak_browser_url.rstrip('/')}/realms/akses"
    answering: list[str] = []

    class Keycloak:
        def token(self, **_: object) -> dict[str, object]:
            return {"id_token": "id", "access_token": "at", "refresh_expires_in": 1800}

        def decode_token(self, _: str, **_options: Any) -> dict[str, object]:
            return {"sub": "u1", "nonce": nonces[answering[-1]], "azp": "akses-portal",
                    "iss": issuer, "aud": "akses-portal", "realm_access": {"roles": []}}

    monkeypatch.setattr(portal_login, "_openid", lambda _client: Keycloak())
    for state, page in zip(reversed(states), ("b", "a"), strict=True):  # any order
        answering.append(state)
        back = client.get(f"/akses/oidc/callback?state={state}&code=abc")
        assert back.status_code == 302 and back.location == f"/akses/{page}"
    # More tabs than that (another browser): the oldest login under way goes, the cookie
    # stays small.
    other = client.application.test_client()
    for _ in range(portal_login.MAX_PENDING_LOGINS + 2):
        other.get("/akses/masuk")
    with other.session_transaction() as cookie:
        assert len(cookie["gerbang_login_pending"]["akses-portal"]) == \
            portal_login.MAX_PENDING_LOGINS


def test_x9_a_renewal_keeps_the_form_token_and_another_account_gets_a_new_one(
        client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch,
        clock: Any, csrf_token: Callable[[], str]) -> None:
    """Forms open in other tabs go through a renewal of the same login; a login of another
    account (Keycloak's session changed hands) gets a form token of its own."""
    from gerbang_sidecar.ports.keycloak import NewUser

    keycloak = services.keycloak
    user_id = keycloak.create_user("akses", NewUser(username="a@example.test",
                                                    email="a@example.test", first_name="A"))
    sid = keycloak.start_session("akses", user_id)  # type: ignore[attr-defined]
    def form_token() -> str:
        """The token behind the forms' rendered ones (those carry the second they were
        rendered in, so two renderings differ across a second)."""
        csrf_token()
        with client.session_transaction() as cookie:
            return str(cookie["csrf_token"])

    _through_keycloak(client, monkeypatch, services, sub=user_id, sid=sid)
    token = form_token()
    clock.advance(minutes=16)
    renewed, _ = _through_keycloak(client, monkeypatch, services, sub=user_id, sid=sid,
                                   start="/akses/rahasia")
    assert renewed.location == "/akses/rahasia" and form_token() == token
    clock.advance(minutes=16)
    _through_keycloak(client, monkeypatch, services, sub="someone-else", sid="other",
                      start="/akses/rahasia")
    assert form_token() != token
