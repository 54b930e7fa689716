"""B9 on the real Keycloak (R10): a fourth OTP device -- added through the Admin API, through
an application-initiated CONFIGURE_TOTP (what the account console and Keycloak's required
action run), or requested through the sidecar's own path -- leaves exactly three, the oldest
gone."""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Iterator

import pyotp
import pytest

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.ports.clock import utc_now
from gerbang_sidecar.services.bsre.otp_devices import OtpDeviceCap, OtpDeviceReconciler
from support.oidc_login import BrowserLogin
from support.otp import otp_credential

pytestmark = pytest.mark.keycloak
PASSWORD = "Benar#Sandi2025"
# Keycloak stores events asynchronously to the request: a poll, bounded, never a fixed wait.
DEADLINE_SECONDS = 20.0


@pytest.fixture
def storage(sqlite_url: str) -> Iterator[Storage]:
    store = Storage.create(sqlite_url, StorageKeys.from_settings(secrets.token_urlsafe(32),
                                                                 secrets.token_urlsafe(32)))
    yield store
    store.dispose()


@pytest.fixture
def http_users(keycloak: KeycloakServer, provisioned: list[RealmSpec],
               realm_env: dict[str, str]) -> HttpKeycloakUsers:
    return HttpKeycloakUsers(keycloak.url, "gerbang-sidecar", realm_env["SIDECAR_CLIENT_SECRET"],
                             timeout=10)


def _civil_servant(admin_api: KeycloakApi, labels: list[str]) -> tuple[dict, dict[str, pyotp.TOTP]]:
    email = f"otp.{secrets.token_hex(4)}@example.go.id"
    first, app = otp_credential(labels[0])
    admin_api.post("/bsre/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Aparatur Uji", "credentials": [
            {"type": "password", "value": PASSWORD, "temporary": False}, first]})
    user = admin_api.get("/bsre/users", username=email, exact="true")[0]
    apps = {labels[0]: app}
    for label in labels[1:]:
        apps[label] = _add_by_admin_api(admin_api, user, label)
    return user, apps


def _add_by_admin_api(admin_api: KeycloakApi, user: dict, label: str) -> pyotp.TOTP:
    """An administrator stores one more OTP credential on the user (PUT users/{id})."""
    credential, app = otp_credential(label)
    admin_api.put(f"/bsre/users/{user['id']}", {**_editable(user), "credentials": [credential]})
    return app


def _editable(user: dict) -> dict:
    return {k: user[k] for k in ("username", "email", "firstName", "enabled", "emailVerified")
            if k in user}


def _labels(http_users: HttpKeycloakUsers, user_id: str) -> list[str]:
    return [d.label for d in http_users.otp_devices("bsre", user_id)]


def _reconcile_until(reconciler: OtpDeviceReconciler, http_users: HttpKeycloakUsers,
                     user_id: str, expected: list[str]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while _labels(http_users, user_id) != expected:
        assert time.monotonic() < deadline, _labels(http_users, user_id)
        reconciler.run()


def test_b9_r10_a_fourth_device_through_the_admin_api_leaves_three_the_oldest_gone(
        admin_api: KeycloakApi, http_users: HttpKeycloakUsers, storage: Storage) -> None:
    user, _ = _civil_servant(admin_api, ["HP Lama", "HP Kantor", "Tablet"])
    assert _labels(http_users, user["id"]) == ["HP Lama", "HP Kantor", "Tablet"]
    reconciler = OtpDeviceReconciler(storage, http_users,
                                     OtpDeviceCap(storage, http_users, utc_now), utc_now)
    _add_by_admin_api(admin_api, user, "HP Baru")
    assert len(_labels(http_users, user["id"])) == 4  # Keycloak itself has no cap
    _reconcile_until(reconciler, http_users, user["id"], ["HP Kantor", "Tablet", "HP Baru"])


def test_b9_r10_a_fourth_device_set_up_on_keycloaks_own_page_leaves_three(
        keycloak: KeycloakServer, admin_api: KeycloakApi, http_users: HttpKeycloakUsers,
        storage: Storage, sidecar_url: str) -> None:
    user, apps = _civil_servant(admin_api, ["HP Lama", "HP Kantor", "Tablet"])
    reconciler = OtpDeviceReconciler(storage, http_users,
                                     OtpDeviceCap(storage, http_users, utc_now), utc_now)
    login = BrowserLogin(keycloak.url, "bsre", "bsre-portal", f"{sidecar_url}/bsre/oidc/callback")
    otp_page = login.password(user["username"], PASSWORD)
    chosen = http_users.otp_devices("bsre", user["id"])[-1]  # "Tablet", picked by its name
    assert "Tablet" in otp_page.html
    done = login.submit(otp_page, "kc-otp-login-form", selectedCredentialId=chosen.id,
                        otp=apps["Tablet"].now())
    assert done.code is not None, done.html[:2000]
    # What the account console's "Set up authenticator application" runs.
    setup = login.open(kc_action="CONFIGURE_TOTP")
    secret = re.search(r'name="totpSecret"[^>]*value="([^"]+)"', setup.html) or \
        re.search(r'id="totpSecret"[^>]*value="([^"]+)"', setup.html)
    assert secret, setup.html[:3000]
    app = pyotp.TOTP(base64.b32encode(secret.group(1).encode()).decode())
    finished = login.submit(setup, "kc-totp-settings-form", totp=app.now(), userLabel="HP Baru")
    assert finished.code is not None, finished.html[:3000]
    _reconcile_until(reconciler, http_users, user["id"], ["HP Kantor", "Tablet", "HP Baru"])


def test_b9_r10_the_sidecar_path_makes_room_before_the_new_device(
        admin_api: KeycloakApi, http_users: HttpKeycloakUsers, storage: Storage) -> None:
    user, _ = _civil_servant(admin_api, ["HP Lama", "HP Kantor", "Tablet"])
    removed = OtpDeviceCap(storage, http_users, utc_now).enforce(
        user["id"], room_for=1, reason="permohonan_otp")
    assert [d.label for d in removed] == ["HP Lama"]
    _add_by_admin_api(admin_api, user, "HP Baru")
    assert _labels(http_users, user["id"]) == ["HP Kantor", "Tablet", "HP Baru"]
    # B7: the sidecar mailed the owner about its own removal; its admin event is not read
    # back as an administrator's change (which would mail a second, wrong notice).
    changes = [c for c in http_users.credential_changes("bsre", since_ms=0)
               if c.user_id == user["id"] and c.by_admin]
    assert changes and all(c.kind == "user" for c in changes)  # only the PUTs of the test
