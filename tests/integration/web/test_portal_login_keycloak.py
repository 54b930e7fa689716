"""The sidecar's portal login against the real provisioned Keycloak: Keycloak's own login
form (driven with requests, as support.oidc_login does), our callback through Flask's test
client, then RP-initiated logout."""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import urljoin, urlparse

import pytest
import requests
from flask.testing import FlaskClient

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import Settings
from gerbang_sidecar.ports.keycloak import NewUser
from support.forms import form
from support.loopback_session import LoopbackSession
from support.oidc_login import BrowserLogin

pytestmark = pytest.mark.keycloak

PASSWORD = "Sandi-Kuat-2025"


@pytest.fixture
def sidecar(keycloak: KeycloakServer, provisioned: list[RealmSpec], realm_env: dict[str, str],
            sidecar_url: str, make_settings: Callable[..., Settings]) -> FlaskClient:
    app = create_app(make_settings(
        keycloak_backend="http", keycloak_url=keycloak.url, public_url=sidecar_url,
        keycloak_client_secret=realm_env["SIDECAR_CLIENT_SECRET"],
        portal_client_secrets={"akses-portal": realm_env["AKSES_PORTAL_CLIENT_SECRET"],
                               "easy": realm_env["EASY_CLIENT_SECRET"]},
        # X9 checked on every request here, so the test need not wait for a recheck.
        portal_session_recheck_seconds=0))
    return app.test_client()


@pytest.fixture
def investor(keycloak: KeycloakServer, provisioned: list[RealmSpec],
             realm_env: dict[str, str]) -> str:
    users = HttpKeycloakUsers(keycloak.url, "gerbang-sidecar", realm_env["SIDECAR_CLIENT_SECRET"])
    name = f"web{uuid.uuid4().hex[:10]}"
    user_id = users.create_user("akses", NewUser(
        username=f"{name}@example.test", email=f"{name}@example.test",
        first_name="Budi Santoso", email_verified=True, groups=("investor",)))
    users.set_password("akses", user_id, PASSWORD)
    return f"{name}@example.test"


def _keycloak_login(browser: requests.Session, auth_url: str, username: str,
                    sidecar_url: str) -> str:
    """Fill Keycloak's login form; return the redirect that leaves for the sidecar."""
    page = browser.get(auth_url)
    assert page.status_code == 200, page.text[:500]
    login_form = form(page.text, "kc-form-login")
    response = browser.post(login_form.action, allow_redirects=False,
                            data={**login_form.fields, "username": username,
                                  "password": PASSWORD})
    while response.is_redirect and not response.headers["Location"].startswith(sidecar_url):
        response = browser.get(response.headers["Location"], allow_redirects=False)
    assert response.is_redirect, re.findall(r'class="instruction">([^<]+)', response.text)
    return response.headers["Location"]


def _local(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}" if parsed.query else parsed.path


def test_c3_portal_login_through_keycloak_and_logout(sidecar: FlaskClient, investor: str,
                                                     sidecar_url: str) -> None:
    browser = LoopbackSession()
    start = sidecar.get("/akses/masuk")
    assert start.status_code == 302

    back = _keycloak_login(browser, start.headers["Location"], investor, sidecar_url)
    assert back.startswith(f"{sidecar_url}/akses/oidc/callback?")

    landed = sidecar.get(_local(back))
    assert landed.status_code == 302 and landed.headers["Location"] == "/akses/beranda"
    page = sidecar.get("/akses/").get_data(as_text=True)
    assert "Budi Santoso" in page and 'id="signed-in"' in page

    cookie = sidecar.get_cookie("gerbang_session")
    # X9: the cookie holds a key; the login (name, roles, ID token) lives in the database.
    assert cookie is not None and len(cookie.value) < 400
    assert "Budi" not in cookie.value and investor.split("@")[0] not in cookie.value

    home = sidecar.get("/akses/").get_data(as_text=True)
    logout = sidecar.post("/akses/keluar", data={"csrf_token": form(home).fields["csrf_token"]})
    ended = browser.get(logout.headers["Location"], allow_redirects=False)
    # With the id_token_hint Keycloak ends its session without a confirmation page.
    assert ended.is_redirect and ended.headers["Location"] == f"{sidecar_url}/akses/"
    assert 'id="signed-in"' not in sidecar.get("/akses/").get_data(as_text=True)


def test_c3_a_used_code_cannot_log_in_again(sidecar: FlaskClient, investor: str,
                                            sidecar_url: str) -> None:
    browser = LoopbackSession()
    back = _keycloak_login(browser, sidecar.get("/akses/masuk").headers["Location"], investor,
                           sidecar_url)
    assert sidecar.get(_local(back)).status_code == 302
    # Replaying the callback: the pending login is gone, so it is refused.
    replay = sidecar.get(_local(back))
    assert replay.status_code == 400


def _logged_in(sidecar: FlaskClient, investor: str, sidecar_url: str) -> LoopbackSession:
    browser = LoopbackSession()
    back = _keycloak_login(browser, sidecar.get("/akses/masuk").headers["Location"], investor,
                           sidecar_url)
    assert sidecar.get(_local(back)).status_code == 302
    assert sidecar.get("/akses/beranda").status_code == 200
    return browser


def _copy_of(sidecar: FlaskClient) -> FlaskClient:
    copied = sidecar.application.test_client()
    with sidecar.session_transaction() as original, copied.session_transaction() as copy:
        copy.update(original)
    return copied


