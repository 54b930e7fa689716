"""Issue 12 item 12 in the browser: looking after an Issued eSign certificate -- "Permohonan
Pembaruan" (B20), "Ubah Passphrase" and "Reset Passphrase" (B22), and the lock after five
wrong passphrases on "Tanda Tangan Dokumen" (X7) -- on a phone-sized page, each journey from
the "Daftar Sertifikat Elektronik" of a verified civil servant who got the certificate
through the mailed Set Passphrase link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from support.restartable_sidecar import RestartableSidecar

from ..conftest import Screenshots
from .conftest import (
    Holder,
    blank_pdf,
    civil_servant,
    complete_set_passphrase,
    fill_signing_form,
    issue_certificate,
    log_in,
    open_set_passphrase_link,
)

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

PASSPHRASE = "Rahasia#2025x"
NEW_PASSPHRASE = "Baru#Rahasia2026"
WRONG_PASSPHRASE = "Salah#Tebak2025"
# Two years less 20 days: a certificate issued now is in its last 30 days (H-30, B20).
TWO_YEARS_LATER = 710


def _holder_with_certificate(page: Page, sidecar_server: str, admin_api: KeycloakApi,
                             mailbox: MailSinkClient) -> tuple[Holder, int]:
    """A new civil servant, logged in, with one Issued certificate (passphrase PASSPHRASE)
    on the certificates page; its id."""
    holder = civil_servant(admin_api)
    page.goto(f"{sidecar_server}/bsre/sertifikat")
    log_in(page, holder.email, holder.password, holder.app)
    return holder, issue_certificate(page, mailbox, holder, PASSPHRASE)


def _notice(page: Page):  # type: ignore[no-untyped-def]
    """The message a redirect leaves at the top of the page (a flash)."""
    return page.locator(".gb-alert[role=status]")


def _sign(page: Page, pdf: Path, passphrase: str) -> None:
    """Fill "Tanda Tangan Dokumen" and send it."""
    fill_signing_form(page, pdf, passphrase)
    page.click("#sign")


def test_b20_renewal_refused_before_h30_then_renewed_in_the_last_30_days(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        sidecar: RestartableSidecar, provisioned: list[RealmSpec],
        mailbox: MailSinkClient, screenshots: Screenshots) -> None:  # type: ignore[no-untyped-def]
    """B20: "Permohonan Pembaruan" on a fresh certificate is refused at once with the day
    the window opens (H-30). Two years later -- the session's sidecar runs on a
    clock the test shifts (``sidecar.clock``, support/restartable_sidecar.py), nothing in
    its database is touched: the certificate really was issued two years earlier in
    the sidecar's time -- the same action sends a Set Passphrase link; selfie and passphrase
    give a new certificate, Issued, and the old one reads "Renew". Keycloak, the browser and
    the mail sink keep the real time, so the sidecar's login of "two years ago" has expired
    and Keycloak's live session logs the holder in again without a form."""
    holder, old = _holder_with_certificate(page, sidecar_server, admin_api, mailbox)
    opens = datetime.now(UTC) + timedelta(days=730) - timedelta(days=30)
    page.click(f"#renew-{old}")  # refused at once: no question it could not grant
    day = format_date(opens.astimezone(ZoneInfo("Asia/Jakarta")), "d MMMM y", locale="id")
    expect(_notice(page)).to_contain_text("Pembaruan baru dapat diajukan mulai")
    expect(_notice(page)).to_contain_text(day)
    expect(page.locator(f"#certificate-{old}")).to_contain_text("Issued")
    screenshots.take(page, "pembaruan ditolak sebelum h-30")

    with sidecar.clock.shifted(days=TWO_YEARS_LATER):
        page.goto(f"{sidecar_server}/bsre/sertifikat")
        expect(page.locator(f"#certificate-{old}")).to_contain_text("Issued")
        page.click(f"#renew-{old}")
        expect(page.locator("#confirm-question")).to_contain_text("permohonan pembaruan")
        screenshots.take(page, "permohonan pembaruan ditanya dahulu")
        page.click("#confirm-submit")
        expect(_notice(page)).to_contain_text("Tautan Set Passphrase untuk pembaruan dikirim")
        expect(page.locator("#requests")).to_contain_text("Renew")
        screenshots.take(page, "pembaruan diminta")
        open_set_passphrase_link(page, mailbox, holder)
        complete_set_passphrase(page, NEW_PASSPHRASE)
        mailbox.wait_for(holder.email, subject_contains="diterbitkan", timeout=20)
        page.click("#to-certificates")
        expect(page.locator(f"#certificate-{old}")).to_contain_text("Renew")
        new = page.locator("#certificates > li").first
        expect(new).not_to_have_id(f"certificate-{old}")
        expect(new).to_contain_text("Issued")
        expect(page.locator("#certificates > li")).to_have_count(2)
        screenshots.take(page, "sertifikat lama renew baru issued")


