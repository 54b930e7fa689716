"""B9 and B11 in the browser: a civil servant who lost their device asks through "Permohonan
OTP" (the same answer for an unknown NIK), passes "Pengecekan Data Diri" with the camera and
reaches Keycloak's OTP set-up; a Verifikator disables a compromised account and its owner's
login shows B11's sentence."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

from .conftest import BSSN, Officer, log_in, otp_credential

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

DIAN = {"name": "Dian Purnamasari", "nik": "3174045708920027", "phone": "081377001027",
        "e164": "+6281377001027"}
PASSWORD = "Dian#Sandi2025"
DISABLED = "Saat ini akun dinonaktifkan, info lebih lanjut dapat menghubungi layanan " \
           "Contact Center BSrE."


def _civil_servant(admin_api: KeycloakApi, person: dict[str, str]) -> dict:
    email = f"asn.{secrets.token_hex(4)}@bssn.go.id"
    credential, _app = otp_credential("HP Lama")
    admin_api.post("/bsre/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": person["name"],
        "attributes": {"nik": [person["nik"]], "phoneNumber": [person["e164"]],
                       "instansi": [BSSN]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False},
                        credential]})
    return admin_api.get("/bsre/users", username=email, exact="true")[0]


def _ask(page: Page, sidecar: str, person: dict[str, str]) -> None:
    page.goto(f"{sidecar}/bsre/permohonan-otp")
    page.fill("#name", person["name"])
    page.fill("#instansi", BSSN)
    page.fill("#phone", person["phone"])
    page.fill("#nik", person["nik"])
    page.fill("#description", "Ponsel hilang")


def test_b9_a_lost_device_comes_back_through_permohonan_otp(
        page: Page, phone: BrowserContext, keycloak, admin_api: KeycloakApi,
        sidecar_server: str, provisioned: list[RealmSpec], mailbox: MailSinkClient,
        screenshots) -> None:  # type: ignore[no-untyped-def]
    user = _civil_servant(admin_api, DIAN)
    # X1: an unknown NIK gets the very same page, and nothing is mailed to anyone.
    _ask(page, sidecar_server, {**DIAN, "nik": "3174045708920099"})
    page.click("#send")
    unknown = page.locator("#received").inner_text()
    _ask(page, sidecar_server, DIAN)
    screenshots.take(page, "permohonan otp")
    page.click("#send")
    assert page.locator("#received").inner_text() == unknown
    screenshots.take(page, "permohonan diterima")

    mail = mailbox.wait_for(user["email"], subject_contains="Pengecekan Data Diri", timeout=20)
    mobile = phone.new_page()
    mobile.goto(mailbox.links(mail, containing="/bsre/pengecekan-data-diri/t/")[0])
    mobile.click("#take-photo")
    expect(mobile.locator("#camera-video")).to_have_js_property("readyState", 4)
    mobile.click("#capture")
    expect(mobile.locator("#camera-still")).to_be_visible()
    screenshots.take(mobile, "pengecekan data diri")
    mobile.click("#save-photo")
    expect(mobile.locator("#checked")).to_have_text("Pengecekan data diri berhasil")
    screenshots.take(mobile, "pengecekan berhasil")

    configure = mailbox.wait_for(user["email"], subject_contains="[BSrE] Perbarui Akun Anda",
                                 timeout=30)
    mobile.goto(mailbox.links(configure, containing="action-token")[0])
    mobile.get_by_role("link", name="Klik di sini").click()
    expect(mobile.locator("#kc-totp-secret-qr-code")).to_be_visible()


def test_b11_a_disabled_account_cannot_log_in_and_is_told_so(
        page: Page, context: BrowserContext, keycloak, admin_api: KeycloakApi,
        sidecar_server: str, provisioned: list[RealmSpec], verifier: Officer,
        screenshots) -> None:  # type: ignore[no-untyped-def]
    user = _civil_servant(admin_api, {**DIAN, "nik": "3174045708920028"})
    page.goto(f"{sidecar_server}/bsre/verifikator")
    log_in(page, verifier.username, "Verif#Sandi2025", verifier.app)
    page.click("#find-account")
    page.fill("#q", user["email"])
    page.click("#find")
    expect(page.locator("#account-state")).to_have_text("Aktif")
    page.fill("#reason", "Ponsel dinas dicuri")
    screenshots.take(page, "verifikator nonaktifkan akun")
    page.click("#disable")
    expect(page.locator("#account-state")).to_have_text("Dinonaktifkan")
    expect(page.locator("#reset-form")).to_be_visible()
    screenshots.take(page, "verifikator reset authenticator")

    owner = context.browser.new_context(locale="id-ID",  # type: ignore[union-attr]
                                        viewport={"width": 412, "height": 915})
    login = owner.new_page()
    login.goto(f"{sidecar_server}/bsre/dashboard")
    login.fill("#username", user["email"])
    login.fill("#password", PASSWORD)
    login.click("#kc-login")
    expect(login.get_by_text(DISABLED)).to_be_visible()
    screenshots.take(login, "login akun dinonaktifkan")
    owner.close()
