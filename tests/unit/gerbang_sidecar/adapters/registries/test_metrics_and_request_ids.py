"""Issue 11 item 5: each registry call is counted by outcome with the breaker's state, and it
carries the request id of the page or delivery that made it. X3: neither carries the NIK."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses

from gerbang_sidecar.adapters.metrics.memory import RecordingMetrics
from gerbang_sidecar.adapters.registries.bkn import HttpBkn
from gerbang_sidecar.adapters.registries.message_gateway import HttpMessageGateway
from gerbang_sidecar.adapters.registries.transport import (
    CORRELATION_HEADER,
    HttpPolicy,
    RegistryClient,
    call_outcome,
)
from gerbang_sidecar.domain.registry_results import (
    Accepted,
    Match,
    NoMatch,
    NotFound,
    Unavailable,
)
from gerbang_sidecar.request_ids import REQUEST_ID_HEADER, request_id_scope

BASE = "http://registry.test"
BKN_URL = f"{BASE}/bkn/pegawai/verify"
NIP = "198003152005011003"
NIK = "3174041503800005"
MATCH = {"result": "match", "data": {
    "nip": NIP, "name": "AGUS WIJAYA", "instansi": "Badan Siber dan Sandi Negara",
    "unit_organisasi": "Balai Besar Sertifikasi Elektronik", "jabatan": "Pranata Komputer"}}


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def bkn(policy: HttpPolicy, monotonic_clock: Callable[[], float],
        metrics: RecordingMetrics) -> HttpBkn:
    return HttpBkn(RegistryClient.build("bkn", f"{BASE}/bkn", policy, retry_posts=True,
                                        clock=monotonic_clock, metrics=metrics))


def test_the_request_id_goes_with_each_registry_call(bkn: HttpBkn,
                                                     rsps: responses.RequestsMock) -> None:
    rsps.post(BKN_URL, json=MATCH)
    with request_id_scope("proxy-5e1f00aa"):
        bkn.verify_civil_servant(NIP, NIK)
    bkn.verify_civil_servant(NIP, "3171015203900001")  # outside any request
    first, second = (call.request.headers for call in rsps.calls)
    assert first[REQUEST_ID_HEADER] == "proxy-5e1f00aa"
    assert first[CORRELATION_HEADER] != "proxy-5e1f00aa"  # one per call, as before
    assert REQUEST_ID_HEADER not in second


def test_registry_calls_are_counted_by_outcome_and_breaker_state(
        bkn: HttpBkn, rsps: responses.RequestsMock, metrics: RecordingMetrics) -> None:
    rsps.post(BKN_URL, json=MATCH)
    bkn.verify_civil_servant(NIP, NIK)
    bkn.verify_civil_servant(NIP, NIK)  # from the cache: no call
    assert metrics.count("registry_call", registry="bkn", outcome="match", reason="") == 1
    assert metrics.count("registry_cache_hit", registry="bkn") == 1
    rsps.replace(responses.POST, BKN_URL, status=503)
    for _ in range(3):  # the policy opens the breaker after three failures
        bkn.verify_civil_servant(NIP, "3171015203900001")
    bkn.verify_civil_servant(NIP, "3171015203900001")
    assert metrics.count("registry_call", outcome="unavailable", reason="http_5xx") == 3
    assert metrics.count("registry_call", outcome="unavailable", reason="circuit_open") == 1
    states = [labels["state"] for name, labels in metrics.events if name == "registry_breaker"]
    assert states == ["closed", "closed", "closed", "open", "open"]
    assert NIK not in str(metrics.events) and NIP not in str(metrics.events)


def test_the_message_gateway_counts_accepted_sends(policy: HttpPolicy,
                                                   rsps: responses.RequestsMock,
                                                   metrics: RecordingMetrics) -> None:
    client = RegistryClient.build("message_gateway", f"{BASE}/message_gateway", policy,
                                  retry_posts=False, metrics=metrics)
    rsps.post(f"{BASE}/message_gateway/messages", status=202,
              json={"result": "accepted", "data": {"message_id": "m-1"}})
    HttpMessageGateway(client).send("whatsapp", "+6281234567890", "Kode OTP 123456")
    assert metrics.count("registry_call", registry="message_gateway", operation="send",
                         outcome="accepted") == 1
    assert "6281234567890" not in str(metrics.events)


@pytest.mark.parametrize(("result", "expected"), [
    (Match(object()), ("match", "")),
    (NoMatch(("name",)), ("no_match", "")),
    (NotFound(), ("not_found", "")),
    (Accepted("m-1"), ("accepted", "")),
    (Unavailable("bkn", "timeout"), ("unavailable", "timeout")),
    (Unavailable("bkn", "connection:ConnectTimeout"), ("unavailable", "connection")),
    (Unavailable("bkn", "http_503"), ("unavailable", "http_5xx")),
    (Unavailable("bkn", "http_429"), ("unavailable", "http_4xx")),
    (Unavailable("bkn", "malformed_body"), ("unavailable", "malformed_body")),
    (Unavailable("bkn", "circuit_open"), ("unavailable", "circuit_open")),
])
def test_outcomes_are_a_few_words(result: object, expected: tuple[str, str]) -> None:
    assert call_outcome(result) == expected
