"""B13, X4: the user requests changes (email availability first, the number proven by a
WhatsApp code); the Verifikator of the instansi approves or rejects; the user is mailed;
signing is blocked while a change waits; another instansi cannot decide."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, NewUser
from gerbang_sidecar.wiring import Services

from .conftest import BALI, BSSN, csrf, work_outbox


@pytest.fixture
def holder(fake_keycloak: FakeKeycloakUsers) -> str:
    fake_keycloak.create_user("bsre", NewUser(
        username="lain@bssn.go.id", email="lain@bssn.go.id", first_name="Lain"))
    return fake_keycloak.create_user("bsre", NewUser(
        username="asn@bssn.go.id", email="asn@bssn.go.id", first_name="Asn Bssn",
        email_verified=True, attributes={"instansi": BSSN, "jabatan": "Analis",
                                         "phoneNumber": "+6281234567890"}))


@pytest.fixture
def user(app: Flask, holder: str, log_in: Callable[..., str]) -> FlaskClient:
    client = app.test_client()
    log_in(client, sub=holder, client_id="bsre-portal", roles=("pengguna",))
    return client


def _post(client: FlaskClient, **data: str):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/bsre/profil/perubahan").get_data(as_text=True))
    return client.post("/bsre/profil/perubahan", data={"csrf_token": token, **data})


def _decide(officer: FlaskClient, request_id: int, decision: str, reason: str = ""):  # type: ignore[no-untyped-def]
    token = csrf(officer.get("/bsre/verifikator/daftarkan").get_data(as_text=True))
    return officer.post(f"/bsre/verifikator/perubahan/{request_id}/putuskan",
                        data={"csrf_token": token, "decision": decision, "reason": reason})


def _pending_id(services: Services, holder: str) -> int:
    return services.bsre_profile_changes.pending(holder)[0].id


def test_b13_email_availability_then_submit_then_the_verifier_approves(
        user: FlaskClient, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    page = user.get("/bsre/profil/perubahan").get_data(as_text=True)
    assert 'id="submit-email" disabled' in page
    taken = _post(user, email="lain@bssn.go.id", action="check_email")
    assert taken.status_code == 422 and "sudah dipakai" in taken.get_data(as_text=True)
    free = _post(user, email="baru@bssn.go.id", action="check_email")
    assert 'id="email-available"' in free.get_data(as_text=True)
    assert 'id="submit-email" disabled' not in free.get_data(as_text=True)
    assert _post(user, email="baru@bssn.go.id", action="submit_email").status_code == 302
    assert services.bsre_profile_changes.signing_blocked(holder)
    assert "menunggu persetujuan" in user.get("/bsre/profil/perubahan").get_data(as_text=True)
    again = _post(user, email="lagi@bssn.go.id", action="submit_email")
    assert again.status_code == 422  # one pending change per field
    assert "baru@bssn.go.id" in verifier.get("/bsre/verifikator/perubahan").get_data(
        as_text=True)
    assert _decide(verifier, _pending_id(services, holder), "approve").status_code == 302
    changed = fake_keycloak.get_user("bsre", holder)
    assert changed is not None and changed.email == "baru@bssn.go.id"
    assert not changed.email_verified
    assert not services.bsre_profile_changes.signing_blocked(holder)
    work_outbox(services)  # Keycloak's VERIFY_EMAIL goes through the outbox
    assert fake_keycloak.sent[-1].actions == ["VERIFY_EMAIL"]
    assert services.mailer.to("baru@bssn.go.id")[-1].subject == \
        "Persetujuan update data berhasil"  # type: ignore[attr-defined]


def test_b13_a_new_number_needs_its_whatsapp_code_and_a_rejection_is_mailed(
        user: FlaskClient, verifier: FlaskClient, holder: str, services: Services,
        whatsapp_code: Callable[[str], str]) -> None:
    no_code = _post(user, phone="081298765432", action="submit_phone")
    assert no_code.status_code == 422
    _post(user, phone="081298765432", action="send_code")
    code = whatsapp_code("+6281298765432")
    assert _post(user, phone="081298765432", code=code,
                 action="submit_phone").status_code == 302
    request_id = _pending_id(services, holder)
    assert _decide(verifier, request_id, "reject").status_code == 422  # reason required
    assert _decide(verifier, request_id, "reject", "Nomor bukan milik pegawai").status_code \
        == 302
    work_outbox(services)
    mail = services.mailer.to("asn@bssn.go.id")[-1]  # type: ignore[attr-defined]
    assert "ditolak" in mail.subject and "Nomor bukan milik pegawai" in mail.text


def test_b13_item1_another_instansi_cannot_see_or_decide(
        app: Flask, user: FlaskClient, holder: str, services: Services,
        officer_login: Callable[..., str], fake_keycloak: FakeKeycloakUsers) -> None:
    _post(user, jabatan="Analis Utama", action="submit_jabatan")
    other = app.test_client()
    officer_login(other, instansi=BALI, name="bali")
    assert 'id="changes-empty"' in other.get("/bsre/verifikator/perubahan").get_data(
        as_text=True)
    _decide(other, _pending_id(services, holder), "approve")
    assert services.bsre_profile_changes.signing_blocked(holder)
    assert fake_keycloak.get_user("bsre", holder).attributes["jabatan"] == "Analis"  # type: ignore[union-attr]


def _propose(officer_client: FlaskClient, user_id: str, field: str, value: str):  # type: ignore[no-untyped-def]
    page = officer_client.get(f"/bsre/verifikator/akun/{user_id}").get_data(as_text=True)
    return officer_client.post(f"/bsre/verifikator/akun/{user_id}/ubah", data={
        "csrf_token": csrf(page), "field": field, "value": value})


def _confirmation_link(services: Services, to: str) -> str:
    import re
    from urllib.parse import urlsplit

    work_outbox(services)
    mail = services.mailer.to(to)[-1]  # type: ignore[attr-defined]
    found = re.search(r"https?://\S+/bsre/konfirmasi-perubahan/t/\S+", mail.text)
    assert found, mail.text
    return urlsplit(found.group(0)).path


def test_b13_a_verifiers_nip_change_waits_for_the_users_verifikasi(
        app: Flask, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    fake_keycloak.update_user("bsre", holder, attributes={"nik": "3174041503800005"})
    wrong = _propose(verifier, holder, "nip", "198806212011012004")  # not this NIK's
    assert wrong.status_code == 422 and 'id="value-error"' in wrong.get_data(as_text=True)
    assert _propose(verifier, holder, "nip", "198003152005011003").status_code == 302
    assert services.bsre_profile_changes.signing_blocked(holder)
    # Waiting for the user, not in the officers' queue.
    assert 'id="changes-empty"' in verifier.get("/bsre/verifikator/perubahan").get_data(
        as_text=True)
    link = _confirmation_link(services, "asn@bssn.go.id")
    mail = services.mailer.to("asn@bssn.go.id")[-1]  # type: ignore[attr-defined]
    assert "198003152005011003" not in mail.text and "1003" in mail.text  # X3: masked
    browser = app.test_client()
    assert browser.get(link).status_code == 302
    page = browser.get("/bsre/konfirmasi-perubahan").get_data(as_text=True)
    assert "198003152005011003" in page
    done = browser.post("/bsre/konfirmasi-perubahan",
                        data={"csrf_token": csrf(page), "decision": "verify"})
    assert "Persetujuan update data berhasil" in done.get_data(as_text=True)
    assert fake_keycloak.get_user("bsre", holder).attributes["nip"] == \
        "198003152005011003"  # type: ignore[union-attr]
    assert not services.bsre_profile_changes.signing_blocked(holder)
    assert app.test_client().get(link).status_code == 404  # single use


def test_b13_the_user_may_refuse_a_verifiers_change(
        app: Flask, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    _propose(verifier, holder, "jabatan", "Kepala Seksi")
    link = _confirmation_link(services, "asn@bssn.go.id")
    browser = app.test_client()
    browser.get(link)
    page = browser.get("/bsre/konfirmasi-perubahan").get_data(as_text=True)
    browser.post("/bsre/konfirmasi-perubahan", data={"csrf_token": csrf(page),
                                                     "decision": "refuse"})
    assert fake_keycloak.get_user("bsre", holder).attributes["jabatan"] == "Analis"  # type: ignore[union-attr]
    assert not services.bsre_profile_changes.signing_blocked(holder)


def test_b13_an_address_taken_since_the_request_changes_nothing_and_says_so(
        user: FlaskClient, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    assert _post(user, email="baru@bssn.go.id", action="submit_email").status_code == 302
    # Someone else's account takes the address while the change waits.
    fake_keycloak.create_user("bsre", NewUser(
        username="baru@bssn.go.id", email="baru@bssn.go.id", first_name="Orang Lain"))
    decided = _decide(verifier, _pending_id(services, holder), "approve")
    assert decided.status_code == 302
    queue = verifier.get("/bsre/verifikator/perubahan").get_data(as_text=True)
    assert "sudah dipakai akun lain" in queue
    assert fake_keycloak.get_user("bsre", holder).email == "asn@bssn.go.id"  # type: ignore[union-attr]
    # Still waiting: the officer rejects it.
    assert _decide(verifier, _pending_id(services, holder), "reject",
                   reason="Alamat sudah dipakai").status_code == 302
    assert not services.bsre_profile_changes.signing_blocked(holder)


def test_b13_a_users_verifikasi_of_a_taken_address_keeps_the_link(
        app: Flask, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    assert _propose(verifier, holder, "email", "kantor@bssn.go.id").status_code == 302
    link = _confirmation_link(services, "asn@bssn.go.id")
    fake_keycloak.create_user("bsre", NewUser(
        username="kantor@bssn.go.id", email="kantor@bssn.go.id", first_name="Orang Lain"))
    browser = app.test_client()
    browser.get(link)
    page = browser.get("/bsre/konfirmasi-perubahan").get_data(as_text=True)
    taken = browser.post("/bsre/konfirmasi-perubahan",
                         data={"csrf_token": csrf(page), "decision": "verify"})
    assert taken.status_code == 409
    assert "sudah dipakai akun lain" in taken.get_data(as_text=True)
    assert fake_keycloak.get_user("bsre", holder).email == "asn@bssn.go.id"  # type: ignore[union-attr]
    refused = browser.post("/bsre/konfirmasi-perubahan",
                           data={"csrf_token": csrf(page), "decision": "refuse"})
    assert refused.status_code == 200
    assert not services.bsre_profile_changes.signing_blocked(holder)


def test_b13_x5_an_approval_whose_mail_fails_is_decided_and_the_mail_retried(
        user: FlaskClient, verifier: FlaskClient, holder: str, services: Services,
        fake_keycloak: FakeKeycloakUsers, monkeypatch: pytest.MonkeyPatch) -> None:
    """The VERIFY_EMAIL mail once went out inside the decision: when it failed, Keycloak
    held the new address while the request stayed pending, unaudited, unmailed."""
    _post(user, email="baru@bssn.go.id", action="check_email")
    assert _post(user, email="baru@bssn.go.id", action="submit_email").status_code == 302
    send = fake_keycloak.send_actions_email

    def down(*args: object, **kwargs: object) -> None:
        raise KeycloakUnavailable("mail down")

    monkeypatch.setattr(fake_keycloak, "send_actions_email", down)
    assert _decide(verifier, _pending_id(services, holder), "approve").status_code == 302
    assert services.bsre_profile_changes.pending(holder) == []
    work_outbox(services)  # fails, stays queued
    monkeypatch.setattr(fake_keycloak, "send_actions_email", send)
    services.clock.advance(minutes=10)  # type: ignore[attr-defined]
    work_outbox(services)
    assert fake_keycloak.sent[-1].actions == ["VERIFY_EMAIL"]


def test_b13_no_verifier_decides_a_change_to_themselves(
        app: Flask, officer_login: Callable[..., str], services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    """Separation of duties: a Verifikator's own request waits for another officer."""
    own = app.test_client()
    officer_id = officer_login(own, name="verif.sendiri")
    fake_keycloak.update_user("bsre", officer_id, attributes={"jabatan": "Analis"})
    assert _post(own, jabatan="Kepala Seksi", action="submit_jabatan").status_code == 302
    request_id = _pending_id(services, officer_id)
    assert "Kepala Seksi" not in own.get("/bsre/verifikator/perubahan").get_data(as_text=True)
    _decide(own, request_id, "approve")  # refused: nothing changes, the request still waits
    assert _pending_id(services, officer_id) == request_id
    user = fake_keycloak.get_user("bsre", officer_id)
    assert user is not None and user.attributes.get("jabatan") == "Analis"
    colleague = app.test_client()
    officer_login(colleague, name="verif.rekan")
    assert "Kepala Seksi" in colleague.get("/bsre/verifikator/perubahan").get_data(
        as_text=True)
    assert _decide(colleague, request_id, "approve").status_code == 302


