"""X2 on the pages: a marked form counts every POST per client, CSRF failures too."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import TooManyRequests

from gerbang_sidecar.domain.one_time_code import B2_WHATSAPP
from gerbang_sidecar.web.rate_limit import send_code_to


def _post(client: FlaskClient, ip: str = "203.0.113.7") -> int:
    return client.post("/akses/contoh", data={"name": "x"},
                       environ_base={"REMOTE_ADDR": ip}).status_code


def test_x2_public_form_rate_limited(client: FlaskClient, form_limit: int) -> None:
    statuses = [_post(client) for _ in range(form_limit + 1)]
    assert statuses[:form_limit] == [400] * form_limit  # counted even when the CSRF fails
    response = client.post("/akses/contoh", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    html = response.get_data(as_text=True)
    assert statuses[-1] == 429 and response.status_code == 429
    assert "Terlalu banyak percobaan" in html and 'class="gb-helpdesk"' in html
    assert 0 < int(response.headers["Retry-After"]) <= 600


def test_x2_other_clients_and_page_views_are_not_limited(client: FlaskClient,
                                                          form_limit: int) -> None:
    for _ in range(form_limit + 1):
        _post(client, "203.0.113.7")
    assert _post(client, "198.51.100.9") == 400
    assert client.get("/akses/contoh", environ_base={"REMOTE_ADDR": "203.0.113.7"}
                      ).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"rate_limits_enabled": False}])
def test_x2_limits_can_be_switched_off(client: FlaskClient, form_limit: int) -> None:
    assert all(_post(client) == 400 for _ in range(form_limit + 2))


def test_x2_an_ipv6_client_counts_by_its_64_prefix(client: FlaskClient, form_limit: int) -> None:
    # A device picks new addresses inside its /64 at will (issue 8 item 9).
    for host in range(form_limit):
        assert _post(client, f"2001:db8:1:2::{host + 1:x}") == 400
    assert _post(client, "2001:db8:1:2:ffff::9") == 429
    assert _post(client, "2001:db8:1:3::1") == 400  # the next /64 is someone else


def _registration_check(client: FlaskClient, ip: str, **fields: str) -> int:
    import re

    page = client.get("/akses/daftar/individu-lokal").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    # Budi is no KSEI investor: any email passes the registries.
    data = {"csrf_token": token, "name": "Budi Santoso", "nik": "3273051707850002",
            "phone": "081298765432", "email": "budi@example.co.id", **fields}
    return client.post("/akses/daftar/individu-lokal", data=data,
                       environ_base={"REMOTE_ADDR": ip}).status_code


def test_x2_one_nik_from_many_addresses_is_limited(client: FlaskClient) -> None:
    from gerbang_sidecar.web.akses.registration import IDENTIFIER_LIMIT

    statuses = [_registration_check(client, f"198.51.100.{n}", email=f"a{n}@example.com")
                for n in range(IDENTIFIER_LIMIT + 1)]
    assert statuses[:IDENTIFIER_LIMIT] == [200] * IDENTIFIER_LIMIT
    assert statuses[-1] == 429
    # Typed differently, it is still the same NIK; another NIK is not limited.
    assert _registration_check(client, "198.51.100.99", nik="3273 0517 0785 0002",
                               email="lain@example.com") == 429
    assert _registration_check(client, "198.51.100.99", name="Siti Rahmawati",
                               nik="3171015203900001", phone="081234567890",
                               email="siti.rahmawati@example.com") == 200


def test_x2_one_email_from_many_addresses_is_limited(client: FlaskClient) -> None:
    from gerbang_sidecar.web.akses.registration import IDENTIFIER_LIMIT

    for n in range(IDENTIFIER_LIMIT):
        _registration_check(client, f"198.51.100.{n}", nik=f"31710152039{n:05d}")
    assert _registration_check(client, "192.0.2.1", nik="3171015203999999",
                               email="BUDI@example.co.id") == 429


def test_x2_every_form_has_a_ceiling_for_everyone_together(client: FlaskClient,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from gerbang_sidecar.web.rate_limit import Limit

    view = client.application.view_functions["akses_registration.form"]
    monkeypatch.setattr(view, "_gerbang_rate_limit", Limit(30, 600, ("POST",), None, 3))
    statuses = [_registration_check(client, f"198.51.100.{n}", nik=f"31710152039{n:05d}",
                                    email=f"c{n}@example.com") for n in range(4)]
    assert statuses[-1] == 429


def test_x2_junk_without_a_form_token_spends_no_ceiling(client: FlaskClient,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A script posting without a CSRF token from many addresses counts against each of them,
    not against the ceiling real users share."""
    from gerbang_sidecar.web.rate_limit import Limit

    view = client.application.view_functions["akses_registration.form"]
    monkeypatch.setattr(view, "_gerbang_rate_limit", Limit(30, 600, ("POST",), None, 3))
    junk = [client.post("/akses/daftar/individu-lokal", data={"nik": "3171015203900001"},
                        environ_base={"REMOTE_ADDR": f"2001:db8:{n}::1"}).status_code
            for n in range(10)]
    assert junk == [400] * 10
    assert _registration_check(client, "198.51.100.200", nik="3171015203900099",
                               email="nyata@example.com") != 429


