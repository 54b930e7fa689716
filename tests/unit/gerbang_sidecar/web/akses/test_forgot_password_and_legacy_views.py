"""A7 / A6 pages with the fake Keycloak: X1 same answer, X2 limits, CSRF, the legacy gate."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.web.forgot_password import FORM_LIMIT
from gerbang_sidecar.wiring import Services

NIK = "3171015203900001"


class CountingFake(FakeKeycloakUsers):
    calls: int = 0

    def _check(self) -> None:
        self.calls += 1
        super()._check()


@pytest.fixture
def fake_keycloak() -> CountingFake:
    users = CountingFake()
    users.create_user("akses", NewUser("siti@example.com", "siti@example.com", "Siti",
                                       email_verified=True, attributes={"nik": NIK}))
    users.calls = 0
    return users


@pytest.fixture
def fake(fake_keycloak: CountingFake) -> CountingFake:
    return fake_keycloak


def _token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="[a-z-]*csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _process(client: FlaskClient, identifier: str):
    token = _token(client, "/akses/lupa-kata-sandi")
    return client.post("/akses/lupa-kata-sandi", data={
        "csrf_token": token, "identifier": identifier, "channel": "email",
        "action": "process"}, follow_redirects=True)


def test_x1_unknown_identifier_same_answer(app: Flask, fake: CountingFake,
                                          services: Services) -> None:
    known = _process(app.test_client(), NIK)
    unknown = _process(app.test_client(), "3171015203909999")
    assert known.status_code == unknown.status_code == 200
    # Only the random tokens differ: the CSRF value and the page's own opaque URL.
    strip = lambda html: re.sub(r'value="[^"]+"|/terkirim/[\w-]+', "", html)  # noqa: E731
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    # The request path asked Keycloak nothing: the lookups happen in the worker.
    assert fake.calls == 0
    services.outbox_worker().run_once()
    assert fake.calls > 0 and len(fake.sent) == 1


def test_a7_two_steps_keep_the_identifier(client: FlaskClient, fake: CountingFake) -> None:
    token = _token(client, "/akses/lupa-kata-sandi")
    step2 = client.post("/akses/lupa-kata-sandi", data={
        "csrf_token": token, "identifier": NIK, "action": "next"})
    html = step2.get_data(as_text=True)
    assert step2.status_code == 200 and 'id="choose-channel"' in html
    assert 'value="sms"' in html and 'value="email"' in html  # both, always (X1)
    empty = client.post("/akses/lupa-kata-sandi", data={"csrf_token": token, "identifier": "",
                                                        "action": "next"})
    assert empty.status_code == 422 and "Wajib diisi." in empty.get_data(as_text=True)


def test_x2_forgot_password_requires_csrf_and_is_rate_limited(client: FlaskClient,
                                                              fake: CountingFake) -> None:
    assert client.post("/akses/lupa-kata-sandi", data={"identifier": NIK}).status_code == 400
    statuses = [client.post("/akses/lupa-kata-sandi", data={"identifier": NIK}).status_code
                for _ in range(FORM_LIMIT)]
    assert statuses[-1] == 429


def _process_from(app: Flask, address: str, identifier: str) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return _process(client, identifier).status_code


def test_x2_one_identifier_from_many_addresses_is_limited(app: Flask,
                                                          fake: CountingFake) -> None:
    from gerbang_sidecar.web.forgot_password import IDENTIFIER_LIMIT, SITES_PER_IDENTIFIER

    everyone = IDENTIFIER_LIMIT * SITES_PER_IDENTIFIER
    statuses = [_process_from(app, f"198.51.100.{n}", NIK) for n in range(everyone + 1)]
    assert statuses == [200] * everyone + [429]
    assert _process_from(app, "192.0.2.1", "3171015203909999") == 200  # any other one


def test_x2_a_stranger_at_one_site_does_not_hold_the_owners_reset_off(
        app: Flask, fake: CountingFake) -> None:
    """A hostile review held a known NIK's reset off for an hour from one address."""
    from gerbang_sidecar.web.forgot_password import IDENTIFIER_LIMIT

    stranger = [_process_from(app, "203.0.113.7", NIK) for _ in range(IDENTIFIER_LIMIT + 1)]
    assert stranger == [200] * IDENTIFIER_LIMIT + [429]
    # A whole IPv6 /48 is one site, whichever /64 of it asks.
    ipv6 = [_process_from(app, f"2001:db8:7:{n}::1", NIK) for n in range(IDENTIFIER_LIMIT + 1)]
    assert ipv6 == [200] * IDENTIFIER_LIMIT + [429]
    assert _process_from(app, "198.51.100.20", NIK) == 200  # the owner, at home