def test_b22_change_passphrase_then_signing_takes_the_new_one_only(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient, tmp_path: Path,
        screenshots: Screenshots) -> None:  # type: ignore[no-untyped-def]
    """B22 "Ubah Passphrase": old + new + confirmation + consent; a wrong old passphrase is
    refused beside its field (attempts left); then the key is re-sealed, the certificate
    stays, and X7 signing takes the new passphrase and refuses the old one."""
    _, certificate = _holder_with_certificate(page, sidecar_server, admin_api, mailbox)
    page.click(f"#passphrase-{certificate}")
    expect(page.locator("#passphrase-form")).to_be_visible()
    screenshots.take(page, "ubah passphrase")

    page.fill("#old_passphrase", PASSPHRASE)
    page.fill("#passphrase", NEW_PASSPHRASE)
    page.fill("#passphrase_confirm", NEW_PASSPHRASE + "x")
    page.click("#change")  # the confirmation differs and the consent is not ticked
    expect(page.locator("#passphrase_confirm-error")).to_be_visible()
    expect(page.locator("#consent-error")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_visible()
    screenshots.take(page, "konfirmasi dan persetujuan kurang")

    page.fill("#old_passphrase", WRONG_PASSPHRASE)
    page.fill("#passphrase", NEW_PASSPHRASE)
    page.fill("#passphrase_confirm", NEW_PASSPHRASE)
    page.check("#consent")
    page.click("#change")
    expect(page.locator("#old_passphrase-error")).to_contain_text(
        "Passphrase salah. Sisa percobaan: 4.")
    expect(page.locator("#old_passphrase")).to_have_attribute("aria-invalid", "true")
    screenshots.take(page, "passphrase lama salah")

    page.fill("#old_passphrase", PASSPHRASE)
    page.fill("#passphrase", NEW_PASSPHRASE)
    page.fill("#passphrase_confirm", NEW_PASSPHRASE)
    page.check("#consent")
    page.click("#change")
    expect(_notice(page)).to_contain_text("Passphrase diubah; sertifikat tetap sama.")
    expect(page.locator("#certificates > li")).to_have_count(1)
    expect(page.locator(f"#certificate-{certificate}")).to_contain_text("Issued")
    screenshots.take(page, "passphrase diubah")

    pdf = blank_pdf(tmp_path / "nota.pdf")
    page.click("#menu >> text=Tanda Tangan Dokumen")
    _sign(page, pdf, PASSPHRASE)
    expect(page.locator("#passphrase-error")).to_contain_text("Passphrase salah")
    screenshots.take(page, "passphrase lama ditolak saat tanda tangan")
    with page.expect_download() as signed:
        _sign(page, pdf, NEW_PASSPHRASE)
    assert signed.value.suggested_filename == "nota-ditandatangani.pdf"
    body = Path(signed.value.path()).read_bytes()
    assert body.startswith(b"%PDF") and b"/ByteRange" in body


def test_b22_reset_passphrase_rekeys_and_revokes_the_old_one_as_superseded(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient,
        screenshots: Screenshots) -> None:  # type: ignore[no-untyped-def]
    """B22 "Reset Passphrase" for a forgotten one: the page says first that it re-keys (a new
    key and certificate, the old one revoked as superseded); confirmed, a link by mail ->
    selfie -> new passphrase -> a new certificate Issued, the old one "Revoke" (superseded),
    as B19 lists revoked certificates."""
    holder, old = _holder_with_certificate(page, sidecar_server, admin_api, mailbox)
    page.click(f"#reset-{old}")
    notice = page.locator("#rekey-notice")
    expect(notice).to_contain_text("Reset membuat kunci dan sertifikat baru")
    expect(notice).to_contain_text("sertifikat lama dicabut (superseded)")
    screenshots.take(page, "reset passphrase dijelaskan dahulu")
    page.click("#confirm-reset")
    expect(_notice(page)).to_contain_text("Tautan Reset Passphrase dikirim ke email Anda")
    expect(page.locator("#requests")).to_contain_text("Reset Passphrase")
    screenshots.take(page, "reset diminta")

    open_set_passphrase_link(page, mailbox, holder)
    expect(page.locator("#rekey-notice")).to_be_visible()  # said again on the link's page
    expect(page.locator("label.gb-check")).to_contain_text(
        "Kebijakan Privasi dan Perjanjian Pemilik Sertifikat Elektronik")
    complete_set_passphrase(page, NEW_PASSPHRASE, screenshots)
    mailbox.wait_for(holder.email, subject_contains="diterbitkan", timeout=20)
    page.click("#to-certificates")
    replaced = page.locator(f"#certificate-{old}")
    expect(replaced).to_contain_text("Revoke")
    expect(replaced).to_contain_text("Diganti sertifikat baru")  # superseded
    expect(replaced.locator(f"#reset-{old}")).to_have_count(0)  # no actions on it any more
    new = page.locator("#certificates > li").first
    expect(new).not_to_have_id(f"certificate-{old}")
    expect(new).to_contain_text("Issued")
    screenshots.take(page, "sertifikat baru lama dicabut")


def test_x7_b22_five_wrong_passphrases_lock_the_certificate_until_a_reset(
        page: Page, keycloak, admin_api: KeycloakApi, sidecar_server: str,
        provisioned: list[RealmSpec], mailbox: MailSinkClient, tmp_path: Path,
        screenshots: Screenshots) -> None:  # type: ignore[no-untyped-def]
    """X7 with B22's lock, in English: four wrong passphrases on "Sign a document" each say
    how many attempts are left; the fifth locks the certificate and the page says -- and
    links to -- the passphrase reset that opens it; the right passphrase is refused from
    then on, when signing and when changing the passphrase. The reset re-keys, and the
    new certificate signs."""
    holder, certificate = _holder_with_certificate(page, sidecar_server, admin_api, mailbox)
    pdf = blank_pdf(tmp_path / "kontrak.pdf")
    page.goto(f"{sidecar_server}/bsre/tanda-tangan?lang=en")
    for left in (4, 3, 2, 1):
        _sign(page, pdf, WRONG_PASSPHRASE)
        expect(page.locator("#passphrase-error")).to_have_text(
            f"Wrong passphrase. Attempts left: {left}.")
        if left == 4:
            screenshots.take(page, "wrong passphrase in english")
    _sign(page, pdf, WRONG_PASSPHRASE)
    locked = page.locator("#refused")
    expect(locked).to_contain_text(
        "Five wrong passphrases: the certificate is locked until a passphrase reset.")
    expect(locked.locator("#to-reset")).to_have_attribute(
        "href", f"/bsre/sertifikat/{certificate}/reset")
    screenshots.take(page, "locked in english")

    with page.expect_response(f"{sidecar_server}/bsre/tanda-tangan") as answer:
        _sign(page, pdf, PASSPHRASE)  # the right one, too late
    assert answer.value.status == 403
    expect(locked).to_be_visible()
    expect(page.locator("#passphrase-error")).to_have_count(0)

    page.goto(f"{sidecar_server}/bsre/sertifikat/{certificate}/passphrase?lang=id")
    page.fill("#old_passphrase", PASSPHRASE)
    page.fill("#passphrase", NEW_PASSPHRASE)
    page.fill("#passphrase_confirm", NEW_PASSPHRASE)
    page.check("#consent")
    page.click("#change")
    expect(page.locator("#locked")).to_contain_text("dikunci sampai Reset Passphrase")
    screenshots.take(page, "ubah passphrase terkunci")

    # The way out: the reset its message links to -- a new key, certificate and passphrase.
    page.click("#locked >> #to-reset")
    expect(page.locator("#rekey-notice")).to_be_visible()
    page.click("#confirm-reset")
    open_set_passphrase_link(page, mailbox, holder)
    complete_set_passphrase(page, NEW_PASSPHRASE)
    page.click("#to-certificates")
    expect(page.locator(f"#certificate-{certificate}")).to_contain_text("Revoke")
    page.click("#menu >> text=Tanda Tangan Dokumen")
    with page.expect_download() as signed:
        _sign(page, pdf, NEW_PASSPHRASE)
    assert b"/ByteRange" in Path(signed.value.path()).read_bytes()
