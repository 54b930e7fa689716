"""B1 by NIP, X1: NIP and NIK checked with BKN behind a captcha; a match mails the "Aktivasi
Akun" link (scoped to BKN's instansi, the NIP filled in later); an unknown pair reads
NOT_REGISTERED; whether an account exists is never shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.wiring import Services
from support.captcha import solved
from support.clock import FakeClock

from .conftest import AGUS, csrf, work_outbox


@pytest.fixture
def clock() -> FakeClock:
    # The captcha library checks a puzzle's expiry against the wall clock too.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"captcha_cost": 50}


def _solved(services: Services) -> str:
    return solved(services.captcha)


def _submit(client: FlaskClient, services: Services, captcha: str | None = None,
            **data: str):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/bsre/daftar").get_data(as_text=True))
    return client.post("/bsre/daftar", data={
        "csrf_token": token, "captcha": _solved(services) if captcha is None else captcha,
        **data})


def test_b1_a_civil_servant_starts_by_nip_and_gets_the_activation_link(
        app: Flask, services: Services) -> None:
    browser = app.test_client()
    answer = _submit(browser, services, nip=AGUS["nip"], nik=AGUS["nik"],
                     email="agus.baru@bssn.go.id")
    assert answer.status_code == 302 and answer.location.endswith("/bsre/daftar/terkirim")
    work_outbox(services)
    mail = services.mailer.to("agus.baru@bssn.go.id")[-1]  # type: ignore[attr-defined]
    # The address is whatever the one holding the pair typed: the mail names neither the
    # person nor the instansi BKN returned, nor a Verifikator who registered nobody.
    assert "Badan Siber dan Sandi Negara" not in mail.text and "Agus" not in mail.text
    assert "Verifikator" not in mail.text and "NIP dan NIK" in mail.text
    link = re.search(r"https?://\S+/bsre/aktivasi/t/\S+", mail.text)
    assert link
    assert browser.get(urlsplit(link.group(0)).path).status_code == 302
    page = browser.get("/bsre/aktivasi/data-diri").get_data(as_text=True)
    assert 'value="Agus Wijaya"' in page


def test_b1_x1_an_unknown_pair_reads_not_registered_and_nothing_is_sent(
        app: Flask, services: Services) -> None:
    answer = _submit(app.test_client(), services, nip=AGUS["nip"], nik="3174041503800099",
                     email="x@example.go.id")
    # The NIK fits the NIP's birth date and sex, but BKN does not hold them together.
    assert answer.status_code == 404
    assert "NOT_REGISTERED" in answer.get_data(as_text=True)
    work_outbox(services)
    assert services.mailer.sent == []  # type: ignore[attr-defined]


def test_b1_bad_input_and_a_missing_captcha_beside_the_fields(
        app: Flask, services: Services) -> None:
    answer = _submit(app.test_client(), services, captcha="", nip="123", nik="",
                     email="nope")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="captcha-error"' in html
    mismatch = _submit(app.test_client(), services, nip=AGUS["nip"], nik="5171016106880006",
                       email="x@example.go.id")
    assert mismatch.status_code == 422 and 'id="nip-error"' in mismatch.get_data(as_text=True)


def test_b1_x2_an_address_gets_three_links_a_day_with_one_nip(
        app: Flask, services: Services, clock: FakeClock) -> None:
    """A review mailed one address 120 times a day with one pair (5 an hour per NIP/NIK).
    Counted per address and NIP, so a stranger's pair cannot spend the owner's tries."""
    browser = app.test_client()
    statuses = [_submit(browser, services, nip=AGUS["nip"], nik=AGUS["nik"],
                        email=email).status_code
                for email in ("korban@bssn.go.id", "Korban@BSSN.go.id", "korban@bssn.go.id",
                              "korban@bssn.go.id")]
    assert statuses == [302, 302, 302, 429]
    work_outbox(services)
    assert len(services.mailer.to("korban@bssn.go.id")) == 3  # type: ignore[attr-defined]
    assert _submit(browser, services, nip=AGUS["nip"], nik=AGUS["nik"],
                   email="agus.baru@bssn.go.id").status_code == 302  # another address
    assert _submit(browser, services, nip="198806212011012004", nik="5171016106880006",
                   email="korban@bssn.go.id").status_code == 302  # another NIP
    clock.advance(hours=24, seconds=1)
    assert _submit(browser, services, nip=AGUS["nip"], nik=AGUS["nik"],
                   email="korban@bssn.go.id").status_code == 302
