"""Issue 12 first slice -- B17, B18, B15, B16, B21, X6: "Permohonan Baru" mails a Set Passphrase
link; its page confirms the profile, checks a selfie, takes the passphrase twice and the
subscriber agreement, and issues the certificate; the lists show the request and the
certificate; "Unduh" gives the chain and never the key; the CRL is served."""
# Fixtures imported from support/ca_fixtures.py read as redefinitions where tests take them.
# ruff: noqa: F811

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.ca.hierarchy import CaMaterial
from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.web.rate_limit import FACE_CHECKS_PER_LINK
from gerbang_sidecar.wiring import Services
from support.account_data import download_account_data
from support.ca_fixtures import (  # noqa: F401 - fixtures of every test with a CA
    KEK,
    authority,
    clock,
    material,
    settings_overrides,
)
from support.clock import FakeClock

from .conftest import BSSN, csrf, face_jpeg, post_form, work_outbox

PASSPHRASE = "Rahasia#2025x"


@pytest.fixture
def holder(fake_keycloak: FakeKeycloakUsers) -> str:
    return fake_keycloak.create_user("bsre", NewUser(
        username="agus@bssn.go.id", email="agus@bssn.go.id", first_name="Agus Wijaya",
        email_verified=True, attributes={"instansi": BSSN, "nik": "3174041503800005",
                                         "verificationStatus": "terverifikasi"}))


