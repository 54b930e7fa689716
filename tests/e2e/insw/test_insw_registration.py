"""INSW "Buat Akun" in a real browser (I0–I3): from the INSW login page through the three
steps to "reviewed within 1x24 hours"; an OSS mismatch, an oversized and a fake PDF refused.

The business is seeded (docs/registries.md, "Businesses (OSS)"): CV SUMBER REJEKI ABADI.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfWriter

from support.otp import otp_credential

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

# Chromium's built-in PDF viewer (an extension frame inside the document's page).
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"
ORGANISATION = {"nib": "8120105678902", "npwp": "0034567891411000", "nik": "3273051707850002"}
PERSON = {"name": "Wahyu Nugroho", "position": "Manajer Ekspor", "email": "wahyu@sumberrejeki.id",
          "phone": "081298765432"}


def _pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as out:
        writer.write(out)
    return path


def _fill(page: Page, values: dict[str, str]) -> None:
    for field, value in values.items():
        page.fill(f"#{field}", value)


def test_i0_i1_i2_i3_from_buat_akun_to_review(page: Page, sidecar_server: str,
                                              tmp_path: Path, screenshots) -> None:
    page.goto(f"{sidecar_server}/insw/masuk")
    screenshots.take(page, "login insw")
    page.get_by_role("link", name="Buat Akun").click()
    expect(page.get_by_role("heading", name="Buat Akun")).to_be_visible()

    _fill(page, {**ORGANISATION, "nik": "3171015203900001"})  # not this NIB's person
    page.click("#next")
    expect(page.locator("#nik-error")).to_contain_text("Perbaiki data melalui OSS")
    page.fill("#nik", ORGANISATION["nik"])
    screenshots.take(page, "data organisasi")
    page.click("#next")

    expect(page.locator("#organisation")).to_contain_text("CV SUMBER REJEKI ABADI")
    _fill(page, PERSON)
    screenshots.take(page, "penanggung jawab")
    page.click("#next")

    big = tmp_path / "besar.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1))
    fake = tmp_path / "foto.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    for wrong, message in ((big, "terlalu besar"), (fake, "bukan PDF")):
        page.set_input_files("#surat_kuasa", str(wrong))
        page.locator("#terms").check()
        page.click("#register")
        expect(page.locator("#surat_kuasa-error")).to_contain_text(message)

    page.set_input_files("#surat_kuasa", str(_pdf(tmp_path / "surat-kuasa.pdf")))
    page.locator("#terms").check()
    screenshots.take(page, "surat kuasa")
    page.click("#register")
    expect(page.locator("#review-promise")).to_contain_text("1x24 jam")
    screenshots.take(page, "terkirim")


REVIEWER_PASSWORD = "Periksa#Insw2025"
NEW_PASSWORD = "Gerbang#2025aman"


@dataclass(frozen=True)
class Reviewer:
    username: str
    app: pyotp.TOTP  # the reviewer's OTP device: a reviewer cannot log in without one


def _reviewer(admin_api) -> Reviewer:  # type: ignore[no-untyped-def]
    """A reviewer of one's own per test: an OTP code is good once (no reuse), and two tests
    may log in within the same 30 seconds."""
    username = f"pemeriksa.{secrets.token_hex(4)}@example.com"
    credential, app = otp_credential("HP Pemeriksa")
    admin_api.post("/insw/users", {
        "username": username, "email": username, "emailVerified": True, "enabled": True,
        "firstName": "Pemeriksa INSW",
        "credentials": [{"type": "password", "value": REVIEWER_PASSWORD, "temporary": False},
                        credential]})
    [user] = admin_api.get("/insw/users", username=username, exact="true")
    role = admin_api.get("/insw/roles/reviewer")
    admin_api.post(f"/insw/users/{user['id']}/role-mappings/realm", [role])
    return Reviewer(username, app)


def _register_for_review(page: Page, sidecar: str, registrant: dict[str, str],
                         person: dict[str, str], tmp_path: Path) -> None:
    """The three steps without detours, up to the "reviewed within 1x24 hours" page."""
    page.goto(f"{sidecar}/insw/daftar")
    _fill(page, registrant)
    page.click("#next")
    _fill(page, person)
    page.click("#next")
    page.set_input_files("#surat_kuasa", str(_pdf(tmp_path / "sk.pdf")))
    page.locator("#terms").check()
    page.click("#register")
    expect(page.locator("#review-promise")).to_be_visible()


def _log_in(page: Page, username: str, password: str) -> None:
    expect(page.locator("#kc-form-login")).to_be_visible()
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("#kc-login").click()


def _log_in_as_reviewer(page: Page, reviewer: Reviewer) -> None:
    _log_in(page, reviewer.username, REVIEWER_PASSWORD)
    expect(page.locator("#kc-otp-login-form")).to_be_visible()
    page.fill("#otp", reviewer.app.now())
    page.locator("#kc-login").click()


def test_i4_review_approval_username_mail_and_login(
        page: Page, browser, sidecar_server: str, mailbox, admin_api,  # type: ignore[no-untyped-def]
        tmp_path: Path, screenshots) -> None:
    """A registration waiting -> the reviewer approves -> the email names the username and
    sets the password -> the username logs in to the INSW Home."""
    registrant = {"nib": "9120207654323", "npwp": "024681355017000", "nik": "3171015203900001"}
    person = {"name": "Siti Rahmawati", "position": "Kepala Logistik",
              "email": "siti.logistik@berkahtani.id", "phone": "081377788899"}
    _register_for_review(page, sidecar_server, registrant, person, tmp_path)

    reviewer = _reviewer(admin_api)
    review = browser.new_context(locale="id-ID", viewport={"width": 412, "height": 915})
    try:
        desk = review.new_page()
        desk.goto(f"{sidecar_server}/insw/review")
        _log_in_as_reviewer(desk, reviewer)
        desk.get_by_role("link", name="PT BERKAH TANI MAKMUR").click()
        expect(desk.locator("#person")).to_contain_text("Kepala Logistik")
        screenshots.take(desk, "pemeriksaan")
        # X8: the Surat Kuasa opens in a sandbox, and Chromium's own PDF viewer shows it.
        with review.expect_page() as opened:
            desk.click("#surat-kuasa")
        document = opened.value
        deadline = time.monotonic() + 30
        while not any(f.url.startswith(PDF_VIEWER) for f in document.frames):
            assert time.monotonic() < deadline, [f.url for f in document.frames]
            document.wait_for_timeout(100)
        document.close()
        desk.click("#approve")
        expect(desk.get_by_text("Pendaftaran disetujui")).to_be_visible()
    finally:
        review.close()

    message = mailbox.wait_for(person["email"], timeout=60)
    text = mailbox.message(message["id"])["text"]
    username = text.split("Username Anda untuk masuk: ", 1)[1].split()[0]
    assert username.startswith("user.") and len(username.split(".")) == 4
    page.goto(mailbox.links(message, containing="action-token")[0])
    proceed = page.locator("#kc-info-message a, a:has-text('Klik di sini')")
    if page.locator("#password-new").count() == 0 and proceed.count():
        proceed.first.click()
    page.fill("#password-new", NEW_PASSWORD)
    page.fill("#password-confirm", NEW_PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.get_by_role("link", name="Kembali ke Aplikasi").click()
    page.locator("#kc-form-login, #welcome").first.wait_for()
    if page.locator("#kc-form-login").count():
        _log_in(page, username.upper(), NEW_PASSWORD)
    expect(page.locator("#welcome")).to_contain_text("Siti Rahmawati")
    expect(page.locator("#username")).to_have_text(username.upper())
    screenshots.take(page, "home insw")


def test_i4_rejection_in_the_browser_mails_the_reason(
        page: Page, browser, sidecar_server: str, mailbox, admin_api,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    """The reviewer rejects with a reason: no account, and the registrant reads why."""
    registrant = {"nib": "9120001234561", "npwp": "012345674073000", "nik": "3374023010750008"}
    person = {"name": "Agus Salim", "position": "Direktur Utama",
              "email": "agus.salim@nusantara.id", "phone": "081366655544"}
    _register_for_review(page, sidecar_server, registrant, person, tmp_path)

    reviewer = _reviewer(admin_api)
    review = browser.new_context(locale="id-ID", viewport={"width": 412, "height": 915})
    try:
        desk = review.new_page()
        desk.goto(f"{sidecar_server}/insw/review")
        _log_in_as_reviewer(desk, reviewer)
        desk.get_by_role("link", name="PT NUSANTARA DIGITAL NIAGA").click()
        desk.click("#reject")  # no reason yet
        expect(desk.locator("#reason-error")).to_be_visible()
        desk.fill("#reason", "Surat Kuasa tidak ditandatangani direksi.")
        desk.click("#reject")
        expect(desk.get_by_text("Pendaftaran ditolak")).to_be_visible()
    finally:
        review.close()
    mail = mailbox.message(mailbox.wait_for(person["email"], timeout=60)["id"])
    assert "tidak ditandatangani direksi" in mail["text"]
    assert admin_api.get("/insw/users", email=person["email"], exact="true") == []
