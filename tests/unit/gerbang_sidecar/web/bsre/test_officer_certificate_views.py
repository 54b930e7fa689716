"""B14, B16, B19, B20, B22 through the Verifikator: eSeal only by an officer, for the
instansi with a named holder who sets its passphrase; the officer renews, revokes, asks for a
passphrase change and reads "Info" -- on the instansi's users only. Also the holder's side:
"Info", eSeal/TLS refused to a user, the Set Passphrase link by WhatsApp too."""
# The holder's fixtures are imported from the holder's tests (a conftest would put their clock
# and CA key on every BSrE test); pytest's fixture parameters then read as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.domain.certificates.profiles import Product
from gerbang_sidecar.services.certificates.issuance import NotAllowed
from gerbang_sidecar.wiring import Services

from .conftest import BALI, BSSN, csrf, face_jpeg, work_outbox
from .test_certificate_views import (  # noqa: F401 - fixtures shared with the holder's tests
    PASSPHRASE,
    _issue,
    _set,
    authority,
    browser,
    clock,
    holder,
    material,
    settings_overrides,
)

PHONE = "+6281234567890"


def _link_in(text: str) -> str:
    found = re.search(r"https?://\S+/bsre/set-passphrase/t/\S+", text)
    assert found, text
    return urlsplit(found.group(0)).path


def _take(app: Flask, link: str, passphrase: str = PASSPHRASE) -> None:
    phone = app.test_client()
    phone.get(link)
    _set(phone, action="save_photo", photo=(io.BytesIO(face_jpeg()), "f.jpg"))
    done = _set(phone, action="submit", passphrase=passphrase,
                passphrase_confirm=passphrase, agreement="y")
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]


def test_b14_eseal_only_through_the_verifikator_with_a_named_holder(
        app: Flask, browser: FlaskClient, verifier: FlaskClient, services: Services,
        holder: str, authority: None, fake_keycloak: FakeKeycloakUsers) -> None:
    fake_keycloak.update_user("bsre", holder, attributes={"phoneNumber": PHONE})
    # The user cannot ask for a seal or TLS (the page lists them as such).
    assert isinstance(services.certificates.request(holder, Product.ESEAL), NotAllowed)
    assert isinstance(services.certificates.request(holder, Product.TLS), NotAllowed)
    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    assert 'id="product-eseal"' in page and "Verifikator" in page
    # The officer: the account page offers eSign and eSeal, TLS disabled.
    account = verifier.get(f"/bsre/verifikator/akun/{holder}").get_data(as_text=True)
    assert 'value="eseal"' in account and 'value="tls" disabled' in account
    assert verifier.get(f"/bsre/verifikator/akun/{holder}/sertifikat/baru?produk=tls"
                        ).status_code == 404
    ask = verifier.get(f"/bsre/verifikator/akun/{holder}/sertifikat/baru?produk=eseal")
    question = ask.get_data(as_text=True)
    assert "permohonan penerbitan sertifikat Segel (eSeal) untuk pengguna ini" in question
    assert verifier.post(f"/bsre/verifikator/akun/{holder}/sertifikat/baru?produk=eseal",
                         data={"csrf_token": csrf(question)}).status_code == 302
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    link = _link_in(mail.text)
    # The same link by WhatsApp, to the number on the profile.
    sent = services.registries.message_gateway.messages_to(PHONE)  # type: ignore[attr-defined]
    assert sent and sent[-1].channel == "whatsapp" and link in sent[-1].text
    _take(app, link)
    with services.storage.transaction() as tx:
        rows = tx.certificates.certificates_of(realm="bsre", user_id=holder)
    seal = rows[-1]
    assert (seal.product, seal.status, seal.common_name) == ("eseal", "issued", BSSN.upper())
    subject = x509.load_der_x509_certificate(bytes(seal.certificate)).subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == BSSN
    serial = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    assert serial == f"SEAL-{holder}" and "3174041503800005" not in subject.rfc4514_string()
    lists = browser.get("/bsre/sertifikat").get_data(as_text=True)
    assert "Segel (eSeal)" in lists
    with services.storage.session_factory() as s:
        actors = [e.actor for e in s.scalars(select(AuditEvent).where(
            AuditEvent.event_type == "bsre.certificate.issue_requested"))]
    assert actors and actors[-1] != holder  # the officer asked


def test_b14_another_instansi_gets_404_everywhere(
        app: Flask, browser: FlaskClient, services: Services, holder: str,
        officer_login: Callable[..., str]) -> None:
    certificate_id = _issue(app, browser, services)
    bali = app.test_client()
    officer_login(bali, instansi=BALI, name="bali")
    page = bali.get("/bsre/verifikator/daftarkan").get_data(as_text=True)
    token = csrf(page)
    for path in (f"/bsre/verifikator/akun/{holder}/sertifikat/baru?produk=eseal",
                 f"/bsre/verifikator/sertifikat/{certificate_id}/pembaruan",
                 f"/bsre/verifikator/sertifikat/{certificate_id}/info"):
        assert bali.get(path).status_code == 404, path
    for path, data in ((f"/bsre/verifikator/sertifikat/{certificate_id}/cabut",
                        {"reason": "superseded", "confirmed": "yes"}),
                       (f"/bsre/verifikator/sertifikat/{certificate_id}/passphrase", {}),
                       (f"/bsre/verifikator/sertifikat/{certificate_id}/pembaruan", {})):
        assert bali.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    with services.storage.transaction() as tx:
        row = tx.certificates.certificate(certificate_id)
    assert row is not None and row.status == "issued"


