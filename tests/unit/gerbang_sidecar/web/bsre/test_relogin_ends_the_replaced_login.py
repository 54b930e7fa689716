"""X9: a new login through the callback ends the login it replaces in the cookie, so a copy
of the cookie taken before (a password change logs in again on the same Keycloak session,
which Keycloak's "sign out other devices" keeps) stops working."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.web import portal_login
from gerbang_sidecar.wiring import Services

from .conftest import csrf


def test_x9_a_password_change_ends_the_login_a_copied_cookie_holds(
        app: Flask, log_in: Any, services: Services, fake_keycloak: FakeKeycloakUsers,
        monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = fake_keycloak.create_user("bsre", NewUser(
        username="y@bssn.go.id", email="y@bssn.go.id", first_name="Y"))
    keycloak_session = fake_keycloak.start_session("bsre", user_id)
    browser = app.test_client()
    copied = log_in(browser, sub=user_id, client_id="bsre-portal",
                    keycloak_session=keycloak_session)
    token = csrf(browser.get("/bsre/keamanan").get_data(as_text=True))
    to_keycloak = browser.post("/bsre/keamanan/kata-sandi", data={"csrf_token": token})
    state = parse_qs(urlsplit(to_keycloak.location).query)["state"][0]
    with browser.session_transaction() as cookie:
        nonce = cookie["gerbang_login_pending"]["bsre-portal"][state]["nonce"]
    issuer = f"{services.settings.keycloak_browser_url.rstrip('/')}/realms/bsre"

    class KeycloakAfterThePasswordChange:
        """The code exchange and the tokens, as Keycloak answers them."""

        def token(self, **_: object) -> dict[str, object]:
            return {"id_token": "id", "access_token": "at", "refresh_expires_in": 1800}

        def decode_token(self, _: str, **_options: object) -> dict[str, object]:
            return {"sub": user_id, "nonce": nonce, "azp": "bsre-portal", "iss": issuer,
                    "aud": "bsre-portal", "sid": keycloak_session,
                    "realm_access": {"roles": []}}

    monkeypatch.setattr(portal_login, "_openid", lambda client: KeycloakAfterThePasswordChange())
    assert browser.get(f"/bsre/oidc/callback?state={state}&code=abc").status_code == 302
    with browser.session_transaction() as cookie:
        fresh = cookie["gerbang_login"]["bsre-portal"]
    assert fresh != copied
    assert services.portal_sessions.current(copied) is None
    assert services.portal_sessions.current(fresh) is not None
