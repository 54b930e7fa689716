"""OSS registration pages (O1–O4, X1, X5) over the real service and the registry twins: the
two identity types, the captcha first, every error beside its field and every value kept,
Dukcapil's one answer for unknown and mismatched, the same thank-you page for everyone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.models import OutboxMessage, Registration
from gerbang_sidecar.wiring import Services
from support.captcha import solved
from support.clock import FakeClock

# docs/registries.md: SRI HANDAYANI, born 04-07-1996.
SRI = {"nik": "3171014407960019", "name": "Sri Handayani", "country": "ID",
       "birth_date": "04-07-1996", "phone": "81355500041",
       "email": "sri.handayani@example.com", "terms": "y"}
OLIVIA = {"passport": "K4M8Q2705", "passport_country": "AU",
          "passport_issue_date": "15-01-2022", "passport_expiry_date": "15-01-2032",
          "passport_office": "Canberra", "name": "Olivia Bennett", "sex": "P",
          "citizenship": "AU", "birth_place": "Sydney", "birth_date": "09-05-1988",
          "phone": "+61 412 345 678", "email": "olivia@example.com", "terms": "y"}


@pytest.fixture
def clock() -> FakeClock:
    # The captcha library checks a puzzle's expiry against the wall clock too.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"captcha_cost": 50}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


def _solved(services: Services) -> str:
    return solved(services.captcha)


def _submit(client: FlaskClient, services: Services, data: dict[str, str], *,
            jenis: str = "ktp", captcha: str | None = None):  # type: ignore[no-untyped-def]
    token = _csrf(client.get(f"/oss/daftar?jenis={jenis}").get_data(as_text=True))
    solution = _solved(services) if captcha is None else captcha
    return client.post(f"/oss/daftar?jenis={jenis}",
                       data={"csrf_token": token, "captcha": solution, **data})


def _registrations(services: Services) -> list[Registration]:
    with services.storage.session_factory() as s:
        return list(s.scalars(select(Registration)))


def test_o1_both_identity_types_show_their_fields(client: FlaskClient) -> None:
    ktp = client.get("/oss/daftar").get_data(as_text=True)
    assert 'name="nik"' in ktp and 'name="passport"' not in ktp
    assert "(+62) - Indonesia" in ktp and "Saya mengerti dan menerima" in ktp
    assert "altcha-widget" in ktp
    paspor = client.get("/oss/daftar?jenis=paspor").get_data(as_text=True)
    for name in ("passport", "passport_country", "passport_issue_date", "passport_expiry_date",
                 "passport_office", "sex", "citizenship", "birth_place", "birth_date",
                 "phone", "email"):
        assert f'name="{name}"' in paspor
    assert 'name="nik"' not in paspor


def test_o2_a_ktp_registration_is_accepted_and_queued(client: FlaskClient,
                                                     services: Services) -> None:
    answer = _submit(client, services, SRI)
    assert answer.status_code == 302 and answer.location.endswith("/oss/daftar/terima-kasih")
    thanks = client.get("/oss/daftar/terima-kasih").get_data(as_text=True)
    assert "Sri Handayani" in thanks and 'id="thanks"' in thanks
    [row] = _registrations(services)
    assert (row.realm, row.registration_type, row.status) == ("oss", "ktp", "activating")
    assert row.data["terms_accepted_at"]
    with services.storage.session_factory() as s:
        assert [m.kind for m in s.scalars(select(OutboxMessage))] == ["oss.make_account"]


def test_o3_a_passport_registration_is_accepted(client: FlaskClient,
                                                services: Services) -> None:
    answer = _submit(client, services, OLIVIA, jenis="paspor")
    assert answer.status_code == 302
    [row] = _registrations(services)
    assert row.registration_type == "paspor" and row.data["data"]["passport"] == "K4M8Q2705"


def test_o2_missing_captcha_is_refused_beside_it_with_every_other_error(
        client: FlaskClient, services: Services) -> None:
    answer = _submit(client, services, {**SRI, "email": "bukan-email", "terms": ""},
                     captcha="")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="captcha-error"' in page and 'id="email-error"' in page
    assert 'id="terms-error"' in page
    assert 'value="3171014407960019"' in page and 'value="bukan-email"' in page  # X5
    assert _registrations(services) == []


def test_o2_a_replayed_captcha_is_refused(client: FlaskClient, services: Services) -> None:
    solution = _solved(services)
    assert _submit(client, services, SRI, captcha=solution).status_code == 302
    again = _submit(client, services, {**SRI, "email": "lain@example.com"}, captcha=solution)
    assert again.status_code == 422
    assert "Captcha tidak berlaku lagi" in again.get_data(as_text=True)
    assert len(_registrations(services)) == 1


def test_o4_unticked_terms_are_refused(client: FlaskClient, services: Services) -> None:
    answer = _submit(client, services, {**SRI, "terms": ""})
    assert answer.status_code == 422
    assert "Syarat dan Ketentuan" in answer.get_data(as_text=True)
    assert _registrations(services) == []


@pytest.mark.parametrize("changes", [
    {"name": "Sri Handayana"},                                # name differs from Dukcapil
    {"nik": "3171014407960099", "birth_date": "04-07-1996"},  # no such NIK at Dukcapil
])
def test_o2_x1_dukcapil_gives_one_answer_for_unknown_and_mismatched(
        client: FlaskClient, services: Services, changes: dict[str, str]) -> None:
    answer = _submit(client, services, {**SRI, **changes})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "tidak sesuai dengan data kependudukan" in page
    assert _registrations(services) == []


def test_o2_a_birth_date_the_nik_contradicts_is_refused_without_asking_dukcapil(
        client: FlaskClient, services: Services) -> None:
    answer = _submit(client, services, {**SRI, "birth_date": "05-07-1996"})
    assert answer.status_code == 422
    assert 'id="birth_date-error"' in answer.get_data(as_text=True)


def test_o2_english_when_chosen(client: FlaskClient, services: Services) -> None:
    page = client.get("/oss/daftar?lang=en").get_data(as_text=True)
    assert "Mobile phone number" in page and "I understand and accept" in page
