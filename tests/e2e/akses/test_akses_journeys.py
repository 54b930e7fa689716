"""AKSes registration to Beranda and eASY in a real browser (A1–A5, A8, C1, C2, X5).

Real Chromium, the session's Keycloak, the mail sink and the fake registries; each journey
uses its own seeded identity (docs/registries.md, "browser tests").
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from support.akses_steps import (
    Applicant,
    Shots,
    activation_link,
    fill_form,
    finish_on_keycloak,
    open_form,
    reach_beranda,
    register,
)

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

DEWI = Applicant("individu-lokal", "Dewi Lestari", "3171015504910014", "081355500014",
                 "dewi.lestari@example.com")
AHMAD = Applicant("individu-lokal", "Ahmad Fauzi", "3273052209880015", "081355500015",
                  "ahmad.fauzi@example.com")
MARIA = Applicant("individu-asing", "Maria Schmidt", "C7K4P2961", "+4915112345016",
                  "maria.schmidt@example.org")
CAHAYA = Applicant("institusi", "PT Cahaya Nusa Kapital", "CPD110620483317", "081355500017",
                   "admin@cahayanusa.example.com")
PACIFIC = Applicant("institusi", "Pacific Rim Holdings Ltd.", "CPF170314092256",
                    "+6591234018", "treasury@pacificrim.example.com")
RINA = Applicant("individu-lokal", "Rina Wulandari", "3471024706940016", "081355500019",
                 "rina.wulandari@example.com")
BAMBANG = Applicant("individu-lokal", "Bambang Susilo", "3578033001820017", "081355500020",
                    "bambang.susilo@example.com")


def _open_easy(page: Page) -> None:
    page.click("#menu-easy")


def _expect_easy_denied(page: Page, shots: Shots) -> None:
    """Keycloak's own deny-access step, with the theme's explanation (A8)."""
    expect(page.get_by_text("eASY.KSEI hanya untuk investor individu lokal (WNI) yang "
                            "memiliki SID.")).to_be_visible()
    assert "/realms/akses/" in page.url
    shots.take(page, "easy ditolak")
    # Its "back to the application" is the client's base URL: Beranda, not eASY again (a
    # newcomer went round in that circle).
    page.get_by_role("link", name="Kembali ke Aplikasi").click()
    expect(page.locator("#welcome")).to_be_visible()


def _journey_to_beranda(page: Page, sidecar: str, mailbox: MailSinkClient, who: Applicant,
                        shots: Shots, expected_sid: str | None) -> None:
    register(page, sidecar, who, shots, expected_sid=expected_sid)
    finish_on_keycloak(page, activation_link(mailbox, who.email), shots)
    reach_beranda(page, sidecar, who, shots)


def test_a5_local_investor_registers_and_reaches_easy(
        page: Page, sidecar_server: str, mailbox: MailSinkClient, screenshots) -> None:
    shots = Shots(screenshots)
    _journey_to_beranda(page, sidecar_server, mailbox, DEWI, shots, "IDD150491736204")
    _open_easy(page)  # single sign-on: no second login form (A8)
    expect(page.locator("#easy-title")).to_have_text("eASY.KSEI")
    assert page.url.startswith(f"{sidecar_server}/easy/")
    expect(page.locator("#easy-user")).to_contain_text(DEWI.name)
    expect(page.locator("#easy-sid")).to_have_text("IDD150491736204")
    shots.take(page, "easy")


def test_a8_registered_user_reaches_beranda_and_is_denied_easy(
        page: Page, sidecar_server: str, mailbox: MailSinkClient, screenshots) -> None:
    shots = Shots(screenshots)
    _journey_to_beranda(page, sidecar_server, mailbox, AHMAD, shots, None)
    _open_easy(page)
    _expect_easy_denied(page, shots)


@pytest.mark.parametrize("who, sid", [
    pytest.param(MARIA, "IDF030285114907", id="foreign_individual"),
    pytest.param(CAHAYA, "CPD110620483317", id="local_institution"),
    pytest.param(PACIFIC, "CPF170314092256", id="foreign_institution"),
])
def test_a8_investor_not_local_individual_registers_and_is_denied_easy(
        page: Page, sidecar_server: str, mailbox: MailSinkClient, screenshots,
        who: Applicant, sid: str) -> None:
    shots = Shots(screenshots)
    _journey_to_beranda(page, sidecar_server, mailbox, who, shots, sid)
    _open_easy(page)
    _expect_easy_denied(page, shots)


# --- refusals -------------------------------------------------------------------------------


def _submit(page: Page, sidecar: str, who: Applicant) -> None:
    open_form(page, sidecar, who, Shots(None))
    fill_form(page, who)
    page.click("#next")


def test_a2_wrong_broker_email_is_refused(page: Page, sidecar_server: str) -> None:
    rudi = Applicant("individu-lokal", "Rudi Hartono", "3578032501780004", "081355500021",
                     "rudi.hartono@example.com")
    _submit(page, sidecar_server, rudi)
    expect(page.locator("#email-error")).to_contain_text(
        "Email harus sama dengan email yang Anda daftarkan melalui Perusahaan Efek (broker)")
    expect(page.locator("#email")).to_have_value(rudi.email)  # nothing typed is lost
    expect(page.locator("#name")).to_have_value(rudi.name)


def test_a4_unknown_sid_is_refused(page: Page, sidecar_server: str) -> None:
    unknown = Applicant("institusi", "PT Tidak Ada Sekuritas", "CPD999999999999",
                        "081355500022", "admin@tidakada.example.com")
    _submit(page, sidecar_server, unknown)
    expect(page.locator("#sid-error")).to_contain_text("tidak ditemukan di KSEI")
    expect(page.locator("#sid")).to_have_value(unknown.identifier)


def test_x1_taken_nik_gets_the_same_pages_and_its_owner_a_mail(
        page: Page, sidecar_server: str, admin_api, mailbox: MailSinkClient) -> None:  # type: ignore[no-untyped-def]
    register(page, sidecar_server, RINA, Shots(None), expected_sid=None)
    activation_link(mailbox, RINA.email)
    # The same NIK again, with another email and phone: the registrant sees every page a new
    # registrant sees; only the owner of the NIK's account hears of it, in her own mailbox.
    again = Applicant(RINA.kind, RINA.name, RINA.identifier, "081355500023",
                      "rina.lain@example.com")
    register(page, sidecar_server, again, Shots(None), expected_sid=None)
    notice = mailbox.wait_for(RINA.email, subject_contains="Percobaan pendaftaran", timeout=20)
    assert "Akun baru tidak dibuat" in notice["text"]
    assert mailbox.messages(to=again.email) == []
    users = admin_api.get("/akses/users", q=f"nik:{RINA.identifier}")
    assert len(users) == 1


def test_c2_resend_refused_before_15_minutes(page: Page, sidecar_server: str,
                                             mailbox: MailSinkClient) -> None:
    register(page, sidecar_server, BAMBANG, Shots(None), expected_sid=None)
    activation_link(mailbox, BAMBANG.email)
    available = page.locator("#resend-available").inner_text()
    page.click("#resend")
    expect(page.locator("#resend-too-early")).to_contain_text("Kirim Ulang dapat digunakan mulai")
    # The refusal names the same time the page announced.
    time_shown = available.split("pukul ", 1)[1].split(" ", 1)[0]
    expect(page.locator("#resend-too-early")).to_contain_text(time_shown)
    assert len(mailbox.messages(to=BAMBANG.email)) == 1  # nothing sent again


def test_c1_weak_password_refused_in_indonesian(page: Page, sidecar_server: str,
                                                 mailbox: MailSinkClient, admin_api) -> None:  # type: ignore[no-untyped-def]
    """The set-password page of the activation mail refuses a weak password in Indonesian.
    The account is made through the admin API: the page under test is Keycloak's."""
    email = f"c1.{secrets.token_hex(4)}@example.com"
    created = admin_api.post("/akses/users", {"username": email, "email": email,
                                              "firstName": "Uji Sandi", "enabled": True,
                                              "attributes": {"locale": ["id"]}})
    user_id = created.headers["Location"].rsplit("/", 1)[1]
    admin_api.put(f"/akses/users/{user_id}/execute-actions-email", ["UPDATE_PASSWORD"])
    finish_on_keycloak(page, activation_link(mailbox, email), Shots(None), password="lemah123")
    expect(page.locator("#password-new")).to_be_visible()  # still on the page
    expect(page.get_by_text("Kata sandi tidak valid")).to_be_visible()
    for field in ("#password-new", "#password-confirm"):
        page.fill(field, "Lemah1234")  # long enough, but no special character
    page.locator("input[type=submit], button[type=submit]").first.click()
    expect(page.get_by_text("karakter khusus")).to_be_visible()
