"""OSS journeys in a real browser (O1–O6): from the OSS login page's "Daftar" through the
form with its captcha, the activation email naming the username, Keycloak's set-password
page, to the OSS Home; and the form's refusals.

Seeded people (docs/registries.md, "browser tests"): DEWI LESTARI registers by KTP, RUDI
HARTONO is refused; a passport holder needs no registry.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from support.akses_steps import STRONG_PASSWORD, Shots, finish_on_keycloak

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

DEWI = {"nik": "3171015203910023", "name": "Dewi Lestari", "birth_date": "12-03-1991",
        "phone": "81355500051", "email": "dewi.lestari@example.com"}
RUDI = {"nik": "3273051011850024", "name": "Rudi Hartono", "birth_date": "10-11-1985",
        "phone": "81355500052", "email": "rudi.hartono@example.com"}
HIROSHI = {"passport": "TR1234567", "passport_issue_date": "01-04-2021",
           "passport_expiry_date": "31-03-2031", "passport_office": "Tokyo",
           "name": "Hiroshi Tanaka", "birth_place": "Osaka", "birth_date": "22-08-1979",
           "phone": "+81 90 1234 5678", "email": "hiroshi.tanaka@example.com"}


def _fill(page: Page, values: dict[str, str]) -> None:
    for field, value in values.items():
        page.fill(f"#{field}", value)


def _solve_captcha(page: Page) -> None:
    page.get_by_text("Saya bukan robot", exact=True).click()
    expect(page.locator("altcha-widget")).to_contain_text("Terverifikasi", timeout=30_000)


def _activate_and_reach_home(page: Page, sidecar: str, mailbox: MailSinkClient,
                             email: str, shots: Shots) -> None:
    message = mailbox.wait_for(email, timeout=60)
    full = mailbox.message(message["id"])
    assert f"Username Anda untuk masuk: {email}" in full["text"]  # O5: names the username
    assert "password" not in full["text"].lower().replace("kata sandi", "")  # none mailed
    link = mailbox.links(message, containing="action-token")[0]
    finish_on_keycloak(page, link, shots)
    back = page.get_by_role("link", name="Kembali ke Aplikasi")
    expect(back).to_be_visible()
    back.click()
    page.locator("#kc-form-login, #welcome").first.wait_for()
    if page.locator("#kc-form-login").count():
        expect(page.locator("#kc-login")).to_have_text("Login")  # O6
        page.fill("#username", email)
        page.fill("#password", STRONG_PASSWORD)
        page.locator("#kc-login").click()
    expect(page.locator("#welcome")).to_be_visible()
    assert page.url.startswith(f"{sidecar}/oss/home")


def test_o1_o2_o5_o6_ktp_registration_to_home(page: Page, sidecar_server: str,
                                              mailbox: MailSinkClient, screenshots) -> None:
    shots = Shots(screenshots)
    page.goto(f"{sidecar_server}/oss/masuk")
    expect(page.locator("#kc-header-wrapper")).to_have_text("OSS Perizinan Berusaha")
    expect(page.locator("#kc-login")).to_have_text("Login")
    expect(page.get_by_role("link", name="Lupa Password?")).to_be_visible()
    shots.take(page, "login oss")
    page.get_by_role("link", name="Daftar").click()
    expect(page.get_by_role("heading", name="Daftar")).to_be_visible()
    expect(page.locator("#country")).to_have_value("ID")
    _fill(page, DEWI)
    _solve_captcha(page)
    page.locator("#terms").check()
    shots.take(page, "formulir ktp")
    page.locator("#submit").click()
    expect(page.locator("#thanks")).to_contain_text("Dewi Lestari")
    shots.take(page, "terima kasih")

    _activate_and_reach_home(page, sidecar_server, mailbox, DEWI["email"], shots)
    expect(page.locator("#welcome")).to_contain_text("Dewi Lestari")
    expect(page.locator("#identity-type")).to_have_text("Kartu Tanda Penduduk (KTP)")
    expect(page.locator("#identifier")).to_have_text("************0023")
    shots.take(page, "home")


def test_c5_the_oss_login_header_speaks_english_when_chosen(
        page: Page, sidecar_server: str, screenshots) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{sidecar_server}/oss/masuk?lang=en")
    expect(page.locator("#kc-header-wrapper")).to_have_text("OSS Business Licensing")
    expect(page.get_by_role("link", name="Forgot Password?")).to_be_visible()
    screenshots.take(page, "login oss in english")


def test_o3_passport_registration_to_home(page: Page, sidecar_server: str,
                                          mailbox: MailSinkClient) -> None:
    shots = Shots(None)
    page.goto(f"{sidecar_server}/oss/daftar?lang=id")
    page.locator("#type-paspor").click()
    _fill(page, HIROSHI)
    for field in ("passport_country", "citizenship"):
        page.locator(f"#{field}").select_option("JP")
    page.locator("#sex").select_option("L")
    _solve_captcha(page)
    page.locator("#terms").check()
    page.locator("#submit").click()
    expect(page.locator("#thanks")).to_contain_text("Hiroshi Tanaka")
    _activate_and_reach_home(page, sidecar_server, mailbox, HIROSHI["email"], shots)
    expect(page.locator("#identity-type")).to_have_text("Paspor")


def test_o2_o4_refusals_keep_what_was_typed(page: Page, sidecar_server: str) -> None:
    page.goto(f"{sidecar_server}/oss/daftar?lang=id")
    _fill(page, RUDI)
    page.locator("#submit").click()  # no captcha, terms unticked
    expect(page.locator("#captcha-error")).to_be_visible()
    expect(page.locator("#terms-error")).to_contain_text("Syarat dan Ketentuan")
    expect(page.locator("#nik")).to_have_value(RUDI["nik"])  # X5

    page.fill("#birth_date", "11-11-1985")  # contradicts the NIK
    _solve_captcha(page)
    page.locator("#terms").check()
    page.locator("#submit").click()
    expect(page.locator("#birth_date-error")).to_be_visible()

    page.fill("#birth_date", RUDI["birth_date"])
    page.fill("#name", "Rudy Hartono")  # not Dukcapil's name
    _solve_captcha(page)
    page.locator("#terms").check()
    page.locator("#submit").click()
    expect(page.locator("#nik-error")).to_contain_text("tidak sesuai dengan data kependudukan")


def test_oss_forgot_password_from_the_login_page_to_home(
        page: Page, sidecar_server: str, mailbox: MailSinkClient, admin_api) -> None:  # type: ignore[no-untyped-def]
    """Issue 9, item 5: "Lupa Password?" on the OSS login page -> username or email -> the
    Keycloak set-password page from the mail -> Home."""
    email = "lupa.oss@example.com"
    admin_api.post("/oss/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Pelupa OSS", "attributes": {"identityType": ["ktp"]},
        "credentials": [{"type": "password", "value": "Lama#Sandi2024", "temporary": False}]})
    page.goto(f"{sidecar_server}/oss/masuk")
    page.get_by_role("link", name="Lupa Password?").click()
    expect(page.get_by_label("Username atau email")).to_be_visible()
    page.fill("#identifier", email.upper())
    page.click("#process")
    expect(page.locator("#sent-text")).to_be_visible()
    link = mailbox.links(mailbox.wait_for(email, subject_contains="Tindakan diperlukan",
                                          timeout=60), containing="action-token")[0]
    finish_on_keycloak(page, link, Shots(None))
    page.get_by_role("link", name="Kembali ke Aplikasi").click()
    page.locator("#kc-form-login, #welcome").first.wait_for()
    if page.locator("#kc-form-login").count():
        page.fill("#username", email)
        page.fill("#password", STRONG_PASSWORD)
        page.locator("#kc-login").click()
    expect(page.locator("#welcome")).to_contain_text("Pelupa OSS")
    assert page.url.startswith(f"{sidecar_server}/oss/home")
