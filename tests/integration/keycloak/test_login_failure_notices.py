"""C3, issue 8 item 8 on the real Keycloak: wrong passwords no longer mail one "Kesalahan
masuk" each; the sidecar reads the failures and mails the owner once, and not at all while
the account is locked."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.services.login_failure_notices import LoginFailureNotices
from support.clock import FakeClock
from support.oidc_login import BrowserLogin

pytestmark = pytest.mark.keycloak


@pytest.fixture
def storage(sqlite_url: str) -> Iterator[Storage]:
    store = Storage.create(sqlite_url, StorageKeys.from_settings(secrets.token_urlsafe(32),
                                                                 secrets.token_urlsafe(32)))
    yield store
    store.dispose()


def _user(admin_api: KeycloakApi) -> dict:
    email = f"gagal.{secrets.token_hex(4)}@example.com"
    admin_api.post("/akses/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Uji Gagal", "attributes": {"locale": ["id"]},
        "credentials": [{"type": "password", "value": "Benar#Sandi2025", "temporary": False}]})
    return admin_api.get("/akses/users", username=email, exact="true")[0]


def _wrong_passwords(keycloak, sidecar_url: str, email: str, times: int,  # type: ignore[no-untyped-def]
                     pause: float = 0.0) -> None:
    for _ in range(times):
        login = BrowserLogin(keycloak.url, "akses", "akses-portal",
                             f"{sidecar_url}/akses/oidc/callback")
        assert login.password(email, "Salah#Sandi2025").code is None
        time.sleep(pause)


def _notices(keycloak, realm_env: dict[str, str], storage, started_ms: int) -> LoginFailureNotices:  # type: ignore[no-untyped-def]
    users = HttpKeycloakUsers(keycloak.url, "gerbang-sidecar", realm_env["SIDECAR_CLIENT_SECRET"])
    clock = FakeClock()
    notices = LoginFailureNotices(storage, users, clock, ["akses"])
    notices._since["akses"] = started_ms  # read from the test's start, not the poller's
    return notices


def test_c3_failed_logins_make_one_notice_and_none_from_keycloak(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec], realm_env,  # type: ignore[no-untyped-def]
        sidecar_url: str, mailbox: MailSinkClient, storage) -> None:
    user = _user(admin_api)
    started = int(time.time() * 1000) - 1000
    # Slower than Keycloak's quick-login check (1 s), which would lock the account at once.
    _wrong_passwords(keycloak, sidecar_url, user["email"], times=2, pause=1.2)
    notices = _notices(keycloak, realm_env, storage, started)
    assert notices.run() == 1
    assert notices.run() == 0
    # Keycloak mailed nothing itself for the failures.
    time.sleep(1)
    assert mailbox.messages(to=user["email"]) == []


def test_c3_no_notice_while_the_account_is_locked(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec], realm_env,  # type: ignore[no-untyped-def]
        sidecar_url: str, storage) -> None:
    user = _user(admin_api)
    started = int(time.time() * 1000) - 1000
    failure_factor = admin_api.get("/akses")["failureFactor"]
    _wrong_passwords(keycloak, sidecar_url, user["email"], times=failure_factor + 2)
    assert admin_api.get(f"/akses/attack-detection/brute-force/users/{user['id']}")["disabled"]
    assert _notices(keycloak, realm_env, storage, started).run() == 0