def test_x9_a_cookie_copied_before_logout_stops_working(sidecar: FlaskClient, investor: str,
                                                        sidecar_url: str) -> None:
    _logged_in(sidecar, investor, sidecar_url)
    copied = _copy_of(sidecar)
    assert copied.get("/akses/beranda").status_code == 200
    home = sidecar.get("/akses/").get_data(as_text=True)
    sidecar.post("/akses/keluar", data={"csrf_token": form(home).fields["csrf_token"]})
    assert copied.get("/akses/beranda").status_code == 302


@pytest.mark.parametrize("ended_by", ["admin sign-out", "account disabled"])
def test_x9_keycloak_ending_the_session_ends_the_sidecar_login(
        sidecar: FlaskClient, investor: str, sidecar_url: str, admin_api, ended_by: str) -> None:  # type: ignore[no-untyped-def]
    _logged_in(sidecar, investor, sidecar_url)
    copied = _copy_of(sidecar)
    [user] = admin_api.get("/akses/users", username=investor, exact="true")
    if ended_by == "admin sign-out":  # what a password reset that signs out others does too
        admin_api.post(f"/akses/users/{user['id']}/logout", None)
    else:
        admin_api.put(f"/akses/users/{user['id']}", {**user, "enabled": False})
    assert sidecar.get("/akses/beranda").status_code == 302
    assert copied.get("/akses/beranda").status_code == 302


def test_x9_a_password_changed_on_another_device_ends_the_sidecar_login(
        sidecar: FlaskClient, investor: str, sidecar_url: str, keycloak: KeycloakServer) -> None:
    """The form as the browser sends it, nothing ticked: Keycloak signs the other devices
    out (our theme's hidden ``logout-sessions``), and the sidecar's logins follow."""
    _logged_in(sidecar, investor, sidecar_url)
    copied = _copy_of(sidecar)
    elsewhere = BrowserLogin(keycloak.url, "akses", "akses-portal",
                             f"{sidecar_url}/akses/oidc/callback")
    assert elsewhere.password(investor, PASSWORD).code is not None
    change = elsewhere.open(kc_action="UPDATE_PASSWORD")
    assert 'id="gb-logout-others"' in change.html
    done = elsewhere.submit(change, "kc-passwd-update-form", **{
        "password-new": "Sandi-Baru-2026", "password-confirm": "Sandi-Baru-2026"})
    assert done.code is not None  # back to the portal, still signed in on this device
    assert sidecar.get("/akses/beranda").status_code == 302
    assert copied.get("/akses/beranda").status_code == 302


def test_c5_english_picked_on_keycloaks_login_page_carries_to_beranda(
        sidecar: FlaskClient, investor: str, sidecar_url: str, keycloak: KeycloakServer,
        admin_api: KeycloakApi) -> None:
    """The sidecar sends ui_locales=id; the user picks English in Keycloak's language menu:
    Keycloak keeps it as the account's locale, in the ID token, and Beranda follows."""
    browser = LoopbackSession()
    start = sidecar.get("/akses/masuk")
    page = browser.get(start.headers["Location"])
    [english] = re.findall(r'value="([^"]*kc_locale=en)"', page.text)
    back = _keycloak_login(browser, urljoin(keycloak.url, html.unescape(english)), investor,
                           sidecar_url)
    landed = sidecar.get(_local(back))
    assert landed.headers["Location"] == "/akses/beranda"
    [user] = admin_api.get("/akses/users", username=investor, exact="true")
    assert user["attributes"]["locale"] == ["en"]
    assert sidecar.get_cookie("gerbang_lang").value == "en"  # type: ignore[union-attr]
    assert "Welcome" in sidecar.get("/akses/beranda").get_data(as_text=True)


def test_x9_a_busy_user_renews_the_login_silently_and_keycloaks_session_with_it(
        sidecar: FlaskClient, investor: str, sidecar_url: str, admin_api: KeycloakApi) -> None:
    """Past half its life a login sends the next page through Keycloak: no login form (its
    session lives), Keycloak's session is touched (so it does not idle out under a user
    busy on the sidecar's pages), and a form opened before still goes through."""
    from datetime import timedelta

    from gerbang_sidecar.adapters.storage.models import PortalSession
    from gerbang_sidecar.web.context import services

    browser = _logged_in(sidecar, investor, sidecar_url)
    open_form = form(sidecar.get("/akses/").get_data(as_text=True)).fields["csrf_token"]
    [user] = admin_api.get("/akses/users", username=investor, exact="true")
    [before] = admin_api.get(f"/akses/users/{user['id']}/sessions")
    while time.time() * 1000 < before["lastAccess"] + 1000:  # Keycloak counts in seconds
        time.sleep(0.05)
    with sidecar.application.app_context():
        storage = services().storage
    with storage.session_factory() as db, db.begin():
        [row] = db.query(PortalSession).all()
        first_expiry = row.expires_at
        row.created_at -= timedelta(hours=1)  # the login has lived past half its life

    renew = sidecar.get("/akses/beranda")
    assert renew.status_code == 302 and "/protocol/openid-connect/auth?" in renew.location
    back = browser.get(renew.location, allow_redirects=False)
    assert back.is_redirect and back.headers["Location"].startswith(
        f"{sidecar_url}/akses/oidc/callback?")  # silent: no login form
    assert sidecar.get(_local(back.headers["Location"])).location == "/akses/beranda"
    assert sidecar.get("/akses/beranda").status_code == 200

    [after] = admin_api.get(f"/akses/users/{user['id']}/sessions")
    assert after["id"] == before["id"] and after["lastAccess"] > before["lastAccess"]
    with storage.session_factory() as db:
        [row] = db.query(PortalSession).all()
        assert row.expires_at > first_expiry
    logout = sidecar.post("/akses/keluar", data={"csrf_token": open_form})
    assert logout.status_code == 302 and "/protocol/openid-connect/logout?" in logout.location
