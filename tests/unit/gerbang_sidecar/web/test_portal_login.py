from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import pytest
from flask.testing import FlaskClient

from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.web.portal_login import PENDING_KEY, SESSION_KEY


def _pending(client: FlaskClient, state: str | None = None) -> dict:  # type: ignore[type-arg]
    """akses-portal's login under way: the one of ``state``, else the newest."""
    with client.session_transaction() as session:
        mine = session[PENDING_KEY]["akses-portal"]
    if state is not None:
        return mine[state]
    return max(mine.values(), key=lambda p: p["started"])


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_c3_login_redirects_to_keycloak_public_url_with_pkce(client: FlaskClient) -> None:
    response = client.get("/akses/masuk?lang=en")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(
        "https://login.example.test/realms/akses/protocol/openid-connect/auth?")
    query = _query(location)
    assert query["client_id"] == "akses-portal"
    assert query["redirect_uri"] == "https://sidecar.example.test/akses/oidc/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["response_type"] == "code" and query["scope"] == "openid"
    assert query["ui_locales"] == "en"
    pending = _pending(client, query["state"])
    assert pending["nonce"] == query["nonce"]
    assert pending["next"] == "/akses/beranda"  # A5: Beranda after the login


def test_a8_easy_uses_its_own_client_and_path(client: FlaskClient) -> None:
    query = _query(client.get("/easy/masuk").headers["Location"])
    assert query["client_id"] == "easy"
    assert query["redirect_uri"] == "https://sidecar.example.test/easy/oidc/callback"


def test_protected_page_sends_to_login_and_remembers_the_page(client: FlaskClient) -> None:
    response = client.get("/akses/rahasia?tab=1")
    assert response.status_code == 302 and "openid-connect/auth" in response.headers["Location"]
    assert _pending(client)["next"] == "/akses/rahasia?tab=1"


def test_next_must_stay_on_this_site(client: FlaskClient) -> None:
    client.get("/akses/masuk?next=//evil.example/")
    assert _pending(client)["next"] == "/akses/beranda"


def test_callback_with_a_foreign_state_is_refused_themed(client: FlaskClient) -> None:
    client.get("/akses/masuk")
    response = client.get("/akses/oidc/callback?state=forged&code=abc")
    assert response.status_code == 400
    assert "Gagal masuk" in response.get_data(as_text=True)


def test_callback_without_a_pending_login_is_refused(client: FlaskClient) -> None:
    assert client.get("/oss/oidc/callback?state=x&code=y").status_code == 400


def test_logged_in_user_reaches_the_page(client: FlaskClient, log_in) -> None:
    log_in(client, roles=("investor",))
    assert client.get("/akses/rahasia").get_data(as_text=True) == "secret"
    start = client.get("/akses/").get_data(as_text=True)
    assert "Budi" in start
    # A5: the start page of one already logged in leads on to Beranda.
    assert 'id="open-portal" href="/akses/beranda"' in start


def test_expired_login_asks_again(client: FlaskClient, log_in, clock) -> None:
    log_in(client, minutes=5)
    clock.advance(minutes=5)
    assert client.get("/akses/rahasia").status_code == 302


def test_x9_the_cookie_holds_a_key_not_the_login(client: FlaskClient, log_in) -> None:
    key = log_in(client, name="Budi Rahasia")
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == {"akses-portal": key}
    assert client.get("/akses/rahasia").status_code == 200
    # A forged entry (the old cookie shape) is no login at all.
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"akses-portal": {"sub": "u1", "roles": ["investor"]}}
    assert client.get("/akses/rahasia").status_code == 302


def test_x9_logout_ends_every_login_of_the_account_and_keycloak_session(
        app, client: FlaskClient, csrf_token: Callable[[], str], log_in) -> None:
    token = csrf_token()
    log_in(client, id_token="the-id-token")
    log_in(client, client_id="easy")
    copied = app.test_client()  # a copy of the cookie (another device, a stolen cookie)
    with client.session_transaction() as original, copied.session_transaction() as copy:
        copy.update(original)
    other_device = app.test_client()
    log_in(other_device)
    response = client.post("/akses/keluar", data={"csrf_token": token})
    query = _query(response.headers["Location"])
    assert response.headers["Location"].startswith(
        "https://login.example.test/realms/akses/protocol/openid-connect/logout?")
    assert query["id_token_hint"] == "the-id-token"
    assert query["post_logout_redirect_uri"] == "https://sidecar.example.test/akses/"
    with client.session_transaction() as session:
        # eASY's login must not outlive Beranda's logout (a shared computer).
        assert session.get(SESSION_KEY, {}) == {}
    for browser in (copied, other_device):
        assert browser.get("/akses/rahasia").status_code == 302


def test_x9_keycloak_session_gone_ends_the_login(client: FlaskClient, log_in, clock,
                                                services) -> None:
    keycloak = services.keycloak
    user_id = keycloak.create_user("akses", NewUser(username="siti@example.test",
                                                    email="siti@example.test",
                                                    first_name="Siti"))
    sid = keycloak.start_session("akses", user_id)
    log_in(client, sub=user_id, keycloak_session=sid)
    assert client.get("/akses/rahasia").status_code == 200
    # A password reset on Keycloak's pages signed the other sessions out.
    keycloak.end_sessions("akses", user_id)
    assert client.get("/akses/rahasia").status_code == 200  # trusted until the recheck
    clock.advance(seconds=31)
    assert client.get("/akses/rahasia").status_code == 302
    clock.advance(seconds=31)
    assert client.get("/akses/rahasia").status_code == 302  # and the login is gone for good


