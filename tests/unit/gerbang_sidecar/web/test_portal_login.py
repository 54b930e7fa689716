from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from flask.testing import FlaskClient

from gerbang_sidecar.web.portal_login import PENDING_KEY, SESSION_KEY


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
    with client.session_transaction() as session:
        pending = session[PENDING_KEY]["akses-portal"]
    assert pending["state"] == query["state"] and pending["nonce"] == query["nonce"]
    assert pending["next"] == "/akses/"


def test_a8_easy_uses_its_own_client_and_path(client: FlaskClient) -> None:
    query = _query(client.get("/easy/masuk").headers["Location"])
    assert query["client_id"] == "easy"
    assert query["redirect_uri"] == "https://sidecar.example.test/easy/oidc/callback"


def test_protected_page_sends_to_login_and_remembers_the_page(client: FlaskClient) -> None:
    response = client.get("/akses/rahasia?tab=1")
    assert response.status_code == 302 and "openid-connect/auth" in response.headers["Location"]
    with client.session_transaction() as session:
        assert session[PENDING_KEY]["akses-portal"]["next"] == "/akses/rahasia?tab=1"


def test_next_must_stay_on_this_site(client: FlaskClient) -> None:
    client.get("/akses/masuk?next=//evil.example/")
    with client.session_transaction() as session:
        assert session[PENDING_KEY]["akses-portal"]["next"] == "/akses/"


def test_callback_with_a_foreign_state_is_refused_themed(client: FlaskClient) -> None:
    client.get("/akses/masuk")
    response = client.get("/akses/oidc/callback?state=forged&code=abc")
    assert response.status_code == 400
    assert "Gagal masuk" in response.get_data(as_text=True)


def test_callback_without_a_pending_login_is_refused(client: FlaskClient) -> None:
    assert client.get("/oss/oidc/callback?state=x&code=y").status_code == 400


def test_logged_in_user_reaches_the_page(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"akses-portal": {
            "sub": "u1", "username": "budi@example.test", "name": "Budi", "email": None,
            "roles": ["investor"], "id_token": "t", "expires_at": 4_000_000_000}}
    assert client.get("/akses/rahasia").get_data(as_text=True) == "secret"
    assert "Budi" in client.get("/akses/").get_data(as_text=True)


def test_expired_login_asks_again(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"akses-portal": {
            "sub": "u1", "username": "b", "name": "B", "email": None, "roles": [],
            "id_token": "t", "expires_at": 1}}
    assert client.get("/akses/rahasia").status_code == 302


def test_logout_forgets_every_login_and_ends_keycloak_session(
        client: FlaskClient, csrf_token: Callable[[], str]) -> None:
    login = {"sub": "u1", "username": "b", "name": "B", "email": None, "roles": [],
             "id_token": "the-id-token", "expires_at": 4_000_000_000}
    token = csrf_token()
    with client.session_transaction() as session:
        session[SESSION_KEY] = {"akses-portal": login, "easy": login}
    response = client.post("/akses/keluar", data={"csrf_token": token})
    query = _query(response.headers["Location"])
    assert response.headers["Location"].startswith(
        "https://login.example.test/realms/akses/protocol/openid-connect/logout?")
    assert query["id_token_hint"] == "the-id-token"
    assert query["post_logout_redirect_uri"] == "https://sidecar.example.test/akses/"
    with client.session_transaction() as session:
        # eASY's login must not outlive Beranda's logout (a shared computer).
        assert session.get(SESSION_KEY, {}) == {}


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
    with client.session_transaction() as session:
        assert session["gerbang_login_pending"]["akses-portal"]["next"] == "/akses/"