@pytest.fixture
def browser(app: Flask, holder: str, log_in: Callable[..., str], authority: None
            ) -> FlaskClient:
    client = app.test_client()
    log_in(client, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    return client


def _request_link(browser: FlaskClient, services: Services) -> str:
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    assert browser.post("/bsre/sertifikat/permohonan",
                        data={"csrf_token": csrf(page)}).status_code == 302
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    found = re.search(r"https?://\S+/bsre/set-passphrase/t/\S+", mail.text)
    assert found, mail.text
    return urlsplit(found.group(0)).path


def _set(client: FlaskClient, **data: object):  # type: ignore[no-untyped-def]
    return post_form(client, "/bsre/set-passphrase", data,
                     content_type="multipart/form-data")


def test_b17_b18_issuance_through_the_set_passphrase_link(
        app: Flask, browser: FlaskClient, services: Services,
        fake_keycloak: FakeKeycloakUsers, holder: str) -> None:
    link = _request_link(browser, services)
    phone = app.test_client()
    assert phone.get(link).status_code == 302
    page = phone.get("/bsre/set-passphrase").get_data(as_text=True)
    assert "AGUS WIJAYA" in page and BSSN in page
    early = _set(phone, action="submit", passphrase=PASSPHRASE,
                 passphrase_confirm=PASSPHRASE, agreement="y")
    assert early.status_code == 422  # the selfie comes first
    assert _set(phone, action="save_photo",
                photo=(io.BytesIO(face_jpeg()), "f.jpg")).status_code == 200
    for bad, field in (("Rahasia[2025x", "passphrase"), ("rahasia#2025x", "passphrase")):
        refused = _set(phone, action="submit", passphrase=bad, passphrase_confirm=bad,
                       agreement="y")
        assert refused.status_code == 422 and f'id="{field}-error"' in refused.get_data(
            as_text=True)
        assert bad not in refused.get_data(as_text=True)  # never shown back
    mismatch = _set(phone, action="submit", passphrase=PASSPHRASE,
                    passphrase_confirm="Rahasia#2025y", agreement="y")
    assert 'id="passphrase_confirm-error"' in mismatch.get_data(as_text=True)
    no_agreement = _set(phone, action="submit", passphrase=PASSPHRASE,
                        passphrase_confirm=PASSPHRASE)
    assert 'id="agreement-error"' in no_agreement.get_data(as_text=True)
    issued = _set(phone, action="submit", passphrase=PASSPHRASE,
                  passphrase_confirm=PASSPHRASE, agreement="y")
    assert issued.status_code == 200 and "diterbitkan" in issued.get_data(as_text=True)
    # Single use.
    assert app.test_client().get(link).status_code == 404

    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    for line in ("Common Name: AGUS WIJAYA", f"Organization: {BSSN}", "Country: Indonesia",
                 "Description: eSign"):
        assert line in mail.text
    assert fake_keycloak.get_user("bsre", holder).attributes[  # type: ignore[union-attr]
        "subscriberAgreementAt"]
    lists = browser.get("/bsre/sertifikat").get_data(as_text=True)
    assert "Issued" in lists and "Success" in lists and "AGUS WIJAYA" in lists
    certificate_id = int(re.findall(r'id="certificate-(\d+)"', lists)[0])
    pem = browser.get(f"/bsre/sertifikat/{certificate_id}/unduh").data
    assert pem.count(b"BEGIN CERTIFICATE") == 3 and b"PRIVATE KEY" not in pem
    leaf = x509.load_pem_x509_certificate(pem)
    assert leaf.subject.rfc4514_string().startswith("CN=AGUS WIJAYA")


def test_b13_b11_refusals_and_other_peoples_certificates(
        app: Flask, browser: FlaskClient, services: Services, holder: str,
        fake_keycloak: FakeKeycloakUsers, log_in: Callable[..., str]) -> None:
    fake_keycloak.update_user("bsre", holder, enabled=False)
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    browser.post("/bsre/sertifikat/permohonan", data={"csrf_token": csrf(page)})
    work_outbox(services)
    assert services.mailer.to("agus@bssn.go.id") == []  # type: ignore[attr-defined]
    other = app.test_client()
    log_in(other, sub="someone-else", client_id="bsre-portal", roles=("pengguna",))
    assert other.get("/bsre/sertifikat/1/unduh").status_code == 404


def test_x6_the_crl_and_the_ca_certificate_are_public(app: Flask, authority: None) -> None:
    anyone = app.test_client()
    crl = anyone.get("/pki/issuing-ca.crl")
    assert crl.status_code == 200 and crl.mimetype == "application/pkix-crl"
    assert list(x509.load_der_x509_crl(crl.data)) == []
    ca = anyone.get("/pki/issuing-ca.crt")
    assert x509.load_der_x509_certificate(ca.data).subject.rfc4514_string().startswith(
        "CN=Gerbang Issuing CA")
    # Shared caches keep them: no cookie on them, not even the language's (?lang= asks one).
    for path in ("/pki/issuing-ca.crl?lang=en", "/pki/issuing-ca.crt?lang=en"):
        shared = app.test_client().get(path)
        assert shared.cache_control.public and "Set-Cookie" not in shared.headers, path


def test_x6_a_crl_is_reused_until_a_revocation_or_half_its_life_and_numbers_grow(
        app: Flask, browser: FlaskClient, services: Services, clock: Any, holder: str) -> None:
    certificate_id = _issue(app, browser, services)
    anyone = app.test_client()

    def number(der: bytes) -> int:
        return x509.load_der_x509_crl(der).extensions.get_extension_for_class(
            x509.CRLNumber).value.crl_number

    first = anyone.get("/pki/issuing-ca.crl").data
    assert anyone.get("/pki/issuing-ca.crl").data == first  # not signed again
    clock.advance(hours=3, seconds=1)  # half of the 6-hour life
    refreshed = anyone.get("/pki/issuing-ca.crl").data
    assert refreshed != first and number(refreshed) > number(first)
    services.revocation.by_holder(holder, certificate_id, "key_compromise")
    after = anyone.get("/pki/issuing-ca.crl").data  # at once, within the same second
    assert len(list(x509.load_der_x509_crl(after))) == 1 and number(after) >= number(refreshed)


def _issue(app: Flask, browser: FlaskClient, services: Services) -> int:
    link = _request_link(browser, services)
    phone = app.test_client()
    phone.get(link)
    _set(phone, action="save_photo", photo=(io.BytesIO(face_jpeg()), "f.jpg"))
    _set(phone, action="submit", passphrase=PASSPHRASE, passphrase_confirm=PASSPHRASE,
         agreement="y")
    lists = browser.get("/bsre/sertifikat").get_data(as_text=True)
    return int(re.findall(r'id="certificate-(\d+)"', lists)[0])


def test_b21_one_esign_in_force_at_a_time(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    """A newcomer asked again with an eSign Issued and held two: "Permohonan Baru" is
    refused beside the list (renewal, Reset Passphrase or revocation make a new one), no
    link is sent; once the certificate is revoked a new request is taken."""
    certificate_id = _issue(app, browser, services)
    work_outbox(services)
    mails = len(services.mailer.sent)  # type: ignore[attr-defined]
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    again = browser.post("/bsre/sertifikat/permohonan", data={"csrf_token": csrf(page)},
                         follow_redirects=True).get_data(as_text=True)
    assert "Sudah ada sertifikat eSign yang berlaku" in again
    assert 'id="new-request"' not in again  # the list offers no second one either
    work_outbox(services)
    assert len(services.mailer.sent) == mails  # type: ignore[attr-defined]
    assert browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "superseded", "confirmed": "yes"}
                        ).status_code == 302
    assert _request_link(browser, services)