def test_b20_b19_b22_b16_the_verifikator_renews_revokes_asks_and_reads_info(
        app: Flask, browser: FlaskClient, verifier: FlaskClient, services: Services,
        holder: str, clock: Any, officer_login: Callable[..., str]) -> None:
    certificate_id = _issue(app, browser, services)
    info = verifier.get(f"/bsre/verifikator/sertifikat/{certificate_id}/info")
    text = info.get_data(as_text=True)
    assert info.status_code == 200 and "PNOID-3174041503800005" in text and "RSA" in text
    assert "/pki/ocsp" in text
    # Renewal is refused outside the window, with the date it opens: at once on the page,
    # and on a forged submit too.
    early = verifier.get(f"/bsre/verifikator/sertifikat/{certificate_id}/pembaruan",
                         follow_redirects=True).get_data(as_text=True)
    assert "Pembaruan baru dapat diajukan mulai" in early and "untuk pengguna ini" not in early
    forged = verifier.post(f"/bsre/verifikator/sertifikat/{certificate_id}/pembaruan",
                           data={"csrf_token": csrf(early)}, follow_redirects=True)
    assert "Pembaruan baru dapat diajukan mulai" in forged.get_data(as_text=True)
    # The passphrase change goes to the holder by mail.
    account = verifier.get(f"/bsre/verifikator/akun/{holder}").get_data(as_text=True)
    assert verifier.post(f"/bsre/verifikator/sertifikat/{certificate_id}/passphrase",
                         data={"csrf_token": csrf(account)}).status_code == 302
    work_outbox(services)
    mail = services.mailer.to("agus@bssn.go.id")[-1]  # type: ignore[attr-defined]
    assert f"/bsre/sertifikat/{certificate_id}/passphrase" in mail.text
    # Inside the window the officer renews; the link goes to the holder.
    clock.advance(days=710)
    later = app.test_client()
    officer_login(later, name="verif2")
    ask = later.get(f"/bsre/verifikator/sertifikat/{certificate_id}/pembaruan")
    assert "untuk pengguna ini" in ask.get_data(as_text=True)
    assert later.post(f"/bsre/verifikator/sertifikat/{certificate_id}/pembaruan",
                      data={"csrf_token": csrf(ask.get_data(as_text=True))}
                      ).status_code == 302
    work_outbox(services)
    _take(app, _link_in(services.mailer.to("agus@bssn.go.id")[-1].text))  # type: ignore[attr-defined]
    with services.storage.transaction() as tx:
        rows = tx.certificates.certificates_of(realm="bsre", user_id=holder)
    statuses = {r.id: r.status for r in rows}
    assert statuses[certificate_id] == "renewed" and "issued" in statuses.values()
    newest = max(statuses)
    account = later.get(f"/bsre/verifikator/akun/{holder}").get_data(as_text=True)
    assert later.post(f"/bsre/verifikator/sertifikat/{newest}/cabut", data={
        "csrf_token": csrf(account), "reason": "affiliation_changed", "confirmed": "yes"}
                      ).status_code == 302
    with services.storage.transaction() as tx:
        revoked = tx.certificates.certificate(newest)
    assert revoked is not None and revoked.revocation_reason == "affiliation_changed"
    # B21: neither can be renewed now.
    for cid in (certificate_id, newest):
        again = later.post(f"/bsre/verifikator/sertifikat/{cid}/pembaruan",
                           data={"csrf_token": csrf(account)}, follow_redirects=True)
        assert "Permohonan Baru" in again.get_data(as_text=True)


def test_b16_info_is_the_holders_own_only(
        app: Flask, browser: FlaskClient, services: Services,
        log_in: Callable[..., str]) -> None:
    certificate_id = _issue(app, browser, services)
    page = browser.get(f"/bsre/sertifikat/{certificate_id}/info").get_data(as_text=True)
    assert "CN=AGUS WIJAYA" in page and "Nirsangkal" in page and "PRIVATE" not in page
    other = app.test_client()
    log_in(other, sub="someone-else", client_id="bsre-portal", roles=("pengguna",))
    assert other.get(f"/bsre/sertifikat/{certificate_id}/info").status_code == 404


def test_b17_x1_links_are_throttled_per_holder_and_per_client(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    """Each "Permohonan Baru" mails (and may WhatsApp) a link: five a day to one holder,
    however many addresses ask, and ten in ten minutes from one client -- so a script
    cannot flood the holder's mailbox or the gateway."""
    from gerbang_sidecar.web.bsre.certificates import LINKS_PER_DAY

    page = browser.get("/bsre/sertifikat").get_data(as_text=True)
    answers = [browser.post("/bsre/sertifikat/permohonan",
                            data={"csrf_token": csrf(page)}).status_code for _ in range(11)]
    assert answers == [302] * LINKS_PER_DAY + [429] * (11 - LINKS_PER_DAY)
