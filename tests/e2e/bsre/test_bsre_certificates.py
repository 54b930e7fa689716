"""Issue 12 in the browser: a verified civil servant asks for an eSign certificate, sets the
passphrase through the mailed link (selfie, passphrase twice, agreement -- Submit enabled only
then), downloads the certificate, signs a PDF and checks it on the public verification page;
then revokes it and the page says so."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfWriter

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

from .conftest import BSSN, FACE, log_in, otp_credential

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

PASSWORD = "Pegawai#Sandi2025"
PASSPHRASE = "Rahasia#2025x"


def _pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


def test_issue12_issue_download_sign_verify_and_revoke(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient, tmp_path: Path,
        screenshots) -> None:  # type: ignore[no-untyped-def]
    email = f"penanda.{secrets.token_hex(4)}@bssn.go.id"
    credential, app = otp_credential("HP Dinas")
    admin_api.post("/bsre/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Agus Wijaya",
        "attributes": {"instansi": [BSSN], "nik": ["3174041503800005"],
                       "verificationStatus": ["terverifikasi"]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False},
                        credential]})
    page.goto(f"{sidecar_server}/bsre/sertifikat")
    log_in(page, email, PASSWORD, app)
    expect(page.locator("#certificates-empty")).to_be_visible()
    page.click("#new-request")
    mail = mailbox.wait_for(email, subject_contains="Set Passphrase", timeout=20)

    page.goto(mailbox.links(mail, containing="/bsre/set-passphrase/t/")[0])
    expect(page.locator("#profile")).to_contain_text("AGUS WIJAYA")
    page.set_input_files("#photo", str(FACE))
    page.click("#save-photo")
    expect(page.locator("#selfie-checked")).to_be_visible()
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase_confirm", PASSPHRASE + "x")
    page.check("#agreement")
    expect(page.locator("#submit")).to_be_disabled()  # the entries differ
    page.fill("#passphrase_confirm", PASSPHRASE)
    expect(page.locator("#submit")).to_be_enabled()
    screenshots.take(page, "set passphrase")
    page.click("#submit")
    expect(page.locator("#issued")).to_be_visible()
    screenshots.take(page, "sertifikat diterbitkan")
    mailbox.wait_for(email, subject_contains="diterbitkan", timeout=20)

    page.click("#to-certificates")
    expect(page.locator("#certificates")).to_contain_text("Issued")
    screenshots.take(page, "daftar sertifikat")
    with page.expect_download() as pem:
        page.locator("#certificates a", has_text="Unduh").first.click()
    assert b"PRIVATE KEY" not in Path(pem.value.path()).read_bytes()

    page.click("#menu >> text=Tanda Tangan Dokumen")
    page.set_input_files("#document", str(_pdf(tmp_path / "surat.pdf")))
    page.fill("#passphrase", PASSPHRASE)
    screenshots.take(page, "tanda tangan dokumen")
    with page.expect_download() as signed:
        page.click("#sign")
    signed_path = tmp_path / "surat-ditandatangani.pdf"
    signed.value.save_as(signed_path)

    page.goto(f"{sidecar_server}/verifikasi")
    page.set_input_files("#document", str(signed_path))
    page.click("#verify")
    expect(page.locator("#verdict")).to_contain_text("Semua tanda tangan sah")
    expect(page.locator("#signature-1")).to_contain_text("AGUS WIJAYA")
    screenshots.take(page, "verifikasi dokumen")

    page.goto(f"{sidecar_server}/bsre/sertifikat")
    page.locator("select[name=reason]").first.select_option("key_compromise")
    page.locator("#certificates button", has_text="Pencabutan").first.click()
    expect(page.locator("#certificates")).to_contain_text("Revoke")
    page.goto(f"{sidecar_server}/verifikasi")
    page.set_input_files("#document", str(signed_path))
    page.click("#verify")
    expect(page.locator("#verdict")).to_contain_text("dicabut")
    screenshots.take(page, "verifikasi setelah pencabutan")