def test_x9_disabled_account_ends_the_login(client: FlaskClient, log_in, clock,
                                           services) -> None:
    keycloak = services.keycloak
    user_id = keycloak.create_user("akses", NewUser(username="rudi@example.test",
                                                    email="rudi@example.test",
                                                    first_name="Rudi"))
    log_in(client, sub=user_id, keycloak_session=keycloak.start_session("akses", user_id))
    keycloak.users[("akses", user_id)] = replace(keycloak.users[("akses", user_id)],
                                                 enabled=False)
    clock.advance(seconds=31)
    assert client.get("/akses/rahasia").status_code == 302


def test_x9_keycloak_down_keeps_the_login_for_a_grace_period_only(
        client: FlaskClient, log_in, clock, services) -> None:
    keycloak = services.keycloak
    user_id = keycloak.create_user("akses", NewUser(username="dewi@example.test",
                                                    email="dewi@example.test",
                                                    first_name="Dewi"))
    log_in(client, sub=user_id, keycloak_session=keycloak.start_session("akses", user_id))
    keycloak.down = True
    clock.advance(minutes=2)
    assert client.get("/akses/rahasia").status_code == 200
    clock.advance(minutes=4)
    assert client.get("/akses/rahasia").status_code == 302


def test_logout_by_get_is_refused(client: FlaskClient) -> None:
    """A link on another site must not log users out."""
    assert client.get("/akses/keluar").status_code == 405


def test_logout_without_csrf_token_is_refused(client: FlaskClient) -> None:
    assert client.post("/akses/keluar").status_code == 400


@pytest.mark.parametrize("next_url", ["//evil.example", "/\\evil.example", "/\t/evil.example",
                                      "https://evil.example/", "/\r\n/x"])
def test_login_next_stays_on_this_site(client: FlaskClient, next_url: str) -> None:
    answer = client.get("/akses/masuk", query_string={"next": next_url})
    assert answer.status_code == 302
    assert _pending(client)["next"] == "/akses/beranda"


def test_r1_a_callback_state_with_non_ascii_characters_is_refused_not_a_500(
        client: FlaskClient) -> None:
    client.get("/akses/masuk")
    assert client.get("/akses/oidc/callback", query_string={"state": "\x80é", "code": "c"}
                      ).status_code == 400


def _signed_in_with_a_keycloak_session(client: FlaskClient, log_in, services,
                                       minutes: float = 30) -> str:
    keycloak = services.keycloak
    user_id = keycloak.create_user("akses", NewUser(username="ayu@example.test",
                                                    email="ayu@example.test",
                                                    first_name="Ayu"))
    log_in(client, sub=user_id, keycloak_session=keycloak.start_session("akses", user_id),
           minutes=minutes)
    return user_id


def test_x9_a_busy_user_is_renewed_through_keycloak_past_half_the_login(
        client: FlaskClient, log_in, clock, services, csrf_token: Callable[[], str]) -> None:
    """Keycloak does not see the sidecar's pages, so its session would idle out under a
    user busy on them: past half its life a login sends the next page through Keycloak's
    login again (silent while its session lives), which keeps that session alive."""
    _signed_in_with_a_keycloak_session(client, log_in, services)
    clock.advance(minutes=14)
    assert client.get("/akses/rahasia").status_code == 200
    clock.advance(minutes=2)
    renew = client.get("/akses/rahasia?tab=2")
    assert renew.status_code == 302
    assert renew.headers["Location"].startswith(
        "https://login.example.test/realms/akses/protocol/openid-connect/auth?")
    assert _pending(client)["next"] == "/akses/rahasia?tab=2"
    # A form sent meanwhile is served, not lost to a redirect.
    sent = client.post("/akses/rahasia", data={"csrf_token": csrf_token()})
    assert sent.status_code == 200 and sent.get_data(as_text=True) == "secret"


def test_x9_no_renewal_while_keycloak_cannot_be_reached(client: FlaskClient, log_in, clock,
                                                        services) -> None:
    """Sending the page to a Keycloak that is down would lose a login that still holds."""
    _signed_in_with_a_keycloak_session(client, log_in, services)
    clock.advance(minutes=14)
    assert client.get("/akses/rahasia").status_code == 200  # Keycloak answered
    services.keycloak.down = True
    clock.advance(minutes=2)
    assert client.get("/akses/rahasia").status_code == 200  # in the grace, not renewed


def test_x9_a_short_lived_login_is_not_renewed_again_and_again(client: FlaskClient, log_in,
                                                                 clock, services) -> None:
    """Near the end of Keycloak's longest session its answers live seconds: a login younger
    than a minute is not sent round again, whatever half its life is."""
    _signed_in_with_a_keycloak_session(client, log_in, services, minutes=100 / 60)
    clock.advance(seconds=55)  # past half its life, under a minute old
    assert client.get("/akses/rahasia").status_code == 200
    clock.advance(seconds=6)  # a minute old: renewed (it would still live 39 s)
    renew = client.get("/akses/rahasia")
    assert renew.status_code == 302 and "/protocol/openid-connect/auth?" in renew.location
