"""B9 "Permohonan OTP", X1, X2: the Helpdesk form answers alike for anyone; the account whose
NIK, name and number agree gets "Pengecekan Data Diri"; the selfie check makes room and
sends Keycloak's CONFIGURE_TOTP link; the link is single use with three attempts."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.bsre.otp_requests import CheckDead, Checked
from gerbang_sidecar.wiring import Services

from .conftest import BSSN, face_jpeg, post_form, work_outbox

T0 = 1_740_816_000_000
AGUS = {"name": "Agus Wijaya", "instansi": BSSN, "phone": "081234567890",
        "nik": "3174041503800005", "description": "Ponsel hilang"}
YULIA = {"name": "Yulia Kartika", "instansi": BSSN, "phone": "081234567893",
         "nik": "3201064804950009", "description": "Ganti ponsel"}


def _account(keycloak: FakeKeycloakUsers, person: dict[str, str], phone: str) -> str:
    user_id = keycloak.create_user("bsre", NewUser(
        username=f"{person['nik']}@example.go.id", email=f"{person['nik']}@example.go.id",
        first_name=person["name"], attributes={"nik": person["nik"], "phoneNumber": phone}))
    for n in range(3):
        keycloak.add_otp_device("bsre", user_id, f"HP {n}", T0 + n)
    return user_id


def _request(app: Flask, services: Services, person: dict[str, str]) -> FlaskClient:
    browser = app.test_client()
    answer = post_form(browser, "/bsre/permohonan-otp", person)
    assert answer.status_code == 302 and answer.location.endswith("/bsre/permohonan-otp/terkirim")
    work_outbox(services)
    return browser


def _link(services: Services, to: str) -> str:
    mails = services.mailer.to(to)  # type: ignore[attr-defined]
    assert mails and "Pengecekan Data Diri" in mails[-1].subject
    found = re.search(r"https?://\S+/bsre/pengecekan-data-diri/t/\S+", mails[-1].text)
    assert found
    return urlsplit(found.group(0)).path


def _check(browser: FlaskClient, photo: bytes):  # type: ignore[no-untyped-def]
    return post_form(browser, "/bsre/pengecekan-data-diri", {
        "photo": (io.BytesIO(photo), "foto.jpg", "image/jpeg")},
        content_type="multipart/form-data")


def test_b9_x1_the_form_answers_alike_and_only_a_matching_account_is_mailed(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    _account(fake_keycloak, AGUS, "+6281234567890")
    known = post_form(app.test_client(), "/bsre/permohonan-otp", AGUS)
    unknown = post_form(app.test_client(), "/bsre/permohonan-otp",
                        {**AGUS, "nik": "3174041503800099"})
    wrong_phone = post_form(app.test_client(), "/bsre/permohonan-otp",
                            {**AGUS, "phone": "081299999999"})
    assert known.status_code == unknown.status_code == wrong_phone.status_code == 302
    assert known.location == unknown.location == wrong_phone.location
    work_outbox(services)
    assert len(services.mailer.sent) == 1  # type: ignore[attr-defined]
    assert services.mailer.sent[0].to == f"{AGUS['nik']}@example.go.id"  # type: ignore[attr-defined]


def test_b9_bad_input_beside_the_field(app: Flask) -> None:
    answer = post_form(app.test_client(), "/bsre/permohonan-otp",
                       {**AGUS, "nik": "12", "phone": "abc"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="nik-error"' in html and 'id="phone-error"' in html


def test_b9_the_selfie_check_makes_room_and_sends_the_configure_otp_link(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    user_id = _account(fake_keycloak, AGUS, "+6281234567890")
    _request(app, services, AGUS)
    link = _link(services, f"{AGUS['nik']}@example.go.id")
    browser = app.test_client()
    assert browser.get(link).status_code == 302
    page = browser.get("/bsre/pengecekan-data-diri")
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    done = _check(browser, face_jpeg())
    assert "Pengecekan data diri berhasil" in done.get_data(as_text=True)
    assert [d.label for d in fake_keycloak.otp_devices("bsre", user_id)] == ["HP 1", "HP 2"]
    sent = fake_keycloak.sent[-1]
    assert (sent.user_id, sent.actions, sent.lifespan_seconds) == (
        user_id, ["CONFIGURE_TOTP"], 3600)
    # Single use: the link and the session are spent.
    assert app.test_client().get(link).status_code == 404
    assert browser.get("/bsre/pengecekan-data-diri").status_code == 404


def test_b9_x2_three_wrong_faces_end_the_link(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    _account(fake_keycloak, YULIA, "+6281234567893")
    _request(app, services, YULIA)
    browser = app.test_client()
    browser.get(_link(services, f"{YULIA['nik']}@example.go.id"))
    for _ in range(3):
        answer = _check(browser, face_jpeg())
        assert answer.status_code == 422
        assert "tidak cocok" in answer.get_data(as_text=True)
    assert browser.get("/bsre/pengecekan-data-diri").status_code == 404
    assert fake_keycloak.sent == []


def test_b9_x2_a_new_check_link_ends_the_older_ones(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    """Each link brings three selfie tries against the Dukcapil photo: one live link at a
    time, however often the request is made."""
    _account(fake_keycloak, AGUS, "+6281234567890")
    _request(app, services, AGUS)
    first = _link(services, f"{AGUS['nik']}@example.go.id")
    opened = app.test_client()
    assert opened.get(first).status_code == 302  # opened, not yet sent a selfie
    _request(app, services, AGUS)
    second = _link(services, f"{AGUS['nik']}@example.go.id")
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert opened.get("/bsre/pengecekan-data-diri").status_code == 404
    assert app.test_client().get(second).status_code == 302


@pytest.mark.parametrize("token", ["", "x" * 400, "not-a-token"])
def test_b9_unknown_links_are_refused(app: Flask, token: str) -> None:
    assert app.test_client().get(f"/bsre/pengecekan-data-diri/t/{token}").status_code == 404


def test_b9_keycloak_down_keeps_the_link(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    _account(fake_keycloak, AGUS, "+6281234567890")
    _request(app, services, AGUS)
    browser = app.test_client()
    browser.get(_link(services, f"{AGUS['nik']}@example.go.id"))
    fake_keycloak.down = True
    assert _check(browser, face_jpeg()).status_code == 503
    fake_keycloak.down = False
    assert "berhasil" in _check(browser, face_jpeg()).get_data(as_text=True)


def test_b9_a_check_link_submitted_in_two_tabs_takes_effect_once(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    """The second tab is decided while the first one's mail goes out: it once passed too,
    mailed a second CONFIGURE_TOTP link and made room twice (a device lost for nothing)."""
    _account(fake_keycloak, AGUS, "+6281234567890")
    _request(app, services, AGUS)
    token = _link(services, f"{AGUS['nik']}@example.go.id").rsplit("/", 1)[1]
    checks = services.bsre_otp_requests
    photo = face_jpeg()
    send = fake_keycloak.send_actions_email
    second: list[object] = []

    def the_other_tab_submits_now(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not second:
            second.append(checks.check(token, photo))
        return send(*args, **kwargs)

    fake_keycloak.send_actions_email = the_other_tab_submits_now  # type: ignore[method-assign]
    assert checks.check(token, photo) == Checked()
    assert second == [CheckDead()]
    assert len([s for s in fake_keycloak.sent if s.actions == ["CONFIGURE_TOTP"]]) == 1


def test_b9_a_link_given_back_after_an_outage_stays_ended_when_a_newer_one_came(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    """Keycloak failed while this link's mail was being sent, so the link is given back --
    but a newer link came meanwhile, which ended it: it must not live again beside it."""
    from gerbang_sidecar.ports.keycloak import KeycloakUnavailable

    _account(fake_keycloak, AGUS, "+6281234567890")
    _request(app, services, AGUS)
    first = _link(services, f"{AGUS['nik']}@example.go.id")
    browser = app.test_client()
    assert browser.get(first).status_code == 302

    def a_newer_link_then_an_outage(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        services.bsre_otp_requests.submit(AGUS)  # the Helpdesk form, sent again meanwhile
        work_outbox(services)
        raise KeycloakUnavailable("down")

    fake_keycloak.send_actions_email = a_newer_link_then_an_outage  # type: ignore[method-assign]
    assert _check(browser, face_jpeg()).status_code == 503
    second = _link(services, f"{AGUS['nik']}@example.go.id")
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 302


def test_b9_b13_a_confirmation_link_is_no_identity_check_link(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers,
        verifier: FlaskClient) -> None:
    """Both are identity checks underneath; the B13 link (24 hours, mailed for a profile
    change) must not take a device away past the Helpdesk request (found by review)."""
    from .test_profile_change_views import _confirmation_link, _propose

    user_id = fake_keycloak.create_user("bsre", NewUser(
        username="asn@bssn.go.id", email="asn@bssn.go.id", first_name="Agus Wijaya",
        email_verified=True, attributes={"instansi": BSSN, "jabatan": "Analis",
                                         "nik": AGUS["nik"], "phoneNumber": "+6281234567890"}))
    for n in range(3):
        fake_keycloak.add_otp_device("bsre", user_id, f"HP {n}", T0 + n)
    assert _propose(verifier, user_id, "jabatan", "Analis Utama").status_code == 302
    confirmation = _confirmation_link(services, "asn@bssn.go.id")
    token = confirmation.rsplit("/", 1)[1]
    browser = app.test_client()
    assert browser.get(f"/bsre/pengecekan-data-diri/t/{token}").status_code == 404
    assert browser.get("/bsre/pengecekan-data-diri").status_code == 404  # no check held
    assert len(fake_keycloak.otp_devices("bsre", user_id)) == 3
    assert app.test_client().get(confirmation).status_code == 302  # still its own link


def test_b9_x2_a_stranger_who_knows_a_nik_cannot_lock_its_owner_out(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    """Three requests a day per NIK are counted per site: a stranger's junk with the NIK
    spends their own site's share; the owner asks from elsewhere and gets the link."""
    from gerbang_sidecar.web.bsre.otp_request import NIK_LIMIT

    _account(fake_keycloak, AGUS, "+6281234567890")
    junk = {**AGUS, "name": "Orang Lain", "phone": "081299999999"}

    def ask(person: dict[str, str], address: str) -> int:
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = address
        return int(post_form(browser, "/bsre/permohonan-otp", person).status_code)

    assert [ask(junk, "198.51.100.7") for _ in range(NIK_LIMIT)] == [302] * NIK_LIMIT
    assert ask(junk, "198.51.100.7") == 429
    assert ask(AGUS, "203.0.113.50") == 302
    work_outbox(services)
    assert "Pengecekan Data Diri" in services.mailer.to(  # type: ignore[attr-defined]
        f"{AGUS['nik']}@example.go.id")[-1].subject