def test_a7_sent_page_refuses_resend_before_15_minutes(client: FlaskClient,
                                                       fake: CountingFake) -> None:
    answer = _process(client, NIK)
    path = answer.request.path
    token = _token(client, path)
    again = client.post(path, data={"csrf_token": token})
    assert again.status_code == 429 and "15 menit" in again.get_data(as_text=True)
    assert client.get("/akses/lupa-kata-sandi/terkirim/unknown").status_code == 404


def test_a7_invalid_link_page(client: FlaskClient, fake: CountingFake) -> None:
    answer = client.get("/akses/lupa-kata-sandi/atur/not-a-token")
    assert answer.status_code == 410
    assert "Tautan tidak berlaku" in answer.get_data(as_text=True)


def test_a6_legacy_member_must_register_email(app: Flask, client: FlaskClient,
                                              fake: CountingFake, services: Services,
                                              log_in) -> None:
    from gerbang_sidecar.web.akses.legacy_members import require_registered_email
    from gerbang_sidecar.web.portal_login import portal_login_required

    @app.get("/akses/beranda-contoh")
    @portal_login_required("akses", "akses-portal")
    @require_registered_email
    def beranda_sample() -> str:
        return "beranda"

    user_id = fake.create_user("akses", NewUser("budi77", None, "Budi", email_verified=True))
    fake.grant("akses", user_id, ["legacy-member"])
    log_in(client, sub=user_id, roles=("legacy-member",), username="budi77")
    gated = client.get("/akses/beranda-contoh")
    assert gated.status_code == 302 and gated.location.endswith("/akses/daftarkan-email")

    token = _token(client, "/akses/daftarkan-email")
    sent = client.post("/akses/daftarkan-email", data={
        "e-csrf_token": token, "e-email": "budi@example.com", "action": "send"})
    assert sent.status_code == 200 and 'id="code-form"' in sent.get_data(as_text=True)
    services.outbox_worker().run_once()
    [mail] = services.mailer.to("budi@example.com")  # type: ignore[attr-defined]
    code = re.search(r"\b(\d{5})\b", mail.text).group(1)
    assert mail.subject == "Kode OTP AKSes KSEI"

    wrong = client.post("/akses/daftarkan-email", data={
        "c-csrf_token": token, "c-code": "0000" if code != "0000" else "1111",
        "action": "verify"})
    assert wrong.status_code == 422 and "Sisa percobaan: 4" in wrong.get_data(as_text=True)
    done = client.post("/akses/daftarkan-email", data={
        "c-csrf_token": token, "c-code": code, "action": "verify"})
    assert done.status_code == 302 and done.location.endswith("/akses/beranda")
    assert client.get("/akses/beranda-contoh").get_data(as_text=True) == "beranda"
    assert fake.get_user("akses", user_id).email == "budi@example.com"


def test_a6_x5_keycloak_away_at_verify_keeps_the_code(
        client: FlaskClient, fake: CountingFake, services: Services, log_in) -> None:
    """Rule 3: the proven code is not spent by an outage; "Verifikasi" again works."""
    from gerbang_sidecar.ports.keycloak import KeycloakUnavailable

    user_id = fake.create_user("akses", NewUser("budi79", None, "Budi", email_verified=True))
    fake.grant("akses", user_id, ["legacy-member"])
    log_in(client, sub=user_id, roles=("legacy-member",), username="budi79")
    token = _token(client, "/akses/daftarkan-email")
    client.post("/akses/daftarkan-email", data={
        "e-csrf_token": token, "e-email": "budi79@example.com", "action": "send"})
    services.outbox_worker().run_once()
    [mail] = services.mailer.to("budi79@example.com")  # type: ignore[attr-defined]
    code = re.search(r"\b(\d{5})\b", mail.text).group(1)
    real_remove = fake.remove_realm_roles

    def away(*_args: object, **_kwargs: object) -> None:
        raise KeycloakUnavailable("down")

    fake.remove_realm_roles = away  # type: ignore[method-assign]
    failed = client.post("/akses/daftarkan-email", data={
        "c-csrf_token": token, "c-code": code, "action": "verify"})
    assert failed.status_code == 503 and "Kode Anda masih berlaku" in failed.get_data(
        as_text=True)
    fake.remove_realm_roles = real_remove  # type: ignore[method-assign]
    done = client.post("/akses/daftarkan-email", data={
        "c-csrf_token": token, "c-code": code, "action": "verify"})
    assert done.status_code == 302 and done.location.endswith("/akses/beranda")
    assert fake.get_user("akses", user_id).email == "budi79@example.com"


def test_a6_page_needs_login(client: FlaskClient, fake: CountingFake) -> None:
    answer = client.get("/akses/daftarkan-email")
    assert answer.status_code == 302 and "/protocol/openid-connect/auth" in answer.location
