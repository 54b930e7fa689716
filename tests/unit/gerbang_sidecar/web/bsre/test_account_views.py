"""B8, B12, B23, X10: the BSrE user's Dashboard, Profil, Aktivitas and Keamanan, and "Data
Saya" on every portal."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.ports.keycloak import NewUser, OtpDevice, UserEvent
from gerbang_sidecar.wiring import Services
from support.account_data import download_account_data

from .conftest import BSSN, csrf, work_outbox

T0 = 1_740_816_000_000  # 2025-03-01 08:00 UTC


@pytest.fixture
def holder(fake_keycloak: FakeKeycloakUsers) -> str:
    user_id = fake_keycloak.create_user("bsre", NewUser(
        username="agus.wijaya@bssn.go.id", email="agus.wijaya@bssn.go.id",
        first_name="Agus Wijaya", email_verified=True, attributes={
            "nik": "3174041503800005", "nip": "198003152005011003", "instansi": BSSN,
            "phoneNumber": "+6281234567890", "phoneNumberVerified": "true",
            "verificationStatus": "terverifikasi",
            "consentDataProcessingAt": "2025-09-12T01:15:00+00:00",
            "consentPrivacyPolicyAt": "2025-09-12T01:15:00+00:00"}))
    for n, label in enumerate(("HP Lama", "HP Kantor", "Tablet")):
        fake_keycloak.add_otp_device("bsre", user_id, label, T0 + n * 1000)
    fake_keycloak.events[("bsre", user_id)] = [
        UserEvent("LOGIN", T0 - 30_000, "bsre-portal", "127.0.0.1"),
        UserEvent("LOGIN_ERROR", T0 - 60_000, "bsre-portal", "127.0.0.1",
                  "invalid_user_credentials")]
    return user_id


@pytest.fixture
def browser(app: Flask, holder: str, log_in: Callable[..., str]) -> FlaskClient:
    client = app.test_client()
    log_in(client, sub=holder, client_id="bsre-portal", roles=("pengguna",),
           name="Agus Wijaya")
    return client


def test_b8_the_dashboard_menu(browser: FlaskClient) -> None:
    html = browser.get("/bsre/dashboard").get_data(as_text=True)
    for item in ("Profil", "Petunjuk Teknis", "Aktivitas", "Keamanan", "Data Saya"):
        assert item in html
    assert 'id="menu-users"' not in html  # not an officer
    assert "Aplikasi OTP" in browser.get("/bsre/petunjuk-teknis").get_data(as_text=True)


def test_b12_the_profile_shows_every_field_and_consent_times_in_wib(
        browser: FlaskClient) -> None:
    html = browser.get("/bsre/profil").get_data(as_text=True)
    assert "Jumat, 12 September 2025 pukul 08.15 WIB" in html
    for shown in ("3174041503800005", "198003152005011003", BSSN, "+6281234567890",
                  "Nomor terverifikasi", "PENGGUNA", "VERIFIED", "Perjanjian Pemilik SrE",
                  "Tautan terakhir yang diajukan", "TLS"):
        assert shown in html
    english = browser.get("/bsre/profil?lang=en").get_data(as_text=True)
    assert "Friday, 12 September 2025 at 08:15 WIB" in english


def test_b23_activity_merges_keycloak_events_and_the_audit_newest_first(
        browser: FlaskClient) -> None:
    download_account_data(browser, "bsre")  # an audited download: a sidecar entry
    html = browser.get("/bsre/aktivitas").get_data(as_text=True)
    shown = [html.index(w) for w in ("Data Saya diunduh", "Masuk", "Gagal masuk")]
    assert shown == sorted(shown)


def test_b23_every_activity_reads_as_text_never_as_a_key(
        browser: FlaskClient, holder: str, fake_keycloak: FakeKeycloakUsers,
        services: Services) -> None:
    fake_keycloak.events[("bsre", holder)] += [
        UserEvent("USER_DISABLED_BY_TEMPORARY_LOCKOUT", T0 - 50_000, "", ""),
        UserEvent("LOGIN_ERROR", T0 - 40_000, "bsre-portal", "127.0.0.1",
                  "user_temporarily_disabled"),
        UserEvent("LOGIN_ERROR", T0 - 20_000, "bsre-portal", "127.0.0.1", "a_future_code"),
        UserEvent("A_FUTURE_EVENT", T0 - 10_000, "bsre-portal", "127.0.0.1")]
    with services.storage.transaction() as tx:
        tx.audit.record(realm="bsre", event_type="login_failure.notice_queued",
                        occurred_at=services.clock(), subject_id=holder,
                        details={"failures": 3})
    for lang, texts in (
            ("id", ("Pemberitahuan gagal masuk dikirim", "Kata sandi atau kode OTP salah",
                    "Akun dikunci sementara", "Kesalahan lain", "Aktivitas lain")),
            ("en", ("Failed sign-in notice sent", "Wrong password or OTP code",
                    "Account temporarily locked", "Other error", "Other activity"))):
        html = browser.get(f"/bsre/aktivitas?lang={lang}").get_data(as_text=True)
        assert all(text in html for text in texts), lang
        for raw in ("login_failure", "invalid_user_credentials", "user_temporarily_disabled",
                    "a_future_code", "A_FUTURE_EVENT", "LOCKOUT"):
            assert raw not in html, (lang, raw)


def test_b23_devices_with_names_and_dates_remove_one_never_the_last(
        browser: FlaskClient, holder: str, fake_keycloak: FakeKeycloakUsers,
        services: Services) -> None:
    page = browser.get("/bsre/keamanan").get_data(as_text=True)
    assert "HP Lama" in page and "Sabtu, 1 Maret 2025 pukul 15.00 WIB" in page
    first = fake_keycloak.otp_devices("bsre", holder)[0]
    assert browser.post(f"/bsre/keamanan/otp/{first.id}/hapus").status_code == 400  # no CSRF
    answer = browser.post(f"/bsre/keamanan/otp/{first.id}/hapus",
                          data={"csrf_token": csrf(page)})
    assert answer.status_code == 302
    assert [d.label for d in fake_keycloak.otp_devices("bsre", holder)] == ["HP Kantor",
                                                                           "Tablet"]
    work_outbox(services)
    notice = services.mailer.sent[-1]  # type: ignore[attr-defined]
    # B7: the owner's own removal warns of a stolen session, not of an added device.
    assert "Jika bukan Anda yang menghapusnya" in notice.text
    assert "tidak menambahkan perangkat baru" not in notice.text
    assert browser.post("/bsre/keamanan/otp/not-mine/hapus",
                        data={"csrf_token": csrf(page)}).status_code == 404
    fake_keycloak.remove_credential("bsre", holder, fake_keycloak.otp_devices(
        "bsre", holder)[0].id)
    last = fake_keycloak.otp_devices("bsre", holder)[0]
    browser.post(f"/bsre/keamanan/otp/{last.id}/hapus", data={"csrf_token": csrf(page)})
    assert fake_keycloak.otp_devices("bsre", holder) == [last]


def test_b9_b23_a_new_device_runs_keycloaks_set_up_and_removes_nothing_yet(
        browser: FlaskClient, holder: str, fake_keycloak: FakeKeycloakUsers) -> None:
    """The oldest device goes once the new one exists (the reconciler): a set-up given up
    half-way costs nothing."""
    page = browser.get("/bsre/keamanan").get_data(as_text=True)
    answer = browser.post("/bsre/keamanan/otp/baru", data={"csrf_token": csrf(page)})
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.location).query)
    assert query["kc_action"] == ["CONFIGURE_TOTP"] and query["client_id"] == ["bsre-portal"]
    assert [d.label for d in fake_keycloak.otp_devices("bsre", holder)] == [
        "HP Lama", "HP Kantor", "Tablet"]
    password = browser.post("/bsre/keamanan/kata-sandi", data={"csrf_token": csrf(page)})
    assert parse_qs(urlsplit(password.location).query)["kc_action"] == ["UPDATE_PASSWORD"]


def test_x10_data_saya_downloads_every_datum_and_is_audited(
        browser: FlaskClient, holder: str, services: Services) -> None:
    answer = download_account_data(browser, "bsre")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="data-saya-bsre.json"'
    document = json.loads(answer.get_data(as_text=True))
    assert document["account"]["attributes"]["nik"] == "3174041503800005"
    assert [d["name"] for d in document["otp_devices"]] == ["HP Lama", "HP Kantor", "Tablet"]
    assert {e["event"] for e in document["activity"]} == {"LOGIN", "LOGIN_ERROR"}
    assert "secret" not in answer.get_data(as_text=True).lower()
    with services.storage.session_factory() as s:
        audited = s.scalars(select(AuditEvent).where(
            AuditEvent.event_type == "account_data.downloaded")).one()
    assert audited.subject_id == holder and audited.actor == holder


@pytest.mark.parametrize("path,client_id", [("akses", "akses-portal"), ("oss", "oss-portal"),
                                            ("insw", "insw-portal"), ("easy", "easy")])
def test_x10_every_portal_has_data_saya(app: Flask, path: str, client_id: str,
                                        fake_keycloak: FakeKeycloakUsers,
                                        log_in: Callable[..., str]) -> None:
    from gerbang_sidecar.portals import client as portal_client

    realm = portal_client(client_id).realm
    anonymous = app.test_client()
    assert anonymous.post(f"/{path}/data-saya").status_code == 400  # no form token
    assert anonymous.get(f"/{path}/data-saya").status_code == 303  # to the button's page
    user_id = fake_keycloak.create_user(realm, NewUser(
        username="orang@example.test", email="orang@example.test", first_name="Orang"))
    client = app.test_client()
    log_in(client, sub=user_id, client_id=client_id)
    if path == "easy":
        fake_keycloak.grant(realm, user_id, ["easy-shareholder"])  # type: ignore[attr-defined]
        log_in(client, sub=user_id, client_id=client_id, roles=("easy-shareholder",))
    document = json.loads(download_account_data(client, path).get_data(as_text=True))
    assert document["portal"]["realm"] == realm
    assert document["account"]["email"] == "orang@example.test"
    # And the portal's own home page carries the button (X10: "can see and download").
    home = {"akses": "/akses/beranda", "oss": "/oss/home", "insw": "/insw/home",
            "easy": "/easy/"}[path]
    page = client.get(home).get_data(as_text=True)
    assert f'action="/{path}/data-saya"' in page and 'id="data-saya"' in page


def test_x10_data_saya_is_no_link_another_site_can_use(
        app: Flask, browser: FlaskClient, services: Services) -> None:
    """A link elsewhere (the cookie is SameSite=Lax: sent with a top-level GET) or a HEAD
    downloads nothing and writes no audit row; ten downloads an hour per account."""
    from gerbang_sidecar.web.account_data import DOWNLOADS_PER_HOUR

    def downloads() -> int:
        with services.storage.session_factory() as s:
            return len(s.scalars(select(AuditEvent).where(
                AuditEvent.event_type == "account_data.downloaded")).all())

    for method in (browser.get, browser.head):
        answer = method("/bsre/data-saya")
        assert answer.status_code == 303 and answer.location == "/bsre/dashboard"
    assert browser.post("/bsre/data-saya").status_code == 400  # no form token
    assert downloads() == 0
    statuses = [download_account_data(browser, "bsre").status_code
                for _ in range(DOWNLOADS_PER_HOUR + 1)]
    assert statuses == [200] * DOWNLOADS_PER_HOUR + [429]
    assert downloads() == DOWNLOADS_PER_HOUR


def test_b9_two_removals_at_once_never_leave_the_user_without_a_device(
        app: Flask, log_in: Callable[..., str], fake_keycloak: FakeKeycloakUsers) -> None:
    """Both requests once read two devices before either removed one, and removed both."""
    user_id = fake_keycloak.create_user("bsre", NewUser(
        username="x@bssn.go.id", email="x@bssn.go.id", first_name="X",
        attributes={"instansi": BSSN}))
    fake_keycloak.add_otp_device("bsre", user_id, "A", T0)
    fake_keycloak.add_otp_device("bsre", user_id, "B", T0 + 1000)
    client = app.test_client()
    log_in(client, sub=user_id, client_id="bsre-portal", roles=("pengguna",))
    token = csrf(client.get("/bsre/keamanan").get_data(as_text=True))
    first, second = fake_keycloak.otp_devices("bsre", user_id)
    real = fake_keycloak.otp_devices
    readers = threading.Condition()
    read = [0]

    def read_then_wait_for_the_other(realm: str, user_id: str) -> list[OtpDevice]:
        found = real(realm, user_id)
        with readers:
            read[0] += 1
            readers.notify_all()
            # The other request reads too, unless it has to wait for this one to finish.
            readers.wait_for(lambda: read[0] >= 2, timeout=1)
        return found

    fake_keycloak.otp_devices = read_then_wait_for_the_other  # type: ignore[method-assign]
    statuses: list[int] = []

    def remove(device_id: str) -> None:
        statuses.append(client.post(f"/bsre/keamanan/otp/{device_id}/hapus",
                                    data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=remove, args=(d.id,)) for d in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    fake_keycloak.otp_devices = real  # type: ignore[method-assign]
    assert len(statuses) == 2
    assert len(real("bsre", user_id)) == 1
