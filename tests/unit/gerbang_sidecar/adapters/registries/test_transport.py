"""Shared plumbing: circuit breaker, positive-only cache, retries only where safe."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
import requests
import responses

from gerbang_sidecar.adapters.registries.bkn import HttpBkn
from gerbang_sidecar.adapters.registries.message_gateway import HttpMessageGateway
from gerbang_sidecar.adapters.registries.transport import (
    MAX_REPLY_BYTES,
    CircuitBreaker,
    HttpPolicy,
    RegistryClient,
    TtlCache,
)
from gerbang_sidecar.domain.registry_results import Accepted, Match, NotFound, Unavailable

BASE = "http://registry.test"
ClientFactory = Callable[..., RegistryClient]
NIP = "198003152005011003"
NIK = "3174041503800005"
BKN_URL = f"{BASE}/bkn/pegawai/verify"
SERVANT = {"nip": NIP, "name": "AGUS WIJAYA", "instansi": "Badan Siber dan Sandi Negara",
           "unit_organisasi": "Balai Besar Sertifikasi Elektronik",
           "jabatan": "Pranata Komputer Ahli Muda"}
MATCH = {"result": "match", "data": SERVANT}


def test_breaker_opens_after_consecutive_failures_and_half_opens(
        monotonic_clock: Callable[[], float]) -> None:
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=monotonic_clock)
    assert breaker.allow()
    assert breaker.record_failure() is False
    assert breaker.record_failure() is True
    assert breaker.state == "open" and not breaker.allow()
    monotonic_clock.now += 10  # type: ignore[attr-defined]
    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow(), "only one trial call while half-open"
    assert breaker.record_failure() is True
    assert breaker.state == "open"
    monotonic_clock.now += 10  # type: ignore[attr-defined]
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_success_resets_the_count(monotonic_clock: Callable[[], float]) -> None:
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=monotonic_clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_b3_registry_breaker_opens_and_recovers(make_client: ClientFactory,
                                                rsps: responses.RequestsMock,
                                                monotonic_clock) -> None:
    bkn = HttpBkn(make_client("bkn"))  # opens after 3 failures, 30 s cool-down
    failing = rsps.post(BKN_URL, status=503)
    for _ in range(3):
        assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "http_503")
    assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "circuit_open")
    assert failing.call_count == 3, "an open breaker does not call the registry"
    monotonic_clock.now += 30
    rsps.replace(responses.POST, BKN_URL, json=MATCH)
    assert isinstance(bkn.verify_civil_servant(NIP, NIK), Match)
    rsps.replace(responses.POST, BKN_URL, status=404, json={"result": "not_found"})
    assert bkn.verify_civil_servant("199001012015011001", NIK) == NotFound()


def test_refused_input_does_not_open_the_breaker(make_client: ClientFactory,
                                                 rsps: responses.RequestsMock) -> None:
    bkn = HttpBkn(make_client("bkn"))
    rsps.post(BKN_URL, status=400, json={"error": "invalid_nip"})
    for _ in range(5):
        assert bkn.verify_civil_servant("1", NIK) == Unavailable("bkn", "http_400")
    assert len(rsps.calls) == 5


def test_cache_serves_positive_answers_only(make_client: ClientFactory,
                                            rsps: responses.RequestsMock, monotonic_clock) -> None:
    bkn = HttpBkn(make_client("bkn"))
    hit = rsps.post(BKN_URL, json=MATCH)
    first = bkn.verify_civil_servant(NIP, NIK)
    assert bkn.verify_civil_servant(NIP, NIK) == first
    assert hit.call_count == 1
    assert isinstance(bkn.verify_civil_servant(NIP, "3171015203900001"), Match)
    assert hit.call_count == 2, "another NIK is another question"
    monotonic_clock.now += 61
    bkn.verify_civil_servant(NIP, NIK)
    assert hit.call_count == 3, "entries expire"


@pytest.mark.parametrize(("status", "body"), [
    (404, {"result": "not_found"}),
    (200, {"result": "no_match", "mismatched": ["nik"]}),
    (503, {}),
])
def test_cache_never_keeps_negative_answers(status: int, body: dict, make_client: ClientFactory,
                                            rsps: responses.RequestsMock) -> None:
    bkn = HttpBkn(make_client("bkn"))
    rsps.post(BKN_URL, status=status, json=body)
    bkn.verify_civil_servant(NIP, NIK)
    bkn.verify_civil_servant(NIP, NIK)
    assert len(rsps.calls) == 2


def test_ttl_cache_is_bounded(monotonic_clock: Callable[[], float]) -> None:
    cache = TtlCache(ttl=60, max_entries=2, clock=monotonic_clock)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") is None and cache.get("c") == "C"


def test_ttl_cache_keys_hold_no_identifier() -> None:
    assert NIK not in TtlCache.key("bkn", "/pegawai/verify", {"nik": NIK})


def test_safe_lookups_are_retried_on_5xx(make_client: ClientFactory, policy: HttpPolicy,
                                         ordered_rsps: responses.RequestsMock) -> None:
    bkn = HttpBkn(make_client("bkn", policy_=replace(policy, retries=2)))
    ordered_rsps.post(BKN_URL, status=503)
    ordered_rsps.post(BKN_URL, status=502)
    ordered_rsps.post(BKN_URL, json=MATCH)
    assert isinstance(bkn.verify_civil_servant(NIP, NIK), Match)
    assert len(ordered_rsps.calls) == 3


def test_b2_message_send_is_never_retried(make_client: ClientFactory, policy: HttpPolicy,
                                          rsps: responses.RequestsMock) -> None:
    client = make_client("message_gateway", retry_posts=False,
                         policy_=replace(policy, retries=2))
    rsps.post(f"{BASE}/message_gateway/messages", status=503)
    result = HttpMessageGateway(client).send("whatsapp", "+6281234567890", "Kode OTP 123456")
    assert result == Unavailable("message_gateway", "http_503")
    assert len(rsps.calls) == 1, "a retried send could deliver the code twice"


def test_b2_message_send_accepted_with_idempotency_key(make_client: ClientFactory,
                                                       rsps: responses.RequestsMock) -> None:
    client = make_client("message_gateway", retry_posts=False)
    rsps.post(f"{BASE}/message_gateway/messages", status=202,
              json={"result": "accepted", "data": {"message_id": "m-1"}},
              match=[responses.matchers.header_matcher({"Idempotency-Key": "outbox-7"})])
    result = HttpMessageGateway(client).send("sms", "+6281234567890", "Kode 123456",
                                             idempotency_key="outbox-7")
    assert result == Accepted("m-1")


@pytest.mark.parametrize(("status", "body"), [
    (200, '{"result": "queued", "data": {"message_id": "m-1"}}'),
    (202, '{"result": "accepted"}'),
    (202, "accepted"),
])
def test_message_gateway_malformed_answer_is_unavailable(status: int, body: str,
                                                         make_client: ClientFactory,
                                                         rsps: responses.RequestsMock) -> None:
    client = make_client("message_gateway", retry_posts=False)
    rsps.post(f"{BASE}/message_gateway/messages", status=status, body=body)
    result = HttpMessageGateway(client).send("sms", "+6281234567890", "x")
    assert result == Unavailable("message_gateway", "malformed_body")


def test_message_gateway_rejects_unknown_channel(make_client: ClientFactory) -> None:
    gateway = HttpMessageGateway(make_client("message_gateway", retry_posts=False))
    with pytest.raises(ValueError, match="channel"):
        gateway.send("telegram", "+6281234567890", "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(("answer", "reachable"), [
    ({"status": 200}, True),
    ({"status": 503}, False),
    ({"body": responses.ConnectionError("refused")}, False),
])
def test_is_reachable(answer: dict, reachable: bool, make_client: ClientFactory,
                      rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/bkn/health", **answer)
    assert HttpBkn(make_client("bkn")).is_reachable() is reachable


def test_policy_from_timeout_keeps_connect_short() -> None:
    assert HttpPolicy.from_timeout(5.0).connect_timeout == 2.0
    assert HttpPolicy.from_timeout(0.5) == replace(HttpPolicy(), connect_timeout=0.5,
                                                   read_timeout=0.5)


def test_b3_unexpected_parser_failure_counts_and_breaker_recovers(
        make_client: ClientFactory, rsps: responses.RequestsMock, monotonic_clock) -> None:
    """A body that breaks the parser in an unforeseen way is an outage, not a stuck breaker."""
    bkn = HttpBkn(make_client("bkn"))
    deep = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError on this
    rsps.post(BKN_URL, body=deep, content_type="application/json")
    for _ in range(3):
        assert isinstance(bkn.verify_civil_servant(NIP, NIK), Unavailable)
    monotonic_clock.now += 30
    rsps.replace(responses.POST, BKN_URL, body=deep, content_type="application/json")
    assert isinstance(bkn.verify_civil_servant(NIP, NIK), Unavailable)  # the half-open trial
    monotonic_clock.now += 30
    rsps.replace(responses.POST, BKN_URL, json=MATCH)
    assert isinstance(bkn.verify_civil_servant(NIP, NIK), Match)


def test_x3_a_redirect_is_not_followed_with_the_identifiers(
        make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    """A 307/308 would send the body (the NIK) on to wherever it points."""
    bkn = HttpBkn(make_client("bkn"))
    rsps.post(BKN_URL, status=307, headers={"Location": "http://elsewhere.test/steal"})
    elsewhere = rsps.post("http://elsewhere.test/steal", json=MATCH)
    assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "http_307")
    assert elsewhere.call_count == 0


@pytest.mark.parametrize("declared", [True, False])
def test_b3_an_oversized_answer_is_refused_unread(
        make_client: ClientFactory, rsps: responses.RequestsMock, declared: bool) -> None:
    big = {"result": "match", "data": {**SERVANT, "pad": "x" * (MAX_REPLY_BYTES + 1)}}
    bkn = HttpBkn(make_client("bkn"))
    rsps.post(BKN_URL, json=big, auto_calculate_content_length=declared)
    assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "too_large")


class SteppedClock:
    """transport's time.monotonic: still unless a test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_b3_a_registry_that_drips_its_answer_runs_into_the_deadline(
        monkeypatch: pytest.MonkeyPatch, make_client: ClientFactory,
        rsps: responses.RequestsMock) -> None:
    """The read timeout bounds each wait for bytes; the whole answer has one deadline."""
    clock = SteppedClock()
    monkeypatch.setattr("gerbang_sidecar.adapters.registries.transport.time.monotonic", clock)

    def drip(_response, _chunk_size=1, _decode_unicode=False):  # type: ignore[no-untyped-def]
        for byte in json.dumps(MATCH).encode():
            clock.now += 0.1  # each byte a tenth of a second after the last
            yield bytes([byte])
    monkeypatch.setattr(requests.Response, "iter_content", drip)
    bkn = HttpBkn(make_client("bkn"))  # read timeout 0.5 s
    rsps.post(BKN_URL, json=MATCH)
    assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "timeout")


