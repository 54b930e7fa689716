"""Issue 12 in the browser: a verified civil servant asks for an eSign certificate, sets the
passphrase through the mailed link (selfie, passphrase twice, agreement -- Submit enabled only
then), downloads the certificate, signs a PDF and checks it on the public verification page;
then revokes it: the page says so, the CRL and the OCSP responder say revoked (X6), and
signing is refused (X7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

from .conftest import (
    blank_pdf,
    civil_servant,
    download_signed,
    fill_signing_form,
    issue_certificate,
    log_in,
    verify_document,
)

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
    chain = Path(pem.value.path()).read_bytes()
    assert b"PRIVATE KEY" not in chain
    leaf, issuer = x509.load_pem_x509_certificates(chain)[:2]

    page.click("#menu >> text=Tanda Tangan Dokumen")
    fill_signing_form(page, blank_pdf(tmp_path / "surat.pdf"), PASSPHRASE)
    screenshots.take(page, "tanda tangan dokumen")
    signed_path = download_signed(page, tmp_path / "surat-ditandatangani.pdf")

    verify_document(page, sidecar_server, signed_path)
    expect(page.locator("#verdict")).to_contain_text("Semua tanda tangan sah")
    expect(page.locator("#signature-1")).to_contain_text("AGUS WIJAYA")
    screenshots.take(page, "verifikasi dokumen")

    # Several officials sign one letter: the signed PDF is signed again, and both hold.
    page.goto(f"{sidecar_server}/bsre/tanda-tangan")
    fill_signing_form(page, signed_path, PASSPHRASE)
    verify_document(page, sidecar_server,
                    download_signed(page, tmp_path / "surat-dua-tanda-tangan.pdf"))
    expect(page.locator("#verdict")).to_contain_text("Semua tanda tangan sah")
    expect(page.locator("#integrity-1")).to_contain_text(
        "hanya ditambah tanda tangan lain yang sah")
    expect(page.locator("#signature-heading-2")).to_have_text("Tanda tangan 2 dari 2")
    expect(page.locator("#signature-2")).to_contain_text("AGUS WIJAYA")
    screenshots.take(page, "verifikasi dua tanda tangan")

    page.goto(f"{sidecar_server}/bsre/sertifikat")
    page.locator("select[name=reason]").first.select_option("key_compromise")
    page.locator("#certificates button", has_text="Pencabutan").first.click()
    expect(page.locator("#revoke-notice")).to_contain_text("tidak dapat dipulihkan")
    screenshots.take(page, "konfirmasi pencabutan")
    page.click("#revoke-submit")
    expect(page.locator("#certificates")).to_contain_text("Revoke")
    verify_document(page, sidecar_server, signed_path)
    expect(page.locator("#verdict")).to_contain_text("dicabut")
    screenshots.take(page, "verifikasi setelah pencabutan")
    page.goto(f"{sidecar_server}/verifikasi?lang=en")  # the report in English, NIK masked (X3)
    page.set_input_files("#document", str(signed_path))
    page.click("#verify")
    expect(page.locator("#signature-1")).to_contain_text("PNOID-************0005")
    expect(page.locator("#verdict")).to_contain_text("revoked")
    screenshots.take(page, "verification after revocation in english")

    # X6: what any relying party asks says revoked at once; X7: no more signing with it.
    crl = x509.load_der_x509_crl(page.request.get(f"{sidecar_server}/pki/issuing-ca.crl").body())
    entry = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    assert entry is not None and entry.extensions.get_extension_for_class(
        x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    asked = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA256()).build()
    answer = ocsp.load_der_ocsp_response(page.request.post(
        f"{sidecar_server}/pki/ocsp", data=asked.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"}).body())
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    page.goto(f"{sidecar_server}/bsre/tanda-tangan")
    expect(page.locator("#no-certificate")).to_be_visible()
