"""Issue 12 in the browser: a verified civil servant asks for an eSign certificate, sets the
passphrase through the mailed link (selfie, passphrase twice, agreement -- Submit enabled only
then), downloads the certificate, signs a PDF and checks it on the public verification page;
then revokes it and the page says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

from .conftest import blank_pdf, civil_servant, issue_certificate, log_in

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

PASSPHRASE = "Rahasia#2025x"


def test_issue12_issue_download_sign_verify_and_revoke(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient, tmp_path: Path,
        screenshots) -> None:  # type: ignore[no-untyped-def]
    holder = civil_servant(admin_api)
    page.goto(f"{sidecar_server}/bsre/sertifikat")
    log_in(page, holder.email, holder.password, holder.app)
    expect(page.locator("#certificates-empty")).to_be_visible()
    issue_certificate(page, mailbox, holder, PASSPHRASE, screenshots)
    screenshots.take(page, "daftar sertifikat")
    with page.expect_download() as pem:
        page.locator("#certificates a", has_text="Unduh").first.click()
    assert b"PRIVATE KEY" not in Path(pem.value.path()).read_bytes()

    page.click("#menu >> text=Tanda Tangan Dokumen")
    page.set_input_files("#document", str(blank_pdf(tmp_path / "surat.pdf")))
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