def test_b3_the_answer_deadline_starts_when_the_answer_does(
        monkeypatch: pytest.MonkeyPatch, make_client: ClientFactory,
        rsps: responses.RequestsMock) -> None:
    """Time spent before the answer (connecting, a retried 503 and its backoff) has its own
    bounds: a registry that answers promptly after it is not cut off."""
    clock = SteppedClock()
    monkeypatch.setattr("gerbang_sidecar.adapters.registries.transport.time.monotonic", clock)

    def slow_to_start(_request):  # type: ignore[no-untyped-def]
        clock.now += 10.0  # far past one read timeout before the answer begins
        return 200, {}, json.dumps(MATCH)
    bkn = HttpBkn(make_client("bkn"))
    rsps.add_callback(responses.POST, BKN_URL, callback=slow_to_start)
    assert isinstance(bkn.verify_civil_servant(NIP, NIK), Match)


def test_b3_a_slow_503_is_not_retried_past_the_calls_window(
        monkeypatch: pytest.MonkeyPatch, make_client: ClientFactory, policy: HttpPolicy,
        ordered_rsps: responses.RequestsMock) -> None:
    """A retry starts only within one read timeout of the call: a registry that takes
    that long to say 503 is not asked twice more (B3: the page hears of the outage)."""
    clock = SteppedClock()
    monkeypatch.setattr("gerbang_sidecar.adapters.registries.transport.time.monotonic", clock)

    def slow_503(_request):  # type: ignore[no-untyped-def]
        clock.now += policy.read_timeout
        return 503, {}, ""
    bkn = HttpBkn(make_client("bkn", policy_=replace(policy, retries=2)))
    ordered_rsps.add_callback(responses.POST, BKN_URL, callback=slow_503)
    assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "http_503")
    assert len(ordered_rsps.calls) == 1