def test_b13_an_officer_proposes_no_change_to_themselves_or_a_fellow_officer(
        app: Flask, officer_login: Callable[..., str], services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    """An officer's own change waits for another officer (B13's four eyes); proposing it to
    oneself would confirm it by one's own mail. A Verifikator acts on users, an RA on
    officers."""
    own = app.test_client()
    officer_id = officer_login(own, name="verif.sendiri")
    fake_keycloak.update_user("bsre", officer_id, attributes={"jabatan": "Analis"})
    assert _propose(own, officer_id, "jabatan", "Kepala Badan").status_code == 404
    colleague = app.test_client()
    officer_login(colleague, name="verif.rekan")
    assert _propose(colleague, officer_id, "jabatan", "Kepala Badan").status_code == 404
    assert services.bsre_profile_changes.pending(officer_id) == []
    ra = app.test_client()
    officer_login(ra, instansi=None, role="ra", name="ra")
    assert _propose(ra, officer_id, "jabatan", "Kepala Seksi").status_code == 302


def test_b2_x2_a_stranger_asking_codes_for_a_number_does_not_spend_its_owner_s_day(
        app: Flask, services: Services, user: FlaskClient, fake_keycloak: FakeKeycloakUsers,
        log_in: Callable[..., str]) -> None:
    """Another logged-in user asks five codes for someone else's number: one is sent, four
    wait (60 s); the number's day (5 codes) is not spent by the refused ones (review)."""
    stranger = app.test_client()
    log_in(stranger, sub=fake_keycloak.create_user("bsre", NewUser(
        username="orang@bssn.go.id", email="orang@bssn.go.id", first_name="Orang",
        email_verified=True, attributes={"instansi": BSSN})),
        client_id="bsre-portal", roles=("pengguna",))
    statuses = [_post(stranger, phone="081298765432", action="send_code").status_code
                for _ in range(5)]
    assert statuses == [200, 429, 429, 429, 429]
    assert _post(user, phone="081298765432", action="send_code").status_code == 200
    work_outbox(services)
    sent = [m for m in services.registries.message_gateway.sent  # type: ignore[attr-defined]
            if m.to == "+6281298765432"]
    assert len(sent) == 2
