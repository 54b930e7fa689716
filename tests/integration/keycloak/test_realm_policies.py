"""The realm settings do what SPEC asks, proven through Keycloak itself (C1, C3, B8, brute force,
least privilege)."""

from __future__ import annotations

import secrets

import pyotp
import pytest
import requests

from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import ApiError, KeycloakApi
from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret
from support.oidc_login import BrowserLogin
from support.otp import otp_credential

pytestmark = pytest.mark.keycloak
GOOD_PASSWORD = "Rahasia#2026"


def make_user(api: KeycloakApi, realm: str, password: str | None = GOOD_PASSWORD) -> dict:
    username = f"user-{secrets.token_hex(4)}"
    api.post(f"/{realm}/users", {
        "username": username, "email": f"{username}@example.test", "emailVerified": True,
        "firstName": "Uji Coba", "enabled": True,
    })
    user = api.get(f"/{realm}/users", username=username, exact="true")[0]
    if password:
        api.put(f"/{realm}/users/{user['id']}/reset-password",
                {"type": "password", "value": password, "temporary": False})
    return user


def set_password(api: KeycloakApi, realm: str, user_id: str, password: str) -> None:
    api.put(f"/{realm}/users/{user_id}/reset-password",
            {"type": "password", "value": password, "temporary": False})


@pytest.mark.parametrize(("weak", "why"), [
    ("Ab1#xyz", "shorter than 8"),
    ("rahasia#2026", "no uppercase letter"),
    ("RAHASIA#2026", "no lowercase letter"),
    ("Rahasia#Dua", "no digit"),
    ("Rahasia2026", "no special character"),
])
def test_c1_password_policy_rejects_each_weak_kind(admin_api: KeycloakApi,
                                                   provisioned: list[RealmSpec],
                                                   weak: str, why: str) -> None:
    user = make_user(admin_api, "akses", password=None)
    with pytest.raises(ApiError, match="400"):
        set_password(admin_api, "akses", user["id"], weak)


def test_c1_password_equal_to_username_is_rejected(admin_api: KeycloakApi,
                                                   provisioned: list[RealmSpec]) -> None:
    username = f"budi.santoso-{secrets.randbelow(10_000):04d}"
    admin_api.post("/oss/users", {"username": username, "firstName": "Uji", "enabled": True})
    user = admin_api.get("/oss/users", username=username, exact="true")[0]
    # Every other rule is met, so only notUsername (case-insensitive) can refuse it.
    with pytest.raises(ApiError, match="400"):
        set_password(admin_api, "oss", user["id"], username.capitalize())


