"""B1 by NIP, B13 and B23 in the browser: a civil servant starts alone with NIP and NIK (BKN,
captcha); a user asks to change the Jabatan and the Verifikator approves it; the user
removes one of two OTP devices on "Keamanan"."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

from .conftest import BSSN, Officer, log_in, otp_credential

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

# docs/registries.md: a civil servant of the Bali province at BKN.
AYU = {"nip": "198806212011012004", "nik": "5171016106880006",
       "email": "ayu.sukmawati@baliprov.go.id"}
PASSWORD = "Pegawai#Sandi2025"


def test_b1_a_civil_servant_starts_with_nip_and_nik(
        page: Page, sidecar_server: str, provisioned: list[RealmSpec],
        mailbox: MailSinkClient, screenshots) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{sidecar_server}/bsre/daftar")
    page.fill("#nip", AYU["nip"])
    page.fill("#nik", "5171016106880099")  # fits the NIP, but BKN holds another NIK
    page.fill("#email", AYU["email"])
    page.get_by_text("Saya bukan robot", exact=True).click()
    expect(page.locator("altcha-widget")).to_contain_text("Terverifikasi", timeout=30_000)
    page.click("#send")
    expect(page.locator("#not-registered")).to_contain_text("NOT_REGISTERED")
    screenshots.take(page, "daftar nip tidak terdaftar")
    page.fill("#nik", AYU["nik"])
    page.get_by_text("Saya bukan robot", exact=True).click()
    expect(page.locator("altcha-widget")).to_contain_text("Terverifikasi", timeout=30_000)
    screenshots.take(page, "daftar dengan nip")
    page.click("#send")
    expect(page.locator("#sent")).to_be_visible()
    mail = mailbox.wait_for(AYU["email"], subject_contains="Aktivasi Akun", timeout=20)
    # The typed address is nobody's proof yet: the mail names neither the person nor the
    # instansi BKN returned (the wizard behind the link does).
    assert "NIP dan NIK" in mail["text"] and "Pemerintah Provinsi Bali" not in mail["text"]


def test_b13_b23_a_jabatan_change_approved_and_a_device_removed(
        page: Page, context: BrowserContext, keycloak, admin_api: KeycloakApi,
        sidecar_server: str, provisioned: list[RealmSpec], verifier: Officer,
        screenshots) -> None:  # type: ignore[no-untyped-def]
    email = f"asn.{secrets.token_hex(4)}@bssn.go.id"
    first, app = otp_credential("HP Kantor")
    second, _ = otp_credential("Tablet")
    admin_api.post("/bsre/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Pegawai Uji", "attributes": {"instansi": [BSSN], "jabatan": ["Analis"]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False},
                        first, second]})
    page.goto(f"{sidecar_server}/bsre/profil/perubahan")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("#kc-login")
    page.get_by_text("HP Kantor").click()  # B8: with several devices, pick one by name
    page.fill("#otp", app.now())
    page.click("#kc-login")
    page.fill("#jabatan", "Analis Utama")
    page.click("#submit-jabatan")
    expect(page.locator("#pending")).to_contain_text("Analis Utama")
    screenshots.take(page, "ajukan perubahan jabatan")

    officer = context.browser.new_context(  # type: ignore[union-attr]
        locale="id-ID", viewport={"width": 412, "height": 915})
    desk = officer.new_page()
    desk.goto(f"{sidecar_server}/bsre/verifikator/perubahan")
    log_in(desk, verifier.username, "Verif#Sandi2025", verifier.app)
    row = desk.locator("#changes li", has_text="Analis Utama")
    expect(row).to_be_visible()
    screenshots.take(desk, "verifikator perubahan data")
    row.get_by_role("button", name="Setujui").click()
    expect(desk.locator("#changes-empty, #changes")).to_be_visible()
    officer.close()

    page.goto(f"{sidecar_server}/bsre/profil")
    expect(page.locator("#profile")).to_contain_text("Analis Utama")
    page.goto(f"{sidecar_server}/bsre/keamanan")
    expect(page.locator("#devices li")).to_have_count(2)
    # By name: both devices were made in one request, often in the same millisecond, and
    # the list orders such a tie by credential id (random).
    page.locator("#devices li", has_text="Tablet").locator("button").click()
    expect(page.locator("#devices li")).to_have_count(1)
    expect(page.locator("#devices")).to_contain_text("HP Kantor")
    screenshots.take(page, "keamanan perangkat dihapus")
