"""Issue 11 item 5: every request has an id (in the logs, the response and the calls to
Keycloak), its time is counted per route, and ``/metrics`` answers the scraper only.
X3: neither the metrics nor the log lines carry a NIK, an email address or a link token."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.logging_setup import configure_logging
from gerbang_sidecar.request_ids import REQUEST_ID_HEADER
from support.metrics_text import requests_counted, samples

NIK = "3171015203900001"
EMAIL = "budi.santoso@example.co.id"
TOKEN = "Qm9keVRva2VuLXNlY3JldC0xMjM0NTY3ODkw"
SCRAPER = {"REMOTE_ADDR": "10.0.3.7"}
log = logging.getLogger("gerbang_sidecar.test.observability")


def scrape(client: FlaskClient) -> str:
    answer = client.get("/metrics", environ_base=SCRAPER)
    assert answer.status_code == 200, answer.status_code
    assert answer.content_type.startswith("text/plain")
    return answer.get_data(as_text=True)


# ---- /metrics ---------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_never_by_path(client: FlaskClient) -> None:
    client.get("/health")
    client.get("/health")
    client.get("/akses/contoh")
    client.get(f"/bsre/aktivasi/t/{TOKEN}")
    client.get(f"/tidak-ada/{NIK}?email={EMAIL}")
    text = scrape(client)
    assert requests_counted(text, "/health", "200") == 2
    assert requests_counted(text, "/akses/contoh", "200") == 1
    link_routes = {dict(labels)["route"] for labels in samples(
        text, "gerbang_http_request_duration_seconds_count")}
    assert any(r.startswith("/bsre/aktivasi/t/<") for r in link_routes), link_routes
    assert requests_counted(text, "<unmatched>", "404") == 1
    buckets = samples(text, "gerbang_http_request_duration_seconds_bucket")
    assert any(dict(k)["route"] == "/health" and dict(k)["le"] == "+Inf" for k in buckets)


def test_x3_metrics_carry_no_identifier_or_token(client: FlaskClient) -> None:
    client.get(f"/bsre/aktivasi/t/{TOKEN}", headers={REQUEST_ID_HEADER: EMAIL})
    client.get(f"/{NIK}/{EMAIL}?nik={NIK}", headers={REQUEST_ID_HEADER: NIK})
    client.open(f"/{NIK}", method="BREW")
    text = scrape(client)
    for secret in (NIK, EMAIL, TOKEN, "budi"):
        assert secret not in text
    methods = {dict(k)["method"] for k in samples(
        text, "gerbang_http_request_duration_seconds_count")}
    assert "BREW" not in methods and "OTHER" in methods


def test_metrics_include_the_outbox_backlog_read_at_scrape_time(
        client: FlaskClient, services: Any) -> None:
    with services.storage.transaction() as tx:
        tx.outbox.enqueue(kind="mail.test", payload={"to": EMAIL}, idempotency_key="k1",
                          now=services.clock())
    services.clock.advance(seconds=90)
    text = scrape(client)
    assert samples(text, "gerbang_outbox_messages") == {
        (("kind", "mail.test"), ("status", "pending")): 1.0}
    assert samples(text, "gerbang_outbox_due_lag_seconds") == {(("kind", "mail.test"),): 90.0}
    assert EMAIL not in text


@pytest.mark.parametrize(("address", "headers"), [
    ("203.0.113.9", {}),  # the internet
    ("2001:db8::7", {}),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # through a proxy, however set up
    ("10.0.0.2", {"Forwarded": "for=203.0.113.9"}),
    ("172.18.0.4", {"X-Real-IP": "203.0.113.9"}),
])
def test_metrics_are_refused_to_anyone_but_the_scraper(
        client: FlaskClient, address: str, headers: dict[str, str]) -> None:
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": address}, headers=headers)
    assert answer.status_code == 404
    assert "gerbang_" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.3.7", "172.18.0.9", "192.168.1.20",
                                     "::1"])
def test_metrics_answer_a_scraper_on_loopback_or_a_private_network(
        client: FlaskClient, address: str) -> None:
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 200
    assert "gerbang_outbox_backlog_up 1.0" in answer.get_data(as_text=True)


@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": "10.0.0.0/8"}])
def test_metrics_behind_a_trusted_proxy_are_refused_to_the_public(client: FlaskClient) -> None:
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                        headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.status_code == 404


# ---- request ids ------------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client: FlaskClient) -> None:
    first = client.get("/health").headers[REQUEST_ID_HEADER]
    second = client.get("/tidak-ada").headers[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_a_sane_incoming_request_id_is_kept(client: FlaskClient) -> None:
    for sent in ("a1b2c3d4e5f6", "6f1c2a9e-4b1d-4c57-9a57-0c2bd7a6e1f0", "edge:req.42_x"):
        answer = client.get("/health", headers={REQUEST_ID_HEADER: sent})
        assert answer.headers[REQUEST_ID_HEADER] == sent


@pytest.mark.parametrize("sent", [NIK, EMAIL, "+6281234567890", "IDD120390482615",
                                  "C7K4P2961", "x" * 129, "has space", "bad\u00e9char", ""])
def test_x3_an_incoming_request_id_that_could_hold_an_identifier_is_replaced(
        client: FlaskClient, sent: str) -> None:
    answer = client.get("/health", headers={REQUEST_ID_HEADER: sent})
    kept = answer.headers[REQUEST_ID_HEADER]
    assert kept != sent and re.fullmatch(r"[0-9a-f]{32}", kept)


def test_x3_log_lines_carry_the_request_id_and_no_identifier(
        app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    @app.get("/_log_probe/<token>")
    def probe(token: str) -> str:
        log.warning("checking %s for %s with %s", NIK, EMAIL, token)
        return "ok"

    configure_logging("INFO")
    capsys.readouterr()
    answer = app.test_client().get(f"/_log_probe/{TOKEN}",
                                   headers={REQUEST_ID_HEADER: "proxy-7f3a9c21"})
    err = capsys.readouterr().err
    ours = [json.loads(line) for line in err.splitlines()
            if line.startswith("{") and "checking" in line]
    assert ours and ours[0]["request_id"] == "proxy-7f3a9c21"
    assert answer.headers[REQUEST_ID_HEADER] == "proxy-7f3a9c21"
    for secret in (NIK, EMAIL):
        assert secret not in err
    # Outside a request, lines have no id.
    log.warning("between requests")
    between = [json.loads(line) for line in capsys.readouterr().err.splitlines()
               if "between requests" in line]
    assert "request_id" not in between[0]


def test_x3_a_refused_request_id_never_reaches_a_log_line(
        app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    @app.get("/_log_probe")
    def probe() -> str:
        log.warning("probe")
        return "ok"

    configure_logging("INFO")
    capsys.readouterr()
    answer = app.test_client().get("/_log_probe", headers={REQUEST_ID_HEADER: NIK})
    err = capsys.readouterr().err
    assert NIK not in err and NIK not in str(answer.headers)
    line = next(json.loads(x) for x in err.splitlines() if '"probe"' in x)
    assert line["request_id"] == answer.headers[REQUEST_ID_HEADER]


def test_the_request_id_travels_to_keycloak(app: Flask) -> None:
    """The page's id goes out on the Admin API call and on the service account's token
    request python-keycloak makes for it."""
    base = "http://keycloak.test"
    users = HttpKeycloakUsers(base, "gerbang-sidecar", "secret")

    @app.get("/_keycloak_probe")
    def probe() -> str:
        found = users.get_user("akses", "u-1")
        return found.username if found else "none"

    user_url = f"{base}/admin/realms/akses/users/u-1"
    with responses.RequestsMock() as rsps:
        rsps.get(user_url, status=401)  # no token yet: python-keycloak fetches one
        rsps.post(f"{base}/realms/akses/protocol/openid-connect/token",
                  json={"access_token": "t", "expires_in": 300, "token_type": "Bearer",
                        "refresh_expires_in": 0})
        rsps.get(user_url, json={"id": "u-1", "username": "budi", "enabled": True})
        answer = app.test_client().get("/_keycloak_probe",
                                       headers={REQUEST_ID_HEADER: "proxy-1234abcd"})
        assert answer.get_data(as_text=True) == "budi"
        sent = [(c.request.method, c.request.url.split("?")[0],
                 c.request.headers.get(REQUEST_ID_HEADER)) for c in rsps.calls]
    assert {request_id for _m, _u, request_id in sent} == {"proxy-1234abcd"}, sent
    assert {url.rsplit("/", 1)[-1] for _m, url, _id in sent} == {"token", "u-1"}