def test_c1_reused_password_is_rejected_and_good_one_accepted(
        admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    user = make_user(admin_api, "akses")
    with pytest.raises(ApiError, match="400"):
        set_password(admin_api, "akses", user["id"], GOOD_PASSWORD)
    set_password(admin_api, "akses", user["id"], "Lain-Lagi#2027")


def test_c3_login_with_username_or_email(keycloak, admin_api: KeycloakApi, sidecar_url: str,
                                         provisioned: list[RealmSpec]) -> None:
    user = make_user(admin_api, "akses")
    for identifier in (user["username"], user["email"]):
        login = BrowserLogin(keycloak.url, "akses", "akses-portal",
                             f"{sidecar_url}/akses/oidc/callback")
        assert login.password(identifier, GOOD_PASSWORD).code, identifier


def test_brute_force_locks_the_account_after_configured_failures(
        keycloak, admin_api: KeycloakApi, sidecar_url: str,
        provisioned: list[RealmSpec]) -> None:
    failures = admin_api.get("/akses")["failureFactor"]
    user = make_user(admin_api, "akses")
    for _ in range(failures):
        login = BrowserLogin(keycloak.url, "akses", "akses-portal",
                             f"{sidecar_url}/akses/oidc/callback")
        assert login.password(user["username"], "Salah#Sandi1").code is None
    status = admin_api.get(f"/akses/attack-detection/brute-force/users/{user['id']}")
    assert status["disabled"] is True
    login = BrowserLogin(keycloak.url, "akses", "akses-portal",
                         f"{sidecar_url}/akses/oidc/callback")
    assert login.password(user["username"], GOOD_PASSWORD).code is None


def _refused_without_a_device(keycloak, realm: str, username: str, redirect: str) -> None:  # type: ignore[no-untyped-def]
    """The password is right, yet no login and no device set-up: the Helpdesk path."""
    refused = BrowserLogin(keycloak.url, realm, f"{realm}-portal", redirect).password(
        username, GOOD_PASSWORD)
    assert refused.code is None
    assert "kc-totp-settings-form" not in refused.html
    assert "belum memiliki perangkat OTP" in refused.html


def _logs_in_with_the_code(keycloak, realm: str, username: str, app: pyotp.TOTP,  # type: ignore[no-untyped-def]
                           redirect: str) -> None:
    login = BrowserLogin(keycloak.url, realm, f"{realm}-portal", redirect)
    asked = login.password(username, GOOD_PASSWORD)
    assert asked.code is None and 'id="kc-otp-login-form"' in asked.html
    assert login.submit(asked, "kc-otp-login-form", otp=app.now()).code


def test_b8_b9_bsre_asks_for_otp_at_every_login_and_never_enrols_one_at_login(
        keycloak, admin_api: KeycloakApi, sidecar_url: str,
        provisioned: list[RealmSpec]) -> None:
    user = make_user(admin_api, "bsre")
    redirect = f"{sidecar_url}/bsre/oidc/callback"
    # No device: the password alone neither logs in nor sets one up (a stolen password after
    # a B11 reactivation would otherwise enrol the thief's phone); the Helpdesk path it is.
    _refused_without_a_device(keycloak, "bsre", user["username"], redirect)
    # A device set up through the emailed link (here: stored by an administrator): every
    # login stops at the OTP form, and the code from the device completes it.
    app = _otp_device(admin_api, "bsre", user)
    _logs_in_with_the_code(keycloak, "bsre", user["username"], app, redirect)


def test_sidecar_service_account_manages_users_but_not_the_realm(
        keycloak, realm_env: dict[str, str], provisioned: list[RealmSpec]) -> None:
    token = requests.post(
        f"{keycloak.url}/realms/akses/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "gerbang-sidecar",
              "client_secret": realm_client_secret(realm_env["SIDECAR_CLIENT_SECRET"], "akses")},
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{keycloak.url}/admin/realms/akses"
    username = f"sa-{secrets.token_hex(4)}"
    created = requests.post(f"{base}/users", headers=headers, timeout=10,
                            json={"username": username, "firstName": "Uji", "enabled": True})
    assert created.status_code == 201
    assert requests.get(f"{base}/users", params={"q": "nik:3171015203900001"},
                        headers=headers, timeout=10).status_code == 200
    assert requests.put(base, headers=headers, json={"registrationAllowed": True},
                        timeout=10).status_code == 403
    assert requests.post(f"{base}/clients", headers=headers, json={"clientId": "rogue"},
                         timeout=10).status_code == 403


@pytest.mark.parametrize("realm", ["akses", "oss", "insw", "bsre"])
def test_b8_x2_no_realm_answers_password_grants(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec], realm: str) -> None:
    """Not even Keycloak's built-in admin-cli: a token endpoint that takes passwords would be
    a guessing machine past the login page's captcha and limits (and BSrE's OTP, B8)."""
    user = make_user(admin_api, realm)
    answer = requests.post(f"{keycloak.url}/realms/{realm}/protocol/openid-connect/token", data={
        "grant_type": "password", "client_id": "admin-cli", "username": user["username"],
        "password": GOOD_PASSWORD}, timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (400, "unauthorized_client")


def test_b8_bsre_denies_password_grants_even_to_a_client_that_allows_them(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """BSrE's direct-grant flow is deny-access: a client given password grants by mistake
    still gets no token without the browser's OTP step."""
    client_id = f"mistake-{secrets.token_hex(3)}"
    admin_api.post("/bsre/clients", {"clientId": client_id, "publicClient": True,
                                     "directAccessGrantsEnabled": True,
                                     "standardFlowEnabled": False})
    [client] = admin_api.get("/bsre/clients", clientId=client_id)
    try:
        user = make_user(admin_api, "bsre")
        answer = requests.post(f"{keycloak.url}/realms/bsre/protocol/openid-connect/token",
                               data={"grant_type": "password", "client_id": client_id,
                                     "username": user["username"],
                                     "password": GOOD_PASSWORD}, timeout=10)
        assert answer.status_code == 401, answer.text
        assert "access_token" not in answer.text
    finally:
        admin_api.delete(f"/bsre/clients/{client['id']}")


def test_b13_users_cannot_change_their_own_email(admin_api: KeycloakApi,
                                                 provisioned: list[RealmSpec]) -> None:
    for realm in ("akses", "bsre", "oss", "insw"):
        email = next(a for a in admin_api.get(f"/{realm}/users/profile")["attributes"]
                     if a["name"] == "email")
        assert email["permissions"]["edit"] == ["admin"], realm


def _otp_device(admin_api: KeycloakApi, realm: str, user: dict) -> pyotp.TOTP:
    credential, app = otp_credential("HP Kantor")
    admin_api.put(f"/{realm}/users/{user['id']}", {
        "username": user["username"], "email": user["email"], "firstName": user["firstName"],
        "enabled": True, "emailVerified": True, "credentials": [credential]})
    return app


def test_i4_an_insw_reviewer_logs_in_only_with_an_otp_code(
        keycloak, admin_api: KeycloakApi, sidecar_url: str,
        provisioned: list[RealmSpec]) -> None:
    """The reviewer sees every pending registration's NIK, NPWP and power of attorney: a
    password alone is not enough, and it cannot enrol a device either."""
    redirect = f"{sidecar_url}/insw/oidc/callback"
    reviewer = make_user(admin_api, "insw")
    admin_api.post(f"/insw/users/{reviewer['id']}/role-mappings/realm",
                   [admin_api.get("/insw/roles/reviewer")])
    _refused_without_a_device(keycloak, "insw", reviewer["username"], redirect)
    app = _otp_device(admin_api, "insw", reviewer)
    _logs_in_with_the_code(keycloak, "insw", reviewer["username"], app, redirect)
    # An organisation's user logs in with the password, as before.
    member = make_user(admin_api, "insw")
    assert BrowserLogin(keycloak.url, "insw", "insw-portal", redirect).password(
        member["username"], GOOD_PASSWORD).code