def test_b3_a_quick_503_is_retried_within_the_window(
        monkeypatch: pytest.MonkeyPatch, make_client: ClientFactory, policy: HttpPolicy,
        ordered_rsps: responses.RequestsMock) -> None:
    clock = SteppedClock()
    monkeypatch.setattr("gerbang_sidecar.adapters.registries.transport.time.monotonic", clock)

    def quick_503(_request):  # type: ignore[no-untyped-def]
        clock.now += policy.read_timeout / 4
        return 503, {}, ""
    bkn = HttpBkn(make_client("bkn", policy_=replace(policy, retries=2)))
    ordered_rsps.add_callback(responses.POST, BKN_URL, callback=quick_503)
    ordered_rsps.post(BKN_URL, json=MATCH)
    assert isinstance(bkn.verify_civil_servant(NIP, NIK), Match)
    assert len(ordered_rsps.calls) == 2


def test_b3_refused_input_neither_opens_nor_closes_the_breaker(
        make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    """Failures between refusals still add up; a 401/403 (a credential gone bad) counts."""
    bkn = HttpBkn(make_client("bkn"))  # opens after 3 failures
    rsps.post(BKN_URL, status=503)
    bkn.verify_civil_servant(NIP, NIK)
    rsps.replace(responses.POST, BKN_URL, status=400, json={"error": "invalid_nip"})
    bkn.verify_civil_servant("1", NIK)
    rsps.replace(responses.POST, BKN_URL, status=403)
    bkn.verify_civil_servant(NIP, NIK)
    rsps.replace(responses.POST, BKN_URL, status=502)
    bkn.verify_civil_servant(NIP, NIK)
    assert bkn.verify_civil_servant(NIP, NIK) == Unavailable("bkn", "circuit_open")


def test_b3_breaker_half_open_trial_answered_with_a_refusal_closes_it(
        monotonic_clock: Callable[[], float]) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=monotonic_clock)
    breaker.record_failure()
    monotonic_clock.now += 10  # type: ignore[attr-defined]
    assert breaker.allow()
    breaker.record_neutral()  # the registry answered, if only to refuse our input
    assert breaker.state == "closed" and breaker.allow()


@pytest.mark.parametrize("status", [200, 201])
def test_b2_a_gateway_that_says_sent_with_another_2xx_has_sent(
        make_client: ClientFactory, rsps: responses.RequestsMock, status: int) -> None:
    """Calling it an outage would have the outbox send the code again."""
    gateway = HttpMessageGateway(make_client("message_gateway", retry_posts=False))
    rsps.post(f"{BASE}/message_gateway/messages", status=status,
              json={"result": "accepted", "data": {"message_id": "m-1"}})
    assert gateway.send("whatsapp", "+6281234567801", "Kode: 123456") == Accepted("m-1")
