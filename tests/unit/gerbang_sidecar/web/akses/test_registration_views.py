"""AKSes registration pages over the real service, the Keycloak fake and the registry twins:
status codes, messages beside fields, "Kembali" keeping every field, C2 resend timing, and the
same pages whether an identifier already has an account or not (X1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.wiring import Services
from support.clock import FakeClock

SITI = {"name": "Siti Rahmawati", "nik": "3171015203900001", "phone": "081234567801",
        "email": "siti.rahmawati@example.com"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 1, 1, 0, tzinfo=UTC))  # 08:00 WIB


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    return app.test_client()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


def _submit(client: FlaskClient, kind: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = _csrf(client.get(f"/akses/daftar/{kind}").get_data(as_text=True))
    return client.post(f"/akses/daftar/{kind}", data={"csrf_token": token, **data})


def _activate(client: FlaskClient, confirmation_html: str):  # type: ignore[no-untyped-def]
    return client.post("/akses/daftar/aktivasi", data={"csrf_token": _csrf(confirmation_html)})


def _work_outbox(services: Services) -> None:
    """What the outbox worker process does after "Aktivasi": the account, the mails."""
    worker = services.outbox_worker()
    while worker.run_once().handled:
        pass


def _accounts(fake_keycloak: FakeKeycloakUsers) -> int:
    return len([u for (realm, _), u in fake_keycloak.users.items() if realm == "akses"])


def test_a1_choose_page_offers_the_three_types(browser: FlaskClient) -> None:
    html = browser.get("/akses/daftar").get_data(as_text=True)
    for label in ("Individu Lokal", "Investor Individu Asing", "Investor Institusi"):
        assert label in html
    assert browser.get("/akses/daftar/bukan-tipe").status_code == 404


def test_a2_form_has_the_manual_fields(browser: FlaskClient) -> None:
    html = browser.get("/akses/daftar/individu-lokal").get_data(as_text=True)
    for label in ("Nama Lengkap", "NIK", "Nomor Mobile", "Email", "Selanjutnya"):
        assert label in html
    assert 'name="passport"' not in html and 'name="sid"' not in html


def test_x5_bad_fields_get_messages_beside_them_and_keep_values(browser: FlaskClient) -> None:
    response = _submit(browser, "individu-lokal", {**SITI, "nik": "12345", "email": "bukan"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="nik-error"' in html and 'id="email-error"' in html
    assert 'value="Siti Rahmawati"' in html and 'value="12345"' in html


def test_x5_english_messages(browser: FlaskClient) -> None:
    browser.get("/akses/daftar?lang=en")
    response = _submit(browser, "individu-lokal", {**SITI, "email": "bukan"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Next" in html and "Full name" in html


def test_a2_wrong_broker_email_is_refused_beside_email(browser: FlaskClient) -> None:
    response = _submit(browser, "individu-lokal", {
        "name": "Rudi Hartono", "nik": "3578032501780004", "phone": "081234567802",
        "email": "rudi.hartono@example.com"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and "Perusahaan Efek (broker)" in html


def test_x5_csrf_is_required(browser: FlaskClient) -> None:
    response = browser.post("/akses/daftar/individu-lokal", data=SITI)
    assert response.status_code == 400


def test_a5_confirm_back_keeps_fields_then_activate_and_thank(
        browser: FlaskClient, fake_keycloak: FakeKeycloakUsers, services: Services) -> None:
    confirmation = _submit(browser, "individu-lokal", SITI)
    html = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    assert "IDD120390482615" in html and "Aktivasi" in html and "Kembali" in html
    assert SITI["nik"] not in html  # masked on the page

    back = browser.get("/akses/daftar/individu-lokal?kembali=1").get_data(as_text=True)
    for value in SITI.values():
        assert f'value="{value}"' in back

    activated = _activate(browser, html)
    assert activated.status_code == 302
    assert activated.headers["Location"].endswith("/akses/daftar/terima-kasih")
    thanks = browser.get("/akses/daftar/terima-kasih").get_data(as_text=True)
    assert "Terima kasih sudah melakukan pendaftaran, Siti Rahmawati" in thanks
    assert "08:15 WIB" in thanks
    assert _accounts(fake_keycloak) == 0  # made by the outbox worker, not by the page
    _work_outbox(services)
    assert _accounts(fake_keycloak) == 1


def test_a5_double_activation_creates_one_account(browser: FlaskClient, services: Services,
                                                  fake_keycloak: FakeKeycloakUsers) -> None:
    html = _submit(browser, "individu-lokal", SITI).get_data(as_text=True)
    first, second = _activate(browser, html), _activate(browser, html)
    assert first.status_code == second.status_code == 302
    _work_outbox(services)
    assert _accounts(fake_keycloak) == 1


def _journey(app: Flask, form: dict[str, str]) -> list[tuple[int, str]]:
    """Status and page (tokens removed) of each step a registrant sees."""
    client = app.test_client()
    pages = [_submit(client, "individu-lokal", form)]
    pages.append(_activate(client, pages[0].get_data(as_text=True)))
    pages.append(client.get("/akses/daftar/terima-kasih"))
    return [(p.status_code, re.sub(r'value="[^"]{20,}"', "", p.get_data(as_text=True)))
            for p in pages]


def test_x1_taken_email_or_phone_gets_the_same_pages_and_the_owner_a_mail(
        app: Flask, services: Services, fake_keycloak: FakeKeycloakUsers) -> None:
    # A free identity first, on a fresh realm: what every page looks like.
    free = _journey(app, SITI)
    _work_outbox(services)
    mailer = services.mailer
    assert mailer.to(SITI["email"]) == []  # Keycloak sends her activation email
    # Her email and phone again, with the name and NIK typed the same: every page identical.
    taken = _journey(app, {**SITI})
    _work_outbox(services)
    assert [status for status, _ in taken] == [status for status, _ in free] == [200, 302, 200]
    assert taken == free
    assert _accounts(fake_keycloak) == 1
    [notice] = mailer.to(SITI["email"])  # type: ignore[attr-defined]
    assert "Percobaan pendaftaran" in notice.subject


def test_c2_resend_refused_before_15_minutes_then_allowed(browser: FlaskClient,
                                                          clock: FakeClock) -> None:
    html = _submit(browser, "individu-lokal", SITI).get_data(as_text=True)
    _activate(browser, html)
    thanks = browser.get("/akses/daftar/terima-kasih").get_data(as_text=True)
    early = browser.post("/akses/daftar/kirim-ulang", data={"csrf_token": _csrf(thanks)})
    assert early.status_code == 429 and early.headers["Retry-After"] == "900"
    assert "08:15 WIB" in early.get_data(as_text=True)

    clock.now += timedelta(minutes=15)
    later = browser.post("/akses/daftar/kirim-ulang", data={"csrf_token": _csrf(thanks)})
    assert later.status_code == 302
    page = browser.get("/akses/daftar/terima-kasih").get_data(as_text=True)
    assert "Email verifikasi telah dikirim ulang." in page and "08:30 WIB" in page


def test_x5_registry_down_keeps_input_with_503(browser: FlaskClient,
                                               services: Services) -> None:
    services.registries.dukcapil.outage = "timeout"  # type: ignore[attr-defined]
    response = _submit(browser, "individu-lokal", SITI)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'id="temporary-problem"' in html and 'value="Siti Rahmawati"' in html


def test_a5_pages_without_a_registration_start_again(browser: FlaskClient) -> None:
    response = browser.get("/akses/daftar/terima-kasih")
    assert response.status_code == 302 and response.headers["Location"].endswith("/akses/daftar")


def test_a5_beranda_and_easy_need_a_login(browser: FlaskClient) -> None:
    for path in ("/akses/beranda", "/easy/"):
        response = browser.get(path)
        assert response.status_code == 302
        assert "/realms/akses/protocol/openid-connect/auth" in response.headers["Location"]


def test_x5_error_summary_names_fields_as_the_page_labels_them(browser: FlaskClient) -> None:
    answer = _submit(browser, "institusi", {"name": "", "sid": "12", "phone": "", "email": "x@"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Nama Perusahaan" in summary or "Nama Institusi" in summary, summary
    # WTForms' own labels (from the field names) must not leak into the page.
    assert not any(f">{raw}<" in summary for raw in ("Name", "Sid", "Phone"))


def test_c2_x2_a_registration_resends_its_activation_mail_five_times_a_day(
        browser: FlaskClient, clock: FakeClock) -> None:
    """C2 spaces the resends by 15 minutes; a day holds RESENDS_PER_DAY: a registration
    made with a stranger's email must not mail them 96 times a day (review)."""
    from gerbang_sidecar.web.akses.registration import RESENDS_PER_DAY

    html = _submit(browser, "individu-lokal", SITI).get_data(as_text=True)
    _activate(browser, html)
    thanks = browser.get("/akses/daftar/terima-kasih").get_data(as_text=True)
    answers = []
    for _ in range(RESENDS_PER_DAY + 1):
        clock.now += timedelta(minutes=16)
        answers.append(browser.post("/akses/daftar/kirim-ulang",
                                    data={"csrf_token": _csrf(thanks)}).status_code)
    assert answers == [302] * RESENDS_PER_DAY + [429]
