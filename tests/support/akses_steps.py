"""Steps of the AKSes journeys, driven in the browser the way the manual describes them.

Every registration uses its own seeded identity (docs/registries.md, "browser tests"), because
all tests share one Keycloak and one sidecar database: an identity registered once stays
registered for the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient

STRONG_PASSWORD = "Gerbang#2025aman"  # C1: 8+, lower, upper, digit, special


@dataclass(frozen=True)
class Applicant:
    kind: str  # the registration type's path: individu-lokal, individu-asing, institusi
    name: str
    identifier: str  # NIK, passport or SID, by type
    phone: str
    email: str

    @property
    def identifier_field(self) -> str:
        return {"individu-lokal": "nik", "individu-asing": "passport",
                "institusi": "sid"}[self.kind]


class Shots:
    """Screenshots only when asked for (happy paths); refusal paths pass None."""

    def __init__(self, screenshots: object | None):
        self._screenshots = screenshots

    def take(self, page: Page, name: str) -> None:
        if self._screenshots is not None:
            self._screenshots.take(page, name)  # type: ignore[attr-defined]


def fill_form(page: Page, who: Applicant) -> None:
    page.fill("#name", who.name)
    page.fill(f"#{who.identifier_field}", who.identifier)
    page.fill("#phone", who.phone)
    page.fill("#email", who.email)


def open_form(page: Page, sidecar: str, who: Applicant, shots: Shots) -> None:
    """Portal start page -> "Daftar" -> the type -> its form (A1)."""
    page.goto(f"{sidecar}/akses/")
    shots.take(page, "portal akses")
    page.click("#register")
    expect(page.get_by_role("heading", name="Pendaftaran")).to_be_visible()
    shots.take(page, "pilih tipe registrasi")
    page.click(f"#type-{who.kind}")
    expect(page.locator("#registration-form")).to_be_visible()


def register(page: Page, sidecar: str, who: Applicant, shots: Shots, *,
             expected_sid: str | None) -> None:
    """Form -> "Selanjutnya" -> confirmation -> "Kembali" (fields kept) -> "Selanjutnya" ->
    "Aktivasi" -> thank-you page (A5)."""
    open_form(page, sidecar, who, shots)
    fill_form(page, who)
    shots.take(page, "formulir")
    page.click("#next")
    expect(page.locator("#confirmation")).to_be_visible()
    expect(page.locator("#confirm-sid")).to_have_text(expected_sid or "Belum memiliki SID")
    shots.take(page, "konfirmasi")

    page.click("#back")  # "Kembali": every field as typed
    for field, value in (("name", who.name), (who.identifier_field, who.identifier),
                         ("phone", who.phone), ("email", who.email)):
        expect(page.locator(f"#{field}")).to_have_value(value)
    page.click("#next")
    expect(page.locator("#confirmation")).to_be_visible()

    page.click("#activate")
    expect(page.locator("#thanks")).to_have_text(
        f"Terima kasih sudah melakukan pendaftaran, {who.name}")
    expect(page.locator("#resend-available")).to_contain_text("WIB")
    shots.take(page, "terima kasih")


def activation_link(mailbox: MailSinkClient, email: str) -> str:
    message = mailbox.wait_for(email, timeout=20)
    links = mailbox.links(message, containing="action-token")
    assert links, f"no action link in {message['subject']!r}"
    return links[0]


def finish_on_keycloak(page: Page, link: str, shots: Shots, *,
                       password: str = STRONG_PASSWORD) -> None:
    """The mail's link -> Keycloak's themed pages: set the password (C1) -> back to Beranda."""
    page.goto(link)
    shots.take(page, "tautan email")
    # Keycloak first lists the actions to do when the link carries several of them.
    proceed = page.locator("#kc-info-message a, a:has-text('Klik di sini')")
    if page.locator("#password-new").count() == 0 and proceed.count():
        proceed.first.click()
    expect(page.locator("#password-new")).to_be_visible()
    page.fill("#password-new", password)
    page.fill("#password-confirm", password)
    shots.take(page, "atur kata sandi")
    page.locator("input[type=submit], button[type=submit]").first.click()


def login_on_keycloak(page: Page, who: Applicant, shots: Shots,
                      password: str = STRONG_PASSWORD) -> None:
    expect(page.locator("#kc-form-login")).to_be_visible()
    shots.take(page, "masuk")
    page.fill("#username", who.email)
    page.fill("#password", password)
    page.locator("#kc-login").click()


def reach_beranda(page: Page, sidecar: str, who: Applicant, shots: Shots) -> None:
    """After the password Keycloak says the account is updated and links back to the
    application, i.e. Beranda (the action email's redirect), which runs the OIDC login: the
    user logs in with the new password, as the manual's last step says (A5)."""
    back = page.get_by_role("link", name="Kembali ke Aplikasi")
    expect(back).to_be_visible()
    expect(page.get_by_text("Akun Anda telah diperbarui.")).to_be_visible()
    shots.take(page, "akun aktif")
    back.click()
    page.locator("#kc-form-login, #welcome").first.wait_for()
    if page.locator("#kc-form-login").count():
        login_on_keycloak(page, who, shots)
    expect(page.locator("#welcome")).to_contain_text(who.name)
    assert page.url.startswith(f"{sidecar}/akses/beranda")
    expect(page.locator("#menu-easy")).to_have_text("Easy")
    shots.take(page, "beranda")
