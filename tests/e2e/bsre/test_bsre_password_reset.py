"""BSrE forgot password in a real browser against the real Keycloak (B10, B8, B9, B7).

The attack this closes: someone holding only the mailbox used Keycloak's built-in reset flow,
which removed the OTP device ("reset-otp"), enrolled their own and logged in. The bsre realm
now binds "bsre reset credentials": email link, then the user's existing OTP code, then the
new password; a user without a device is refused.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import pyotp
import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.otp_device import authenticator_key, new_key, totp_credential
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

OLD_PASSWORD = "Lama#Sandi2024"
NEW_PASSWORD = "Baru#Sandi2025"
RESET_MAIL = "Atur ulang kata sandi"
NOTICE = "Pemberitahuan perubahan keamanan akun"


def make_civil_servant(api: KeycloakApi, *, otp_secret: str | None) -> dict:
    """A bsre account with a password and, when given, one TOTP device ("HP Kantor")."""
    email = f"asn.{secrets.token_hex(5)}@example.go.id"
    credentials: list[dict] = [{"type": "password", "value": OLD_PASSWORD, "temporary": False}]
    if otp_secret:
        credentials.append(totp_credential(otp_secret, "HP Kantor"))
    api.post("/bsre/users", {"username": email, "email": email, "emailVerified": True,
                             "enabled": True, "firstName": "Aparatur Uji",
                             "credentials": credentials})
    return api.get("/bsre/users", username=email, exact="true")[0]


def new_device() -> tuple[str, pyotp.TOTP]:
    """Keycloak's stored secret and the authenticator app holding it (its base32 form)."""
    key = new_key()
    return key, pyotp.TOTP(authenticator_key(key))


def otp_devices(api: KeycloakApi, user_id: str) -> list[dict]:
    return [c for c in api.get(f"/bsre/users/{user_id}/credentials") if c["type"] == "otp"]


def open_reset_link(page: Page, keycloak_url: str, sidecar_url: str, mailbox: MailSinkClient,
                    email: str, *, from_start_page: bool = False) -> None:
    """From the bsre login page (or the sidecar's BSrE start page): "Lupa kata sandi", the
    email, then the mailed link."""
    if from_start_page:
        page.goto(f"{sidecar_url}/bsre/")
        page.click("#forgot-password")
    else:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(
            secrets.token_urlsafe(48).encode()).digest()).rstrip(b"=").decode()
        query = urlencode({"client_id": "bsre-portal",
                           "redirect_uri": f"{sidecar_url}/bsre/oidc/callback",
                           "response_type": "code", "scope": "openid", "ui_locales": "id",
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        page.goto(f"{keycloak_url}/realms/bsre/protocol/openid-connect/auth?{query}")
        page.locator("a[href*='reset-credentials']").first.click()
    page.fill("#username", email)
    page.locator("input[type=submit], button[type=submit]").first.click()
    mail = mailbox.wait_for(email, subject_contains=RESET_MAIL, timeout=20)
    page.goto(mailbox.links(mail, containing="action-token")[0])


def test_b10_mailbox_alone_cannot_reset_the_password_or_the_otp_device(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient) -> None:
    secret, app = new_device()
    user = make_civil_servant(admin_api, otp_secret=secret)
    # Started from the sidecar's BSrE start page: its "Lupa kata sandi" is Keycloak's page.
    page.set_viewport_size({"width": 412, "height": 915})
    open_reset_link(page, keycloak.url, sidecar_server, mailbox, user["email"],
                    from_start_page=True)
    # The link leads to the OTP form, not to a new password nor to a new device.
    expect(page.locator("#otp")).to_be_visible()
    # On a phone the page does not scroll sideways (the hidden "restart login" tooltip did).
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    assert page.locator("#password-new").count() == 0
    assert page.locator("#kc-totp-secret-key, #totp").count() == 0
    # An attacker guesses: refused, and still no way around the code.
    wrong = f"{(int(app.now()) + 1) % 1_000_000:06d}"
    page.fill("#otp", wrong)
    page.locator("#kc-login, input[type=submit], button[type=submit]").first.click()
    expect(page.locator("#otp")).to_be_visible()
    assert page.locator("#password-new").count() == 0
    devices = otp_devices(admin_api, user["id"])
    assert [d["userLabel"] for d in devices] == ["HP Kantor"]
    assert "CONFIGURE_TOTP" not in admin_api.get(f"/bsre/users/{user['id']}")["requiredActions"]


def test_b10_reset_with_the_existing_otp_code_then_a_notice(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient) -> None:
    secret, app = new_device()
    user = make_civil_servant(admin_api, otp_secret=secret)
    open_reset_link(page, keycloak.url, sidecar_server, mailbox, user["email"])
    page.fill("#otp", app.now())
    page.locator("#kc-login, input[type=submit], button[type=submit]").first.click()
    expect(page.locator("#password-new")).to_be_visible()
    page.fill("#password-new", NEW_PASSWORD)
    page.fill("#password-confirm", NEW_PASSWORD)
    with page.expect_request(lambda r: r.url.startswith(f"{sidecar_server}/bsre/oidc/callback")):
        page.locator("input[type=submit], button[type=submit]").first.click()
    # B7/B10: the owner hears of the change; the device is the same one as before.
    mailbox.wait_for(user["email"], subject_contains=NOTICE, timeout=20)
    assert [d["userLabel"] for d in otp_devices(admin_api, user["id"])] == ["HP Kantor"]


def test_b9_without_a_device_the_reset_is_refused_and_points_to_the_helpdesk(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient) -> None:
    user = make_civil_servant(admin_api, otp_secret=None)
    open_reset_link(page, keycloak.url, sidecar_server, mailbox, user["email"])
    expect(page.get_by_text("belum memiliki perangkat OTP")).to_be_visible()
    assert page.locator("#password-new, #totp").count() == 0
    assert otp_devices(admin_api, user["id"]) == []
    assert "CONFIGURE_TOTP" not in admin_api.get(f"/bsre/users/{user['id']}")["requiredActions"]