def test_x2_an_ipv6_site_counts_as_a_whole_beside_each_of_its_64s(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A /48 may hand every request a different /64: its /64s together get sixteen
    clients' worth, then 429; another site is not touched."""
    from gerbang_sidecar.services.rate_limits import CLIENTS_PER_SITE
    from gerbang_sidecar.web.rate_limit import Limit

    view = client.application.view_functions["akses_registration.form"]
    monkeypatch.setattr(view, "_gerbang_rate_limit", Limit(2, 600, ("POST",), None, None))

    def post(address: str) -> int:
        return client.post("/akses/daftar/individu-lokal", data={"nik": "1"},
                           environ_base={"REMOTE_ADDR": address}).status_code

    statuses = [post(f"2001:db8:7:{n:x}::1") for n in range(2 * CLIENTS_PER_SITE + 1)]
    assert statuses[:2 * CLIENTS_PER_SITE] == [400] * (2 * CLIENTS_PER_SITE)  # CSRF, counted
    assert statuses[-1] == 429
    assert post("2001:db8:8::1") == 400
    assert post("198.51.100.77") == 400


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": "10.1.0.0/16"}])
def test_x2_forwarded_for_counts_only_from_a_trusted_proxy(client: FlaskClient,
                                                           form_limit: int) -> None:
    def post(peer: str, forwarded: str) -> int:
        return client.post("/akses/contoh", data={"name": "x"},
                           environ_base={"REMOTE_ADDR": peer},
                           headers={"X-Forwarded-For": forwarded}).status_code

    # Through the proxy: the client's own address counts, whatever it claims before it.
    for n in range(form_limit):
        post("10.1.0.5", f"192.0.2.{n}, 203.0.113.7")
    assert post("10.1.0.5", "203.0.113.7") == 429
    assert post("10.1.0.5", "203.0.113.8") == 400
    # Straight from the internet: the header is ignored, the peer counts.
    for _ in range(form_limit):
        post("198.51.100.20", "203.0.113.99")
    assert post("198.51.100.20", "203.0.113.100") == 429
    assert post("10.1.0.5", "203.0.113.99") == 400
    # A client inside the trusted networks cannot pick a new address each time: what the
    # nearest proxy wrote counts, not what the client put before it.
    for n in range(form_limit):
        post("10.1.0.5", f"10.9.0.{n}, 10.2.0.1")
    assert post("10.1.0.5", "10.9.0.200, 10.2.0.1") == 429


def test_b2_x2_a_number_gets_its_daily_codes_however_many_ask(app: Flask) -> None:
    """Each self-registration is a new asker with a cap of its own: the number is capped too
    (a paid WhatsApp message each), counted in E.164 however it is typed -- and counted
    only for codes issued: asking without getting one spends nothing of the owner's day."""
    spellings = ["081234567890", "+62 812-3456-7890", "6281234567890", "0812 3456 7890",
                 "+6281234567890"]
    class Issued:
        pass

    def ask(number: str) -> object:
        return send_code_to(number, B2_WHATSAPP, Issued, Issued)

    with app.test_request_context("/"):
        for _ in range(10):  # refused by the asker's own wait
            send_code_to("081234567890", B2_WHATSAPP, lambda: None, Issued)
        for number in spellings:
            ask(number)
        with pytest.raises(TooManyRequests):
            ask("0812-3456-7890")
        ask("081298765432")  # another number: its own count
        ask("not a number")  # left to the form's own refusal
