"""B1–B6, X2, X3: the "Aktivasi Akun" link, the three steps of the activation wizard, and the
account that follows -- at once for ASN/Polri, after the Verifikator for Lainnya."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.models import AuditEvent, RegistrationDocument
from gerbang_sidecar.wiring import Services
from support.clock import FakeClock

from .conftest import AGUS, ANDI, HENDRA, YULIA, face_jpeg, post_form, work_outbox

PHONE = "081234567890"
PHONE_E164 = "+6281234567890"


def _open(app: Flask, link: str) -> FlaskClient:
    browser = app.test_client()
    answer = browser.get(urlsplit(link).path)
    assert answer.status_code == 302 and answer.location.endswith("/bsre/aktivasi/data-diri")
    return browser


def _personal(browser: FlaskClient, person: dict[str, str], code: Callable[[str], str],
              phone: str = PHONE, e164: str = PHONE_E164) -> None:
    fields = {"name": person["name"], "nik": person["nik"], "phone": phone}
    assert post_form(browser, "/bsre/aktivasi/data-diri",
                     {**fields, "action": "send_code"}).status_code == 200
    verified = post_form(browser, "/bsre/aktivasi/data-diri",
                         {**fields, "code": code(e164), "action": "verify_code"})
    assert "Nomor terverifikasi" in verified.get_data(as_text=True)
    answer = post_form(browser, "/bsre/aktivasi/data-diri", {**fields, "action": "next"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]


def _selfie(browser: FlaskClient, photo: bytes) -> object:
    return post_form(browser, "/bsre/aktivasi/foto-diri", {
        "action": "save_photo", "photo": (io.BytesIO(photo), "foto.jpg", "image/jpeg")},
        content_type="multipart/form-data")


def _submit(browser: FlaskClient, **consents: str) -> object:
    return post_form(browser, "/bsre/aktivasi/foto-diri", {"action": "submit", **consents})


def test_b2_b3_b4_b5_b6_an_asn_activates_and_gets_the_otp_and_password_link(
        app: Flask, services: Services, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str], fake_keycloak: FakeKeycloakUsers) -> None:
    browser = _open(app, invite(AGUS))
    _personal(browser, AGUS, whatsapp_code)
    checked = post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nip", "number": AGUS["nip"], "action": "check"})
    assert "Balai Besar Sertifikasi Elektronik" in checked.get_data(as_text=True)
    assert post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nip", "number": AGUS["nip"],
        "action": "next"}).status_code == 302
    assert _selfie(browser, face_jpeg()).status_code == 200  # type: ignore[attr-defined]
    done = _submit(browser, consent_data="y", consent_privacy="y")
    assert done.status_code == 302  # type: ignore[attr-defined]
    assert "Data Anda telah terverifikasi" in browser.get("/bsre/aktivasi/selesai").get_data(
        as_text=True)
    work_outbox(services)
    user = fake_keycloak.find_by_username("bsre", AGUS["email"])
    assert user is not None
    assert fake_keycloak.realm_roles_of("bsre", user.id) == frozenset({"pengguna"})
    assert (user.attributes["nip"], user.attributes["employmentStatus"],
            user.attributes["phoneNumber"], user.attributes["verificationStatus"]) == (
        AGUS["nip"], "asn-polri", PHONE_E164, "terverifikasi")
    assert user.attributes["consentDataProcessingAt"]
    sent = fake_keycloak.sent[-1]
    assert sent.actions == ["VERIFY_EMAIL", "CONFIGURE_TOTP", "UPDATE_PASSWORD"]
    assert sent.lifespan_seconds == 3600


def test_b1_the_verifier_still_sees_the_email_of_an_activated_user(
        app: Flask, services: Services, verifier: FlaskClient,
        invite: Callable[[dict[str, str]], str], whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(AGUS))
    _personal(browser, AGUS, whatsapp_code)
    post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nip", "number": AGUS["nip"], "action": "next"})
    _selfie(browser, face_jpeg())
    _submit(browser, consent_data="y", consent_privacy="y")
    work_outbox(services)  # the account is made
    active = verifier.get("/bsre/verifikator?status=active").get_data(as_text=True)
    assert active.count('id="user-') == 1 and AGUS["email"] in active
    registration_id = int(active.split('id="user-')[1].split('"')[0])
    detail = verifier.get(f"/bsre/verifikator/{registration_id}").get_data(as_text=True)
    assert 'id="to-account"' in detail and AGUS["email"] in detail


def test_b3_a_police_officer_is_checked_with_sipp(
        app: Flask, services: Services, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(ANDI))
    _personal(browser, ANDI, whatsapp_code, phone="081234567891", e164="+6281234567891")
    wrong = post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nrp", "number": "92080458", "action": "check"})
    assert wrong.status_code == 422
    assert "tidak ditemukan di SIPP" in wrong.get_data(as_text=True)
    right = post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nrp", "number": ANDI["nrp"], "action": "check"})
    assert "Polda Sulawesi Selatan" in right.get_data(as_text=True)


def test_b3_a_nip_of_someone_else_is_refused_beside_the_field(
        app: Flask, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(AGUS))
    _personal(browser, AGUS, whatsapp_code)
    # Ni Made Ayu's NIP: a real NIP, but not Agus's (it does not even fit his NIK).
    answer = post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nip", "number": "198806212011012004",
        "action": "next"})
    assert answer.status_code == 422
    assert 'id="number-error"' in answer.get_data(as_text=True)


def test_b5_lainnya_waits_for_the_verifier_who_approves(
        app: Flask, services: Services, verifier: FlaskClient,
        invite: Callable[[dict[str, str]], str], whatsapp_code: Callable[[str], str],
        fake_keycloak: FakeKeycloakUsers) -> None:
    browser = _open(app, invite(HENDRA))
    _personal(browser, HENDRA, whatsapp_code, phone="081234567892", e164="+6281234567892")
    assert post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "lainnya", "unit_organisasi": "Direktorat Operasi", "jabatan": "Analis",
        "provinsi": "DKI Jakarta", "action": "next"}).status_code == 302
    _selfie(browser, face_jpeg())
    _submit(browser, consent_data="y", consent_privacy="y")
    assert "diperiksa oleh Verifikator" in browser.get("/bsre/aktivasi/selesai").get_data(
        as_text=True)
    work_outbox(services)
    assert fake_keycloak.find_by_username("bsre", HENDRA["email"]) is None
    queue = verifier.get("/bsre/verifikator?status=in_review").get_data(as_text=True)
    assert "Hendra Gunawan" in queue
    registration_id = int(queue.split('id="user-')[1].split('"')[0])
    detail = verifier.get(f"/bsre/verifikator/{registration_id}").get_data(as_text=True)
    assert "Direktorat Operasi" in detail and HENDRA["nik"] in detail
    photo = verifier.get(f"/bsre/verifikator/{registration_id}/foto-diri.jpg")
    assert photo.status_code == 200 and photo.data[:3] == b"\xff\xd8\xff"
    approved = verifier.post(f"/bsre/verifikator/{registration_id}/setujui", data={
        "csrf_token": _token(verifier, registration_id)})
    assert approved.status_code == 302
    work_outbox(services)
    user = fake_keycloak.find_by_username("bsre", HENDRA["email"])
    assert user is not None
    # B3: "Lainnya" gets the NIK as NIP.
    assert (user.attributes["nip"], user.attributes["unitOrganisasi"]) == (
        HENDRA["nik"], "Direktorat Operasi")
    with services.storage.session_factory() as s:
        events = s.scalars(select(AuditEvent.event_type)).all()
    assert "bsre.activation.approved" in events


def _token(client: FlaskClient, registration_id: int) -> str:
    from .conftest import csrf

    return csrf(client.get(f"/bsre/verifikator/{registration_id}").get_data(as_text=True))


def test_b5_a_rejection_mails_the_reason_and_makes_no_account(
        app: Flask, services: Services, verifier: FlaskClient,
        invite: Callable[[dict[str, str]], str], whatsapp_code: Callable[[str], str],
        fake_keycloak: FakeKeycloakUsers) -> None:
    browser = _open(app, invite(HENDRA))
    _personal(browser, HENDRA, whatsapp_code, phone="081234567892", e164="+6281234567892")
    post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "lainnya", "unit_organisasi": "Direktorat Operasi", "jabatan": "Analis",
        "provinsi": "DKI Jakarta", "action": "next"})
    _selfie(browser, face_jpeg())
    _submit(browser, consent_data="y", consent_privacy="y")
    registration_id = int(verifier.get("/bsre/verifikator?status=in_review").get_data(
        as_text=True).split('id="user-')[1].split('"')[0])
    empty = verifier.post(f"/bsre/verifikator/{registration_id}/tolak", data={
        "csrf_token": _token(verifier, registration_id), "reason": "  "})
    assert empty.status_code == 422
    rejected = verifier.post(f"/bsre/verifikator/{registration_id}/tolak", data={
        "csrf_token": _token(verifier, registration_id),
        "reason": "Unit organisasi tidak sesuai SK"})
    assert rejected.status_code == 302
    work_outbox(services)
    mail = services.mailer.to(HENDRA["email"])[-1]  # type: ignore[attr-defined]
    assert "Unit organisasi tidak sesuai SK" in mail.text
    assert fake_keycloak.find_by_username("bsre", HENDRA["email"]) is None


def test_b2_x2_wrong_codes_count_down_and_a_changed_number_needs_a_new_code(
        app: Flask, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(AGUS))
    fields = {"name": AGUS["name"], "nik": AGUS["nik"], "phone": PHONE}
    post_form(browser, "/bsre/aktivasi/data-diri", {**fields, "action": "send_code"})
    code = whatsapp_code(PHONE_E164)
    wrong = "000000" if code != "000000" else "111111"
    answer = post_form(browser, "/bsre/aktivasi/data-diri",
                       {**fields, "code": wrong, "action": "verify_code"})
    assert answer.status_code == 422
    assert "Sisa percobaan: 4" in answer.get_data(as_text=True)
    # Too early for another code (the resend throttle).
    again = post_form(browser, "/bsre/aktivasi/data-diri", {**fields, "action": "send_code"})
    assert again.status_code == 429
    post_form(browser, "/bsre/aktivasi/data-diri",
              {**fields, "code": code, "action": "verify_code"})
    other = post_form(browser, "/bsre/aktivasi/data-diri",
                      {**fields, "phone": "081298765432", "action": "next"})
    assert other.status_code == 422
    assert "Verifikasi nomor ini" in other.get_data(as_text=True)
    # The typed number survives the round trip.
    assert "081298765432" in browser.get("/bsre/aktivasi/data-diri").get_data(as_text=True)


def test_b2_the_name_must_match_dukcapil_and_the_nik_is_the_invited_one(
        app: Flask, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(AGUS))
    fields = {"name": "Agus Wijoyo", "nik": AGUS["nik"], "phone": PHONE}
    post_form(browser, "/bsre/aktivasi/data-diri", {**fields, "action": "send_code"})
    post_form(browser, "/bsre/aktivasi/data-diri",
              {**fields, "code": whatsapp_code(PHONE_E164), "action": "verify_code"})
    answer = post_form(browser, "/bsre/aktivasi/data-diri", {**fields, "action": "next"})
    assert answer.status_code == 422
    assert "tidak sesuai dengan data Dukcapil" in answer.get_data(as_text=True)
    titled = post_form(browser, "/bsre/aktivasi/data-diri",
                       {**fields, "name": "Dr. Agus Wijaya", "action": "next"})
    assert titled.status_code == 422


def test_b4_x3_the_selfie_is_stored_re_encoded_without_exif_and_needs_one_face(
        app: Flask, services: Services, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(AGUS))
    _personal(browser, AGUS, whatsapp_code)
    post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nip", "number": AGUS["nip"], "action": "next"})
    not_image = _selfie(browser, b"GIF89a not really")
    assert not_image.status_code == 422  # type: ignore[attr-defined]
    from PIL import Image
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 160)).save(blank, format="JPEG")
    no_face = _selfie(browser, blank.getvalue())
    assert "Tidak ada wajah" in no_face.get_data(as_text=True)  # type: ignore[attr-defined]
    early = _submit(browser, consent_data="y", consent_privacy="y")
    assert early.status_code == 422  # type: ignore[attr-defined]
    photo = face_jpeg()
    assert b"Exif" in photo and b"PhoneMaker" in photo
    assert _selfie(browser, photo).status_code == 200  # type: ignore[attr-defined]
    with services.storage.session_factory() as s:
        stored = s.scalars(select(RegistrationDocument)).one()
        assert stored.media_type == "image/jpeg"
        assert b"Exif" not in stored.content and b"PhoneMaker" not in stored.content
    unconsented = _submit(browser, consent_data="y")
    assert unconsented.status_code == 422  # type: ignore[attr-defined]
    assert 'id="consent_privacy-error"' in unconsented.get_data(as_text=True)  # type: ignore[attr-defined]


def test_b4_a_face_dukcapil_does_not_match_is_refused(
        app: Flask, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    browser = _open(app, invite(YULIA))
    _personal(browser, YULIA, whatsapp_code, phone="081234567893", e164="+6281234567893")
    post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "lainnya", "unit_organisasi": "Biro Umum", "jabatan": "Staf",
        "provinsi": "Jawa Barat", "action": "next"})
    answer = _selfie(browser, face_jpeg())
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "tidak cocok dengan foto Dukcapil" in answer.get_data(as_text=True)  # type: ignore[attr-defined]


def test_b1_the_link_is_single_use_and_expires(
        app: Flask, clock: FakeClock, invite: Callable[[dict[str, str]], str],
        whatsapp_code: Callable[[str], str]) -> None:
    link = invite(AGUS)
    browser = _open(app, link)
    _personal(browser, AGUS, whatsapp_code)
    post_form(browser, "/bsre/aktivasi/kedinasan", {
        "status": "asn-polri", "number_kind": "nip", "number": AGUS["nip"], "action": "next"})
    _selfie(browser, face_jpeg())
    _submit(browser, consent_data="y", consent_privacy="y")
    assert app.test_client().get(urlsplit(link).path).status_code == 404
    expiring = invite(ANDI)
    clock.advance(days=3, seconds=1)
    assert app.test_client().get(urlsplit(expiring).path).status_code == 404
    assert app.test_client().get("/bsre/aktivasi/t/made-up-token").status_code == 404
    assert app.test_client().get("/bsre/aktivasi/data-diri").status_code == 404
