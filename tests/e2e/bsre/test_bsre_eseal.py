"""B14 in the browser: an eSeal is requested only through the Verifikator -- for the instansi,
with a named holder who alone sets its passphrase -- then used to seal a PDF that the public
page reads as the instansi's; the Verifikator reads its Info and revokes it (B16, B19). The
passphrase and the holder's NIK reach no log on the way (X3)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

from ..conftest import Screenshots
from ..test_identifiers_never_logged import encodings, stack_log  # noqa: F401
from .conftest import (
    BSSN,
    PASSWORD,
    Officer,
    blank_pdf,
    civil_servant,
    download_signed,
    fill_signing_form,
    log_in,
    set_passphrase,
    verify_document,
)

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

PASSPHRASE = "Segel#Bssn2026"


def test_b14_eseal_through_the_verifikator_sealed_pdf_info_and_revocation(
        page: Page, context: BrowserContext, keycloak, admin_api: KeycloakApi,
        sidecar_server: str, provisioned: list[RealmSpec], verifier: Officer,
        mailbox: MailSinkClient, tmp_path: Path, screenshots: Screenshots,
        stack_log: io.StringIO) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    holder = civil_servant(admin_api)
    holder_id = admin_api.get("/bsre/users", username=holder.email, exact="true")[0]["id"]

    # The holder's own page lists eSeal as the Verifikator's to request.
    own = context.browser.new_context(  # type: ignore[union-attr]
        locale="id-ID", viewport={"width": 412, "height": 915})
    mine = own.new_page()
    mine.goto(f"{sidecar_server}/bsre/sertifikat")
    log_in(mine, holder.email, holder.password, holder.app)
    expect(mine.locator("#product-eseal")).to_contain_text("Verifikator")
    expect(mine.locator("#product-eseal button")).to_have_count(0)

    # The Verifikator asks for the instansi's seal with this user as its holder.
    page.goto(f"{sidecar_server}/bsre/verifikator/akun/{holder_id}")
    log_in(page, verifier.username, PASSWORD, verifier.app)
    expect(page.locator("#officer-certificates-empty")).to_be_visible()
    page.select_option("#produk", "eseal")
    expect(page.locator("#produk option[value=tls]")).to_be_disabled()
    screenshots.take(page, "verifikator tambah sertifikat")
    page.click("#officer-new")
    expect(page.locator("#confirm-question")).to_contain_text("Segel (eSeal)")
    expect(page.locator("#confirm-notice")).to_contain_text("pemegang segel")
    screenshots.take(page, "verifikator konfirmasi eseal")
    page.click("#confirm-submit")
    expect(page.locator(".gb-alert[role=status]")).to_contain_text("Permohonan dibuat")

    # Only the named holder sets the passphrase: their link, their selfie.
    set_passphrase(mine, mailbox, holder, PASSPHRASE)
    mailbox.wait_for(holder.email, subject_contains="diterbitkan", timeout=20)
    mine.click("#to-certificates")
    seal = mine.locator("#certificates > li").first
    expect(seal).to_contain_text("Segel (eSeal)")
    expect(seal).to_contain_text(BSSN.upper())
    screenshots.take(mine, "daftar sertifikat eseal")
    mine.locator("#certificates a", has_text="Info").first.click()
    expect(mine.locator("#info-subject")).to_contain_text(f"SEAL-{holder_id}")
    expect(mine.locator("#info-subject")).not_to_contain_text("PNOID")  # no NIK in a seal
    screenshots.take(mine, "info sertifikat eseal")

    # The seal signs a document; anyone reads it as the instansi's.
    mine.goto(f"{sidecar_server}/bsre/tanda-tangan")
    fill_signing_form(mine, blank_pdf(tmp_path / "surat.pdf"), PASSPHRASE)
    verify_document(mine, sidecar_server,
                    download_signed(mine, tmp_path / "surat-bersegel.pdf"))
    expect(mine.locator("#verdict")).to_contain_text("Semua tanda tangan sah")
    expect(mine.locator("#signature-1")).to_contain_text(BSSN.upper())

    # The Verifikator reads it and revokes it (the organisation stops operating it).
    page.goto(f"{sidecar_server}/bsre/verifikator/akun/{holder_id}")
    row = page.locator("#officer-certificates > li").first
    expect(row).to_contain_text("Issued")
    screenshots.take(page, "verifikator sertifikat pengguna")
    row.locator("a", has_text="Info").click()
    expect(page.locator("#info-subject")).to_contain_text(f"O={BSSN}")
    page.click("#info-back")
    row.locator("select[name=reason]").select_option("cessation_of_operation")
    row.locator("button", has_text="Pencabutan").click()
    page.click("#revoke-submit")  # B19: asked once more
    expect(page.locator("#officer-certificates > li").first).to_contain_text("Revoke")
    mailbox.wait_for(holder.email, subject_contains="dicabut", timeout=20)
    mine.goto(f"{sidecar_server}/bsre/tanda-tangan")
    expect(mine.locator("#certificate option")).to_have_count(0)
    own.close()
    logged = stack_log.getvalue()
    assert "bsre certificate issued" in logged  # the log was captured
    leaked = {s for s in encodings(PASSPHRASE) | encodings("3174041503800005") if s in logged}
    assert not leaked, sorted(leaked)