def test_b19_x6_the_holder_revokes_and_the_crl_names_the_certificate(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    certificate_id = _issue(app, browser, services)
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    assert '<option value="">' in page  # no reason preselected
    # "Pencabutan" in the list asks once more, with the chosen reason kept; nothing yet.
    asked = browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "key_compromise"})
    question = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="revoke-submit"' in question
    assert '<option value="key_compromise" selected>' in question
    assert "Revoke" not in browser.get("/bsre/sertifikat").get_data(as_text=True)
    unreasoned = browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "", "confirmed": "yes"})
    assert unreasoned.status_code == 422
    assert 'id="reason-error"' in unreasoned.get_data(as_text=True)
    assert browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "not-a-reason", "confirmed": "yes"}
                        ).status_code == 404
    assert browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "key_compromise", "confirmed": "yes"}
                        ).status_code == 302
    lists = browser.get("/bsre/sertifikat").get_data(as_text=True)
    assert "Revoke" in lists and f'id="revoke-{certificate_id}"' not in lists
    crl = x509.load_der_x509_crl(app.test_client().get("/pki/issuing-ca.crl").data)
    entries = list(crl)
    assert len(entries) == 1
    assert entries[0].extensions.get_extension_for_class(x509.CRLReason).value.reason == \
        x509.ReasonFlags.key_compromise
    # Revoked is final: a second revocation is refused, and not even asked about.
    assert browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "superseded", "confirmed": "yes"}
                        ).status_code == 404
    assert browser.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "superseded"}).status_code == 404
    work_outbox(services)
    assert "dicabut" in services.mailer.to("agus@bssn.go.id")[-1].subject  # type: ignore[attr-defined]


