"""B11, X9, X4, item 1: an officer disables a compromised account of their instansi (every
session ends), files the reset-authenticator request with three checked documents, the RA
approves: devices removed, account enabled, "Reset Authenticator" mail. Another instansi's
officer gets 404 everywhere."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, NewUser
from gerbang_sidecar.web.security_headers import UPLOADED_DOCUMENT_CSP
from gerbang_sidecar.wiring import Services

from .conftest import BALI, BSSN, csrf, work_outbox

T0 = 1_740_816_000_000


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (250, 250, 250)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def holder(fake_keycloak: FakeKeycloakUsers) -> str:
    user_id = fake_keycloak.create_user("bsre", NewUser(
        username="asn@bssn.go.id", email="asn@bssn.go.id", first_name="Asn Bssn",
        attributes={"instansi": BSSN, "nik": "3174041503800005"}))
    fake_keycloak.add_otp_device("bsre", user_id, "HP", T0)
    return user_id


def _disable(client: FlaskClient, user_id: str, reason: str = "Ponsel dicuri"):  # type: ignore[no-untyped-def]
    page = client.get(f"/bsre/verifikator/akun/{user_id}").get_data(as_text=True)
    return client.post(f"/bsre/verifikator/akun/{user_id}/nonaktifkan",
                       data={"csrf_token": csrf(page), "reason": reason})


def _reset(client: FlaskClient, user_id: str, files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    page = client.get(f"/bsre/verifikator/akun/{user_id}").get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": csrf(page)}
    data.update({k: (io.BytesIO(v), f"{k}.bin") for k, v in files.items()})
    return client.post(f"/bsre/verifikator/akun/{user_id}/reset-authenticator", data=data,
                       content_type="multipart/form-data")


def test_b11_x9_disable_ends_every_session_and_blocks_the_account(
        app: Flask, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers, log_in: Callable[..., str]) -> None:
    own = app.test_client()
    log_in(own, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    assert own.get("/bsre/profil").status_code == 200
    found = verifier.get("/bsre/verifikator/akun?q=asn@bssn.go.id")
    assert found.status_code == 302 and found.location.endswith(f"/akun/{holder}")
    assert _disable(verifier, holder, "").status_code == 422  # a reason is required
    assert _disable(verifier, holder).status_code == 302
    assert fake_keycloak.get_user("bsre", holder).enabled is False  # type: ignore[union-attr]
    assert ("bsre", holder) in fake_keycloak.sessions_ended
    assert own.get("/bsre/profil").status_code == 302  # X9: the copied login is gone
    work_outbox(services)
    assert "dinonaktifkan" in services.mailer.to("asn@bssn.go.id")[-1].subject  # type: ignore[attr-defined]


def test_b11_a_verifier_disables_users_not_officers_nor_themselves(
        app: Flask, officer_login: Callable[..., str],
        fake_keycloak: FakeKeycloakUsers) -> None:
    verifier = app.test_client()
    verifier_id = officer_login(verifier, name="verif.satu")
    colleague_id = officer_login(app.test_client(), name="verif.dua")
    for officer in (verifier_id, colleague_id):
        _disable(verifier, officer)
        assert fake_keycloak.get_user("bsre", officer).enabled is True  # type: ignore[union-attr]
    ra = app.test_client()
    officer_login(ra, name="ra", role="ra")
    assert _disable(ra, colleague_id).status_code == 302
    assert fake_keycloak.get_user("bsre", colleague_id).enabled is False  # type: ignore[union-attr]


def test_b11_x4_a_disable_is_recorded_even_when_ending_its_sessions_fails(
        verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(realm: str, user_id: str) -> None:
        raise KeycloakUnavailable("down")

    monkeypatch.setattr(fake_keycloak, "end_sessions", down)
    assert _disable(verifier, holder).status_code == 503
    assert fake_keycloak.get_user("bsre", holder).enabled is False  # type: ignore[union-attr]
    with services.storage.transaction() as tx:
        kinds = [e.event_type for e in tx.session.scalars(select(AuditEvent))]
    assert "bsre.account.disabled" in kinds
    work_outbox(services)
    assert "dinonaktifkan" in services.mailer.to("asn@bssn.go.id")[-1].subject  # type: ignore[attr-defined]


def test_b11_reactivation_by_the_ra_with_three_checked_documents(
        app: Flask, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers, officer_login: Callable[..., str]) -> None:
    fake_keycloak.set_password("bsre", holder, "Lama#Sandi2025")
    _disable(verifier, holder)
    refused = _reset(verifier, holder, {"formulir": b"%PDF-1.7 broken", "antivirus": b"x",
                                        "email_password": b""})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for kind in ("formulir", "antivirus", "email_password"):
        assert f'id="{kind}-error"' in html
    assert _reset(verifier, holder, {"formulir": _pdf(), "antivirus": _png(),
                                     "email_password": _png()}).status_code == 302
    assert "menunggu keputusan RA" in verifier.get(
        f"/bsre/verifikator/akun/{holder}").get_data(as_text=True)
    # Only the RA decides.
    assert verifier.get("/bsre/verifikator/reset-authenticator").status_code == 403
    ra = app.test_client()
    officer_login(ra, instansi=None, role="ra", name="ra")
    queue = ra.get("/bsre/verifikator/reset-authenticator").get_data(as_text=True)
    request_id = int(re.findall(r'id="reset-(\d+)"', queue)[0])
    document = ra.get(f"/bsre/verifikator/reset-authenticator/{request_id}/formulir")
    assert document.data[:5] == b"%PDF-"
    assert document.headers["Content-Security-Policy"] == UPLOADED_DOCUMENT_CSP
    approved = ra.post(f"/bsre/verifikator/reset-authenticator/{request_id}/putuskan",
                       data={"csrf_token": csrf(queue), "decision": "approve"})
    assert approved.status_code == 302
    user = fake_keycloak.get_user("bsre", holder)
    assert user is not None and user.enabled
    assert fake_keycloak.otp_devices("bsre", holder) == []
    assert not fake_keycloak.has_password("bsre", holder)  # the taker's password goes too
    work_outbox(services)  # the mail goes with the approval, by the outbox (retried there)
    sent = fake_keycloak.sent[-1]
    assert (sent.user_id, sent.actions, sent.lifespan_seconds) == (
        holder, ["CONFIGURE_TOTP", "UPDATE_PASSWORD"], 3600)
    with services.storage.session_factory() as s:
        events = set(s.scalars(select(AuditEvent.event_type)))
    assert {"bsre.account.disabled", "bsre.reset_authenticator.requested",
            "bsre.reset_authenticator.approved"} <= events


def test_item1_b11_another_instansi_gets_404(
        app: Flask, holder: str, officer_login: Callable[..., str]) -> None:
    other = app.test_client()
    officer_login(other, instansi=BALI, name="bali")
    assert other.get(f"/bsre/verifikator/akun/{holder}").status_code == 404
    found = other.get("/bsre/verifikator/akun?q=asn@bssn.go.id")
    assert found.status_code == 200 and 'id="not-found"' in found.get_data(as_text=True)
    token = csrf(other.get("/bsre/verifikator/daftarkan").get_data(as_text=True))
    assert other.post(f"/bsre/verifikator/akun/{holder}/nonaktifkan",
                      data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_item1_officers_search_their_instansi_by_name_nik_or_nip(
        verifier: FlaskClient, holder: str, fake_keycloak: FakeKeycloakUsers) -> None:
    fake_keycloak.create_user("bsre", NewUser(
        username="asn2@bssn.go.id", email="asn2@bssn.go.id", first_name="Asn Kedua",
        attributes={"instansi": BSSN}))
    fake_keycloak.create_user("bsre", NewUser(
        username="asn@bali.go.id", email="asn@bali.go.id", first_name="Asn Bali",
        attributes={"instansi": BALI}))
    listed = verifier.get("/bsre/verifikator/akun?q=asn").get_data(as_text=True)
    assert "Asn Bssn" in listed and "Asn Kedua" in listed and "Asn Bali" not in listed
    by_nik = verifier.get("/bsre/verifikator/akun?q=3174041503800005")
    assert by_nik.status_code == 302 and by_nik.location.endswith(f"/akun/{holder}")


def _approve_first_reset(ra: FlaskClient):  # type: ignore[no-untyped-def]
    queue = ra.get("/bsre/verifikator/reset-authenticator").get_data(as_text=True)
    request_id = int(re.findall(r'id="reset-(\d+)"', queue)[0])
    return ra.post(f"/bsre/verifikator/reset-authenticator/{request_id}/putuskan",
                   data={"csrf_token": csrf(queue), "decision": "approve"})


def test_b11_x5_the_reset_mail_goes_with_the_approval_even_when_keycloak_mails_later(
        app: Flask, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers, officer_login: Callable[..., str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The account is enabled and its devices gone at the approval: the "Reset
    Authenticator" mail must follow, retried while Keycloak cannot send it."""
    _disable(verifier, holder)
    _reset(verifier, holder, {"formulir": _pdf(), "antivirus": _png(), "email_password": _png()})
    send = fake_keycloak.send_actions_email

    def down(*args: object, **kwargs: object) -> None:
        raise KeycloakUnavailable("mail down")

    monkeypatch.setattr(fake_keycloak, "send_actions_email", down)
    ra = app.test_client()
    officer_login(ra, instansi=None, role="ra", name="ra")
    assert _approve_first_reset(ra).status_code == 302
    work_outbox(services)  # fails, stays queued
    monkeypatch.setattr(fake_keycloak, "send_actions_email", send)
    services.clock.advance(minutes=10)  # type: ignore[attr-defined]
    work_outbox(services)
    assert fake_keycloak.sent[-1].actions == ["CONFIGURE_TOTP", "UPDATE_PASSWORD"]


def test_b11_four_eyes_no_ra_decides_its_own_request_nor_a_verifier_files_for_an_officer(
        app: Flask, verifier: FlaskClient, holder: str, fake_keycloak: FakeKeycloakUsers,
        officer_login: Callable[..., str]) -> None:
    ra = app.test_client()
    officer_login(ra, instansi=None, role="ra", name="ra")
    _disable(ra, holder)
    assert _reset(ra, holder, {"formulir": _pdf(), "antivirus": _png(),
                               "email_password": _png()}).status_code == 302
    _approve_first_reset(ra)  # refused: the RA filed it
    user = fake_keycloak.get_user("bsre", holder)
    assert user is not None and not user.enabled
    other_ra = app.test_client()
    officer_login(other_ra, instansi=None, role="ra", name="ra.kedua")
    _approve_first_reset(other_ra)
    user = fake_keycloak.get_user("bsre", holder)
    assert user is not None and user.enabled
    colleague = app.test_client()
    colleague_id = officer_login(colleague, name="verif.rekan")
    fake_keycloak.update_user("bsre", colleague_id, enabled=False)
    assert _reset(verifier, colleague_id, {"formulir": _pdf(), "antivirus": _png(),
                                           "email_password": _png()}).status_code == 404