def test_b19_a_verifikator_revokes_within_the_instansi_only(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    from gerbang_sidecar.services.bsre.officers import Officer
    from gerbang_sidecar.services.certificates.revocation import NotRevocable, Revoked

    certificate_id = _issue(app, browser, services)
    other = Officer("bali-officer", "Pemerintah Provinsi Bali")
    assert isinstance(services.revocation.by_officer(other, certificate_id, "superseded"),
                      NotRevocable)
    own = Officer("bssn-officer", BSSN)
    assert isinstance(services.revocation.by_officer(own, certificate_id,
                                                     "affiliation_changed"), Revoked)


def test_b20_renewal_only_in_the_last_30_days_then_the_old_one_reads_renew(
        app: Flask, browser: FlaskClient, services: Services, clock: Any, holder: str,
        log_in: Callable[..., str]) -> None:
    certificate_id = _issue(app, browser, services)
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    early = browser.post(f"/bsre/sertifikat/{certificate_id}/pembaruan",
                         data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert "Pembaruan baru dapat diajukan mulai" in early.get_data(as_text=True)
    clock.advance(days=710)  # two years less 20 days: inside the window
    later = app.test_client()  # the old login is long gone: a new one
    log_in(later, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    page = later.get("/bsre/sertifikat").get_data(as_text=True)
    assert later.post(f"/bsre/sertifikat/{certificate_id}/pembaruan",
                      data={"csrf_token": csrf(page)}).status_code == 302
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    found = re.search(r"https?://\S+/bsre/set-passphrase/t/\S+", mail.text)
    assert found
    phone = app.test_client()
    phone.get(urlsplit(found.group(0)).path)
    _set(phone, action="save_photo", photo=(io.BytesIO(face_jpeg()), "f.jpg"))
    _set(phone, action="submit", passphrase=PASSPHRASE, passphrase_confirm=PASSPHRASE,
         agreement="y")
    lists = later.get("/bsre/sertifikat").get_data(as_text=True)
    assert lists.count('id="certificate-') == 2
    assert "Renew" in lists and "Issued" in lists


def test_b22_change_passphrase_and_five_wrong_ones_lock(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    certificate_id = _issue(app, browser, services)
    path = f"/bsre/sertifikat/{certificate_id}/passphrase"
    new = "Baru#Sandi2026"
    weak = post_form(browser, path, {"old_passphrase": PASSPHRASE, "passphrase": "weak",
                                     "passphrase_confirm": "weak", "consent": "y"})
    assert weak.status_code == 422
    done = post_form(browser, path, {"old_passphrase": PASSPHRASE, "passphrase": new,
                                     "passphrase_confirm": new, "consent": "y"})
    assert done.status_code == 302
    with services.storage.transaction() as tx:
        sealed = tx.certificates.pkcs12_of(certificate_id)
    assert sealed is not None
    pkcs12.load_key_and_certificates(sealed, new.encode())
    for n in range(4):
        wrong = post_form(browser, path, {"old_passphrase": "Salah#Sandi2026",
                                          "passphrase": new + "x", "passphrase_confirm":
                                          new + "x", "consent": "y"})
        assert wrong.status_code == 422
        assert f"Sisa percobaan: {4 - n}" in wrong.get_data(as_text=True)
    locked = post_form(browser, path, {"old_passphrase": "Salah#Sandi2026",
                                       "passphrase": new + "x",
                                       "passphrase_confirm": new + "x", "consent": "y"})
    assert locked.status_code == 423
    still = post_form(browser, path, {"old_passphrase": new, "passphrase": new + "x",
                                      "passphrase_confirm": new + "x", "consent": "y"})
    assert still.status_code == 423  # locked until a reset, even with the right one


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _sign(client: FlaskClient, certificate_id: int, passphrase: str,  # type: ignore[no-untyped-def]
          name: str = "surat.pdf", pdf: bytes | None = None):
    token = csrf(client.get("/bsre/sertifikat").get_data(as_text=True))
    return client.post("/bsre/tanda-tangan", data={
        "csrf_token": token, "certificate": str(certificate_id), "passphrase": passphrase,
        "document": (io.BytesIO(pdf or _pdf()), name, "application/pdf")},
        content_type="multipart/form-data")


def test_x7_a_signed_pdf_is_pades_with_revocation_data_and_validates(
        app: Flask, browser: FlaskClient, services: Services, material: CaMaterial,
        tmp_path: Any) -> None:
    import shutil
    import subprocess

    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    certificate_id = _issue(app, browser, services)
    wrong = _sign(browser, certificate_id, "Salah#2025x")
    assert wrong.status_code == 422 and "Sisa percobaan: 4" in wrong.get_data(as_text=True)
    signed = _sign(browser, certificate_id, PASSPHRASE)
    assert signed.status_code == 200 and signed.mimetype == "application/pdf"
    assert signed.headers["Content-Disposition"] == \
        "attachment; filename=surat-ditandatangani.pdf"
    # A name Latin-1 cannot spell (it failed the header after signing): RFC 6266 filename*.
    named = _sign(browser, certificate_id, PASSPHRASE, name="Laporan – Dinas.pdf")
    assert named.status_code == 200
    assert "filename*=UTF-8''Laporan%20%E2%80%93%20Dinas-ditandatangani.pdf" in \
        named.headers["Content-Disposition"]
    reader = PdfFileReader(io.BytesIO(signed.data))
    signature = reader.embedded_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert "/DSS" in reader.root  # the validation data, for long-term validation
    from cryptography.hazmat.primitives.serialization import Encoding

    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(
        material.root_certificate).public_bytes(Encoding.DER))
    status = validate_pdf_signature(signature, ValidationContext(
        trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.summary()
    # B-LT: a signature timestamp of the CA's TSA (adapters/signing tests go deeper).
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.valid and stamp.trusted, status.summary()
    if shutil.which("pdfsig"):
        path = tmp_path / "signed.pdf"
        path.write_bytes(signed.data)
        checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                                 check=False)
        assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
        assert "CN=AGUS WIJAYA" in checked.stdout


def test_x7_signing_is_refused_for_a_revoked_certificate_or_a_pending_change(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    certificate_id = _issue(app, browser, services)
    services.bsre_profile_changes.request(holder, "jabatan", "Analis Utama")
    blocked = _sign(browser, certificate_id, PASSPHRASE)
    assert blocked.status_code == 403 and "menunggu persetujuan" in blocked.get_data(
        as_text=True)
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    browser.post(f"/bsre/sertifikat/{certificate_id}/cabut",
                 data={"csrf_token": csrf(page), "reason": "key_compromise", "confirmed": "yes"})
    revoked = _sign(browser, certificate_id, PASSPHRASE)
    assert revoked.status_code == 403 and "tidak berstatus Issued" in revoked.get_data(
        as_text=True)


def _verify_json(client: FlaskClient, pdf: bytes) -> Any:
    return client.post("/verifikasi.json", data={"document": (io.BytesIO(pdf), "s.pdf")},
                       content_type="multipart/form-data").json


def _verify_page(client: FlaskClient, pdf: bytes, lang: str = "id") -> str:
    page = client.get(f"/verifikasi?lang={lang}").get_data(as_text=True)
    return client.post(f"/verifikasi?lang={lang}", data={
        "csrf_token": csrf(page), "document": (io.BytesIO(pdf), "s.pdf")},
        content_type="multipart/form-data").get_data(as_text=True)


def _row(page: str, row_id: str) -> str:
    found = re.search(rf'<dd id="{row_id}">(.*?)</dd>', page, re.S)
    assert found, page
    return found.group(1)


def test_x7_item9_anyone_verifies_a_signed_pdf_and_sees_a_later_change(
        app: Flask, browser: FlaskClient, services: Services, clock: Any) -> None:
    certificate_id = _issue(app, browser, services)
    signed = _sign(browser, certificate_id, PASSPHRASE).data
    anyone = app.test_client()
    report = _verify_page(anyone, signed)
    assert "Semua tanda tangan sah" in report and "AGUS WIJAYA" in report
    assert "PNOID-************0005" in report and "3174041503800005" not in report  # X3
    assert "dibuktikan cap waktu BSrE" in _row(report, "signed-at-1")
    assert "Sah, dari" in _row(report, "timestamp-1")
    as_json = _verify_json(anyone, signed)
    assert as_json["valid"] is True and as_json["signatures"][0]["trusted"] is True
    signature = as_json["signatures"][0]
    assert "PNOID-************0005" in signature["signer"]
    assert "3174041503800005" not in str(as_json)
    assert signature["timestamp"]["valid"] is True
    assert signature["signing_time"] == clock().isoformat()
    assert signature["signing_time_source"] == "timestamp"
    # A change after signing (bytes inside the signed range) breaks integrity.
    tampered = bytearray(signed)
    spot = signed.index(b"/MediaBox")
    tampered[spot + 12] = ord("9") if tampered[spot + 12] != ord("9") else ord("8")
    assert _verify_json(anyone, bytes(tampered))["valid"] is False
    garbage = anyone.post("/verifikasi.json", data={
        "document": (io.BytesIO(b"not a pdf"), "x.pdf")}, content_type="multipart/form-data")
    assert garbage.status_code == 422


def test_x6_item9_revoked_after_signing_valid_at_signing_time_revoked_now(
        app: Flask, browser: FlaskClient, services: Services, clock: Any, holder: str,
        log_in: Callable[..., str]) -> None:
    certificate_id = _issue(app, browser, services)
    signed_at = clock()
    signed = _sign(browser, certificate_id, PASSPHRASE).data
    clock.advance(days=3)
    later = app.test_client()  # the old login is long gone: a new one
    log_in(later, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    page = later.get("/bsre/sertifikat").get_data(as_text=True)
    assert later.post(f"/bsre/sertifikat/{certificate_id}/cabut", data={
        "csrf_token": csrf(page), "reason": "key_compromise", "confirmed": "yes"}
                      ).status_code == 302
    anyone = app.test_client()
    signature = _verify_json(anyone, signed)["signatures"][0]
    assert signature["certificate_at_signing_time"] == {
        "valid": True, "problem": None, "since": None, "revocation_reason": None}
    assert signature["certificate_now"] == {
        "valid": False, "problem": "revoked", "since": clock().isoformat(),
        "revocation_reason": "key_compromise"}
    assert signature["revoked_now"] is True and signature["signing_time"] == \
        signed_at.isoformat()
    # The timestamp proves the signature predates the revocation: still a valid signature.
    assert signature["valid"] is True
    report = _verify_page(anyone, signed)
    verdict = re.search(r'id="verdict">(.*?)</div>', report, re.S)
    assert verdict and "sejak itu telah dicabut" in verdict.group(1)
    assert _row(report, "at-signing-1") == "Sah, tidak dicabut"
    now_row = _row(report, "now-1")
    assert now_row.startswith("Dicabut pada ") and "Kunci privat bocor" in now_row
    english = _verify_page(anyone, signed, "en")
    assert _row(english, "at-signing-1") == "Valid, not revoked"
    assert _row(english, "now-1").startswith("Revoked on ")
    assert "has since been revoked" in english


def test_x6_item9_revoked_before_signing_is_invalid(
        app: Flask, browser: FlaskClient, services: Services, clock: Any) -> None:
    certificate_id = _issue(app, browser, services)
    signed = _sign(browser, certificate_id, PASSPHRASE).data
    # The CA's record says the certificate was revoked an hour before the timestamp: the key
    # was used after its revocation (the signing page itself would have refused).
    with services.storage.transaction() as tx:
        assert tx.certificates.set_status(
            certificate_id, status="revoked", expected="issued",
            revoked_at=clock() - timedelta(hours=1), reason="superseded")
    anyone = app.test_client()
    result = _verify_json(anyone, signed)
    signature = result["signatures"][0]
    assert result["valid"] is False and signature["valid"] is False
    assert signature["certificate_at_signing_time"]["problem"] == "revoked"
    assert signature["certificate_at_signing_time"]["revocation_reason"] == "superseded"
    assert signature["intact"] is True and signature["trusted"] is True
    report = _verify_page(anyone, signed)
    assert 'gb-alert--error" id="verdict"' in report
    assert _row(report, "at-signing-1").startswith("Dicabut pada ")
    assert _row(_verify_page(anyone, signed, "en"), "at-signing-1").startswith("Revoked on ")


def test_item10_h30_reminder_once_then_expired(
        app: Flask, browser: FlaskClient, services: Services, clock: Any) -> None:
    certificate_id = _issue(app, browser, services)
    assert services.certificate_expiry.run() == {"expired": 0, "reminded": 0}
    clock.advance(days=701)  # inside the last 30 days
    assert services.certificate_expiry.run() == {"expired": 0, "reminded": 1}
    assert services.certificate_expiry.run() == {"expired": 0, "reminded": 0}  # once
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    assert "akan habis" in mail.subject and "/bsre/sertifikat" in mail.text
    clock.advance(days=40)
    assert services.certificate_expiry.run() == {"expired": 1, "reminded": 0}
    with services.storage.transaction() as tx:
        row = tx.certificates.certificate(certificate_id)
        assert row is not None and row.status == "expired"


def test_b22_reset_passphrase_rekeys_and_revokes_the_old_one_as_superseded(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    certificate_id = _issue(app, browser, services)
    for _ in range(5):  # locked by five wrong passphrases: the reset is the way out
        _sign(browser, certificate_id, "Salah#2025x")
    assert _sign(browser, certificate_id, PASSPHRASE).status_code == 403
    page = browser.get(f"/bsre/sertifikat/{certificate_id}/reset").get_data(as_text=True)
    assert "tidak dapat dipulihkan" in page  # said before the user confirms
    assert browser.post(f"/bsre/sertifikat/{certificate_id}/reset",
                        data={"csrf_token": csrf(page)}).status_code == 302
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    found = re.search(r"https?://\S+/bsre/set-passphrase/t/\S+", mail.text)
    assert found
    phone = app.test_client()
    phone.get(urlsplit(found.group(0)).path)
    assert 'id="rekey-notice"' in phone.get("/bsre/set-passphrase").get_data(as_text=True)
    _set(phone, action="save_photo", photo=(io.BytesIO(face_jpeg()), "f.jpg"))
    new = "Baru#Sandi2026"
    _set(phone, action="submit", passphrase=new, passphrase_confirm=new, agreement="y")
    with services.storage.transaction() as tx:
        old = tx.certificates.certificate(certificate_id)
        assert old is not None and (old.status, old.revocation_reason) == (
            "revoked", "superseded")
    lists = browser.get("/bsre/sertifikat").get_data(as_text=True)
    newest = max(int(n) for n in re.findall(r'id="certificate-(\d+)"', lists))
    assert _sign(browser, newest, new).status_code == 200


def test_x10_data_saya_holds_the_certificates_and_their_requests_never_the_key(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    certificate_id = _issue(app, browser, services)
    with services.storage.transaction() as tx:
        row = tx.certificates.certificate(certificate_id)
    assert row is not None
    answer = download_account_data(browser, "bsre")
    document = answer.json
    assert document is not None
    [certificate] = document["certificates"]
    assert certificate["serial_number"] == row.serial_number
    assert certificate["status"] == "issued" and certificate["common_name"] == row.common_name
    issued = x509.load_pem_x509_certificate(certificate["certificate_pem"].encode())
    assert f"{issued.serial_number:X}" == row.serial_number
    assert document["certificate_requests"]
    assert all(r["selfie_checked_at"] for r in document["certificate_requests"])
    body = answer.get_data(as_text=True)
    assert "PRIVATE KEY" not in body and "pkcs12" not in body.lower()


def test_b21_b22_an_expired_certificate_the_job_has_not_marked_yet_is_not_issued(
        app: Flask, browser: FlaskClient, services: Services, clock: Any, holder: str,
        log_in: Callable[..., str]) -> None:
    """Between its expiry and the hourly expiry job the row still says issued: no new
    passphrase, no re-key and no renewal for it, and a reset link asked for before the
    expiry issues nothing after it (B21: a new request instead)."""
    certificate_id = _issue(app, browser, services)
    clock.advance(days=729, hours=23)  # hours before expiry: a reset link is asked for
    before = app.test_client()
    log_in(before, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    page = before.get(f"/bsre/sertifikat/{certificate_id}/reset").get_data(as_text=True)
    before.post(f"/bsre/sertifikat/{certificate_id}/reset", data={"csrf_token": csrf(page)})
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    found = re.search(r"https?://\S+/bsre/set-passphrase/t/\S+", mail.text)
    assert found
    clock.advance(hours=2)  # expired an hour ago; the job has not run; the link still lives
    later = app.test_client()
    log_in(later, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    path = f"/bsre/sertifikat/{certificate_id}/passphrase"
    new = "Baru#Sandi2026"
    changed = post_form(later, path, {"old_passphrase": PASSPHRASE, "passphrase": new,
                                      "passphrase_confirm": new, "consent": "y"})
    assert changed.status_code == 404
    page = later.get("/bsre/sertifikat").get_data(as_text=True)
    for action in ("reset", "pembaruan"):
        refused = later.post(f"/bsre/sertifikat/{certificate_id}/{action}",
                             data={"csrf_token": csrf(page)}, follow_redirects=True)
        assert "ajukan Permohonan Baru" in refused.get_data(as_text=True), action
    phone = app.test_client()
    phone.get(urlsplit(found.group(0)).path)
    _set(phone, action="save_photo", photo=(io.BytesIO(face_jpeg()), "f.jpg"))
    late = _set(phone, action="submit", passphrase=new, passphrase_confirm=new, agreement="y")
    assert late.status_code == 403
    with services.storage.transaction() as tx:
        row = tx.certificates.certificate(certificate_id)
        assert row is not None and row.status == "issued"  # nothing revoked, nothing new
    assert later.get("/bsre/sertifikat").get_data(as_text=True).count('id="certificate-') == 1


def test_b16_another_holders_certificate_pages_are_not_found(
        app: Flask, browser: FlaskClient, services: Services, fake_keycloak: FakeKeycloakUsers,
        log_in: Callable[..., str]) -> None:
    certificate_id = _issue(app, browser, services)
    other = fake_keycloak.create_user("bsre", NewUser(
        username="budi@bssn.go.id", email="budi@bssn.go.id", first_name="Budi",
        email_verified=True, attributes={"instansi": BSSN, "nik": "3174041503800006",
                                         "verificationStatus": "terverifikasi"}))
    stranger = app.test_client()
    log_in(stranger, sub=other, client_id="bsre-portal", roles=("pengguna",))
    for page in ("reset", "passphrase"):
        assert stranger.get(f"/bsre/sertifikat/{certificate_id}/{page}").status_code == 404
        assert browser.get(f"/bsre/sertifikat/{certificate_id}/{page}").status_code == 200


def test_b17_one_link_compares_at_most_ten_selfies(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    """The Set Passphrase link's selfie goes to Dukcapil's face comparison: whoever holds
    the link gets ten tries, not an oracle for the holder's face (from any address)."""
    link = _request_link(browser, services)
    phone = app.test_client()
    phone.get(link)
    for _ in range(FACE_CHECKS_PER_LINK):
        assert _set(phone, action="save_photo",
                    photo=(io.BytesIO(face_jpeg()), "f.jpg")).status_code != 429
    other_address = app.test_client()
    other_address.get(link)
    refused = post_form(other_address, "/bsre/set-passphrase",
                        {"action": "save_photo", "photo": (io.BytesIO(face_jpeg()), "f.jpg")},
                        content_type="multipart/form-data",
                        environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert refused.status_code == 429


def test_item9_a_pdf_saved_over_too_often_is_refused_beside_the_field_in_both_languages(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    from gerbang_sidecar.adapters.signing.pades import MAX_REVISIONS

    certificate_id = _issue(app, browser, services)
    signed = _sign(browser, certificate_id, PASSPHRASE).data
    empty = b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< >>\nstartxref\n0\n%%EOF\n"
    stuffed = signed + empty * MAX_REVISIONS
    anyone = app.test_client()
    answer = anyone.post("/verifikasi.json", data={"document": (io.BytesIO(stuffed), "s.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "100 kali" in answer.json["errors"]["document"]
    assert "disimpan ulang" in _verify_page(anyone, stuffed)
    assert "saved over more than 100 times" in _verify_page(anyone, stuffed, lang="en")


def test_x2_item9_the_page_and_the_json_endpoint_spend_one_budget(app: Flask,
                                                                   authority: None) -> None:
    """Each costs the same verification: a client must not get twice the CPU by using
    both (hostile measurement)."""
    from gerbang_sidecar.web.bsre.verification_page import LIMIT

    anyone = app.test_client()
    for n in range(LIMIT):
        path = "/verifikasi.json" if n % 2 else "/verifikasi"
        anyone.post(path, data={"document": (io.BytesIO(b"%PDF-1.7"), "s.pdf")},
                    content_type="multipart/form-data")
    assert anyone.post("/verifikasi.json", data={}, content_type="multipart/form-data"
                       ).status_code == 429


def _upload(client: FlaskClient, path: str = "/verifikasi.json") -> int:
    data: dict[str, Any] = {"document": (io.BytesIO(b"%PDF-1.7"), "s.pdf")}
    if path == "/verifikasi":
        data["csrf_token"] = csrf(client.get(path).get_data(as_text=True))
    return client.post(path, data=data, content_type="multipart/form-data").status_code


def _at_a_window_start(clock: FakeClock, window: int) -> None:
    clock.advance(seconds=window - clock().timestamp() % window + 1)


def test_x2_item9_a_client_s_verifications_are_limited_by_the_time_they_take(
        app: Flask, services: Services, authority: None, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty uploads in ten minutes bound their number, not their cost: a hostile PDF takes
    the ten seconds of CPU its child may use, a letter a fraction of one. A client whose
    uploads took SECONDS_PER_CLIENT of verifying in the window is refused until it turns,
    however few they were; on the page and the JSON endpoint alike (one budget)."""
    from gerbang_sidecar.ports.signing import TooComplex
    from gerbang_sidecar.web.bsre.verification_page import (
        RESERVED_SECONDS,
        SECONDS_PER_CLIENT,
        WINDOW,
    )

    class Slow:
        def verify(self, *_args: object, **_kwargs: object) -> None:
            clock.advance(seconds=12)  # the verification's time, as the sidecar's clock saw it
            raise TooComplex("limit reached")

    monkeypatch.setattr(services.public_verification, "_verifier", Slow())
    _at_a_window_start(clock, WINDOW)
    anyone = app.test_client()
    allowed, spent = 0, 0
    while spent + RESERVED_SECONDS <= SECONDS_PER_CLIENT:  # each starts with a reservation
        allowed, spent = allowed + 1, spent + 12
    assert [_upload(anyone) for _ in range(allowed)] == [422] * allowed
    assert _upload(anyone) == 429 and _upload(anyone, "/verifikasi") == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert _upload(elsewhere) == 422  # another client's budget
    clock.advance(seconds=WINDOW)
    assert _upload(anyone) == 422


def test_x2_item9_a_client_cannot_start_more_verifications_at_once_than_its_seconds_cover(
        app: Flask, services: Services, authority: None, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The time is known only afterwards; what runs meanwhile holds RESERVED_SECONDS each,
    so uploads sent together cannot take every sidecar's verification turn (review)."""
    from gerbang_sidecar.ports.signing import TooComplex, VerifierBusy
    from gerbang_sidecar.web.bsre.verification_page import (
        RESERVED_SECONDS,
        SECONDS_PER_CLIENT,
        WINDOW,
    )

    anyone = app.test_client()
    inner: list[int] = []

    class StartsAnother:
        """Each verification, while it runs, has the same client send one more upload (from
        a thread of its own, as a second request would come)."""

        def verify(self, *_args: object, **_kwargs: object) -> None:
            if len(inner) < SECONDS_PER_CLIENT // RESERVED_SECONDS:
                index = len(inner)
                inner.append(0)
                sender = threading.Thread(target=lambda: inner.__setitem__(
                    index, _upload(app.test_client())))
                sender.start()
                sender.join()
            raise TooComplex("limit reached")

    monkeypatch.setattr(services.public_verification, "_verifier", StartsAnother())
    _at_a_window_start(clock, WINDOW)
    assert _upload(anyone) == 422
    assert inner == [422, 422, 429]  # three at once; the fourth waits for one to end
    assert _upload(anyone) == 422  # they took no time: the seconds are given back

    class Busy:
        def verify(self, *_args: object, **_kwargs: object) -> None:
            clock.advance(seconds=3)  # waited for a turn that never came
            raise VerifierBusy()

    monkeypatch.setattr(services.public_verification, "_verifier", Busy())
    # Fourteen of them (within the count of twenty) would be 42 seconds: none is counted.
    assert [_upload(anyone) for _ in range(14)] == [503] * 14


def test_x7_item9_a_document_signed_twice_reports_both_signatures_valid(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    """Two signatures on one letter (here the same holder's, as two officials would): the
    second one is made beside the first, and neither is reported as a change."""
    certificate_id = _issue(app, browser, services)
    once = _sign(browser, certificate_id, PASSPHRASE).data
    twice = _sign(browser, certificate_id, PASSPHRASE, pdf=once)
    assert twice.status_code == 200 and twice.mimetype == "application/pdf"
    anyone = app.test_client()
    report = _verify_page(anyone, twice.data)
    assert "Semua tanda tangan sah" in report
    assert "hanya ditambah tanda tangan lain yang sah" in _row(report, "integrity-1")
    assert _row(report, "integrity-2") == "Ya"
    signatures = _verify_json(anyone, twice.data)["signatures"]
    assert [s["later_signatures_added"] for s in signatures] == [True, False]
    english = _verify_page(anyone, twice.data, lang="en")
    assert "further valid signatures" in _row(english, "integrity-1")
    assert "Tanda tangan 2 dari 2" in report and "Signature 1 of 2" in english


def test_item9_an_upload_too_complex_to_check_is_told_so_beside_the_field(
        app: Flask, services: Services, authority: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A certificate lattice or a diamond of references: the verification's child process
    ran out of CPU; the page says so in either language, and the sidecar goes on."""
    from gerbang_sidecar.adapters.signing.isolated import IsolatedPdfVerifier
    from support.hostile_verifiers import Spinning

    monkeypatch.setattr(services.public_verification, "_verifier",
                        IsolatedPdfVerifier(Spinning(), cpu_seconds=1))
    anyone = app.test_client()
    answer = anyone.post("/verifikasi.json", data={"document": (io.BytesIO(b"%PDF-1.7"), "s.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "terlalu rumit" in answer.json["errors"]["document"]
    assert "too complex to check" in _verify_page(anyone, b"%PDF-1.7", lang="en")


def test_x5_item9_a_busy_verifier_says_try_again_with_a_503(
        app: Flask, services: Services, authority: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from gerbang_sidecar.ports.signing import VerifierBusy

    class Busy:
        def verify(self, *_args: object, **_kwargs: object) -> None:
            raise VerifierBusy()

    monkeypatch.setattr(services.public_verification, "_verifier", Busy())
    anyone = app.test_client()
    answer = anyone.post("/verifikasi.json", data={"document": (io.BytesIO(b"%PDF-1.7"), "s.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 503 and answer.json["errors"]["request"]
    page = anyone.get("/verifikasi").get_data(as_text=True)
    shown = anyone.post("/verifikasi", data={
        "csrf_token": csrf(page), "document": (io.BytesIO(b"%PDF-1.7"), "s.pdf")},
        content_type="multipart/form-data")
    assert shown.status_code == 503 and 'id="temporary-problem"' in shown.get_data(as_text=True)


def test_x7_a_document_saved_over_too_often_is_not_signed_and_the_try_is_given_back(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    from gerbang_sidecar.adapters.signing.pades import MAX_REVISIONS
    from support.pdfs import empty_revisions

    certificate_id = _issue(app, browser, services)
    refused = _sign(browser, certificate_id, PASSPHRASE,
                    pdf=empty_revisions(_pdf(), MAX_REVISIONS))
    assert refused.status_code == 422 and "100 kali" in refused.get_data(as_text=True)
    with services.storage.transaction() as tx:
        row = tx.certificates.certificate(certificate_id)
        assert row is not None and row.failed_passphrases == 0
