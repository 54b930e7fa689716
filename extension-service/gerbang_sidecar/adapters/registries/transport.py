"""HTTP plumbing shared by every registry adapter.

One :class:`RegistryClient` per registry owns a ``requests`` session (timeouts, urllib3
retries), a circuit breaker and a cache of positive answers. It turns every failure —
timeout, refused connection, 5xx, malformed body, open breaker — into
:class:`~gerbang_sidecar.domain.registry_results.Unavailable`, so nothing a registry does
can raise into a page.

Personal identifiers travel only in JSON request bodies, never in URLs: URLs end up in
urllib3's retry warnings, in proxies' and registries' access logs. Our own logs name the
registry, the operation, the status and a correlation id we also send as a header, beside the
request id of the page or outbox delivery that made the call (``X-Request-ID``).

Each call is reported to the Metrics port: registry, operation, outcome (and why it was
unavailable), time taken, and the breaker's state after it (issue 11 item 5).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from gerbang_sidecar.adapters.http_environment import read_environment_once
from gerbang_sidecar.domain.registry_results import (
    Accepted,
    Match,
    NoMatch,
    NotFound,
    RegistryResult,
    Unavailable,
)
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.request_ids import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger(__name__)

Clock = Callable[[], float]
R = TypeVar("R")
T = TypeVar("T")
X = TypeVar("X")

CORRELATION_HEADER = "X-Correlation-ID"


class MalformedReply(Exception):
    """The registry answered, but not in the shape its contract promises."""


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    # Retries cover refused/timed-out connects and 502/503/504; never read timeouts,
    # because a registry that is already slow only gets slower when asked again. A retry
    # starts only within read_timeout of the call's start (CallDeadlineRetry), so a registry
    # that answers 503 slowly holds a page for about two read timeouts, not three.
    retries: int = 2
    backoff_factor: float = 0.2
    backoff_max: float = 2.0
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
    cache_ttl: float = 60.0
    cache_size: int = 1024

    @classmethod
    def from_timeout(cls, seconds: float) -> HttpPolicy:
        """The policy for one overall registry timeout setting (REGISTRY_TIMEOUT_SECONDS)."""
        return cls(connect_timeout=min(seconds, cls.connect_timeout), read_timeout=seconds)


# When the call being made may no longer start a retry (time.monotonic()); per thread and
# per call, while the Retry object is shared by every call of a session.
_RETRIES_UNTIL: ContextVar[float | None] = ContextVar("registry_retries_until", default=None)


class CallDeadlineRetry(Retry):
    """urllib3's Retry, but no new attempt once the call has used up its retry window."""

    def increment(self, method: str | None = None, url: str | None = None,
                  response: BaseHTTPResponse | None = None, error: Exception | None = None,
                  _pool: ConnectionPool | None = None,
                  _stacktrace: TracebackType | None = None) -> CallDeadlineRetry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        until = _RETRIES_UNTIL.get()
        if until is not None and time.monotonic() >= until:
            # What urllib3 does when the counts run out: the last 5xx is returned
            # (raise_on_status=False), a connection error raised.
            reason = error or ResponseError("no time left to retry")
            raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]
        return retry


def build_session(policy: HttpPolicy, base_url: str, *, retry_posts: bool) -> requests.Session:
    """A session whose retries apply only to calls without side effects.

    Registry lookups are read-only queries sent as POST (to keep identifiers out of URLs),
    so their sessions retry POST; the message gateway's must not, or a code could go out
    twice. Connect failures are retried for any method: the request never left.
    """
    methods = frozenset({"GET", "HEAD", "POST"} if retry_posts else {"GET", "HEAD"})
    retry = CallDeadlineRetry(
        total=policy.retries,
        connect=policy.retries,
        read=False,
        status=policy.retries,
        other=0,
        allowed_methods=methods,
        status_forcelist=(502, 503, 504),
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        # A registry's Retry-After could hold a page for minutes; our backoff is bounded.
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return read_environment_once(session, base_url)


class CircuitBreaker:
    """Stops calling a registry after ``failures`` consecutive failures.

    After ``cooldown`` seconds one trial call is let through (half-open): its success
    closes the breaker, its failure opens it for another cool-down.
    """

    def __init__(self, failures: int, cooldown: float, clock: Clock = time.monotonic) -> None:
        self._threshold = failures
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._clock() - self._opened_at >= self._cooldown:
                return "half_open"
            return "open"

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial_running or self._clock() - self._opened_at < self._cooldown:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial_running = False

    def record_neutral(self) -> None:
        """An answer that says nothing of the registry's health (our input refused): the
        count stays; a half-open trial that got it has still heard the registry answer."""
        with self._lock:
            if self._trial_running:
                self._consecutive = 0
                self._opened_at = None
                self._trial_running = False

    def record_failure(self) -> bool:
        """Count a failure; True when this one opened (or re-opened) the breaker."""
        with self._lock:
            self._consecutive += 1
            reopened = self._trial_running
            self._trial_running = False
            if reopened or self._consecutive >= self._threshold:
                was_closed = self._opened_at is None
                self._opened_at = self._clock()
                return was_closed or reopened
            return False


class TtlCache:
    """A small, bounded, thread-safe cache. Keys are hashed so no identifier sits in it
    in the clear; values are whatever the caller decided is safe to keep briefly."""

    def __init__(self, ttl: float, max_entries: int, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()

    @staticmethod
    def key(*parts: object) -> str:
        raw = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str) -> object | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self._clock() >= expires:
                del self._entries[key]
                return None
            return value

    def put(self, key: str, value: object) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


Parser = Callable[[int, Mapping[str, Any]], R]

# Statuses whose bodies carry a contract answer; anything else is an outage.
_ANSWER_STATUSES = frozenset({200, 201, 202, 404})
# A registry's answer is a small JSON object: anything bigger is not one, and reading it
# whole would let a broken or hostile registry fill a worker's memory.
MAX_REPLY_BYTES = 64 * 1024


class RegistryClient:
    def __init__(self, registry: str, base_url: str, session: requests.Session,
                 policy: HttpPolicy, *, breaker: CircuitBreaker, cache: TtlCache,
                 metrics: Metrics = NO_METRICS) -> None:
        self.registry = registry
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker
        self._session = session
        self._policy = policy
        self._cache = cache
        self._metrics = metrics

    @classmethod
    def build(cls, registry: str, base_url: str, policy: HttpPolicy, *, retry_posts: bool,
              session: requests.Session | None = None,
              clock: Clock = time.monotonic, metrics: Metrics = NO_METRICS) -> RegistryClient:
        return cls(
            registry, base_url,
            session or build_session(policy, base_url, retry_posts=retry_posts),
            policy,
            breaker=CircuitBreaker(policy.breaker_failures, policy.breaker_cooldown, clock),
            cache=TtlCache(policy.cache_ttl, policy.cache_size, clock),
            metrics=metrics,
        )

    def post(self, operation: str, path: str, body: Mapping[str, object],
             parse: Parser[R], *, cacheable: bool = False,
             headers: Mapping[str, str] | None = None) -> R | Unavailable:
        """POST ``body`` as JSON and parse the answer; never raises for registry trouble.

        Only :class:`Match` answers of ``cacheable`` calls are cached: a "not found" or an
        outage must not stick once the registry has been corrected or has recovered.
        """
        key = TtlCache.key(self.registry, path, body) if cacheable else None
        if key is not None:
            cached = self._cache.get(key)
            if cached is not None:
                self._metrics.registry_cache_hit(registry=self.registry, operation=operation)
                return cached  # type: ignore[return-value]
        if not self.breaker.allow():
            log.warning("registry=%s op=%s unavailable reason=circuit_open",
                        self.registry, operation)
            refused = Unavailable(self.registry, "circuit_open")
            self._report(operation, refused, 0.0)
            return refused
        correlation = uuid.uuid4().hex
        started = time.monotonic()
        try:
            result, healthy = self._exchange(path, body, parse, correlation, headers or {})
        except Exception:
            # Whatever the answer did to the parser, the breaker must hear about it, or a
            # half-open trial would stay "running" and the registry closed for good.
            log.exception("registry=%s op=%s unexpected failure correlation=%s",
                          self.registry, operation, correlation)
            result, healthy = Unavailable(self.registry, "malformed_body"), False
        if healthy is None:
            self.breaker.record_neutral()
        elif healthy:
            self.breaker.record_success()
        elif self.breaker.record_failure():
            log.warning("registry=%s circuit opened", self.registry)
        if isinstance(result, Unavailable):
            log.warning("registry=%s op=%s unavailable reason=%s correlation=%s",
                        self.registry, operation, result.reason, correlation)
        elif key is not None and isinstance(result, Match):
            self._cache.put(key, result)
        self._report(operation, result, time.monotonic() - started)
        return result

    def _report(self, operation: str, result: object, seconds: float) -> None:
        outcome, reason = call_outcome(result)
        self._metrics.registry_call(registry=self.registry, operation=operation,
                                    outcome=outcome, reason=reason, seconds=seconds)
        self._metrics.registry_breaker(registry=self.registry, state=self.breaker.state)

    def _exchange(self, path: str, body: Mapping[str, object], parse: Parser[R],
                  correlation: str, headers: Mapping[str, str],
                  ) -> tuple[R | Unavailable, bool | None]:
        """One call; the flag says whether the registry behaved (for the breaker), None
        when the answer says nothing about its health (our input refused)."""
        started = time.monotonic()
        request_id = current_request_id()
        window = _RETRIES_UNTIL.set(started + self._policy.read_timeout)
        try:
            response = self._session.post(
                self.base_url + path,
                json=body,
                headers={CORRELATION_HEADER: correlation, "Accept-Encoding": "identity",
                         **({REQUEST_ID_HEADER: request_id} if request_id else {}), **headers},
                timeout=(self._policy.connect_timeout, self._policy.read_timeout),
                # A redirect would send the identifiers in the body on to wherever it points.
                allow_redirects=False, stream=True,
            )
        except requests.Timeout:
            return Unavailable(self.registry, "timeout"), False
        except requests.RequestException as exc:
            # The class name only: requests' messages quote URLs and sometimes bodies.
            return Unavailable(self.registry, f"connection:{type(exc).__name__}"), False
        finally:
            _RETRIES_UNTIL.reset(window)
        with response:
            status = response.status_code
            log.debug("registry=%s status=%s correlation=%s ms=%d", self.registry, status,
                      correlation, (time.monotonic() - started) * 1000)
            if status not in _ANSWER_STATUSES:
                return Unavailable(self.registry, f"http_{status}"), _health_of(status)
            # From the moment the answer starts: connecting and retried 5xx are bounded
            # by their own timeouts and backoff.
            raw = self._read(response, time.monotonic() + self._policy.read_timeout)
        if isinstance(raw, Unavailable):
            return raw, False
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise MalformedReply("body is not a JSON object")
            return parse(status, payload), True
        except (ValueError, MalformedReply):
            return Unavailable(self.registry, "malformed_body"), False

    def _read(self, response: requests.Response, deadline: float) -> bytes | Unavailable:
        """The body, if it is small and comes in time: the read timeout bounds each wait
        for bytes, not a registry that drips them."""
        try:
            declared = int(response.headers.get("Content-Length", ""))
        except ValueError:
            declared = 0  # absent or not a number: counted as it comes
        if declared > MAX_REPLY_BYTES:
            return Unavailable(self.registry, "too_large")
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(8192):
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    return Unavailable(self.registry, "too_large")
                if time.monotonic() > deadline:
                    return Unavailable(self.registry, "timeout")
                chunks.append(chunk)
        except requests.RequestException:
            return Unavailable(self.registry, "timeout")
        return b"".join(chunks)

    def is_reachable(self) -> bool:
        """True when the registry's health endpoint answers 200 (for our health page)."""
        try:
            response = self._session.get(
                self.base_url + "/health",
                timeout=(self._policy.connect_timeout, self._policy.connect_timeout),
            )
        except requests.RequestException:
            return False
        return response.status_code == 200


def call_outcome(result: object) -> tuple[str, str]:
    """(outcome, reason) for the metrics: few values, never anything from the answer."""
    if isinstance(result, Unavailable):
        reason = result.reason
        if reason.startswith("connection:"):
            reason = "connection"
        elif reason.startswith("http_") and reason[5:].isdigit():
            reason = f"http_{reason[5]}xx"
        return "unavailable", reason
    for kind, outcome in ((Match, "match"), (NoMatch, "no_match"), (NotFound, "not_found"),
                          (Accepted, "accepted")):
        if isinstance(result, kind):
            return outcome, ""
    return "ok", ""


def field(payload: Mapping[str, Any], name: str, kind: type[X]) -> X:
    """``payload[name]`` checked against ``kind``; a registry's JSON is untrusted input."""
    value = payload.get(name)
    # bool is an int subclass; a registry sending true for a score is still malformed.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise MalformedReply(f"field {name!r} missing or not {kind.__name__}")
    return value


def number(payload: Mapping[str, Any], name: str) -> float:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedReply(f"field {name!r} missing or not a number")
    return float(value)


def strings(payload: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = field(payload, name, list)
    if not all(isinstance(v, str) for v in values):
        raise MalformedReply(f"field {name!r} is not a list of strings")
    return tuple(values)


def lookup_parser(build: Callable[[Mapping[str, Any]], T]) -> Parser[RegistryResult[T]]:
    """The answer shape every registry lookup shares (see docs/registries.md).

    A 404 counts as "not found" only with its JSON body: a bare 404 is a wrong base URL.
    """
    def parse(status: int, payload: Mapping[str, Any]) -> RegistryResult[T]:
        result = field(payload, "result", str)
        if status == 404 and result == "not_found":
            return NotFound()
        if status == 200 and result == "match":
            return Match(build(field(payload, "data", dict)))
        if status == 200 and result == "no_match":
            return NoMatch(strings(payload, "mismatched"))
        raise MalformedReply(f"unexpected result {result!r} with status {status}")

    return parse


def _health_of(status: int) -> bool | None:
    """What a status outside the contract says of the registry: 5xx, 429 and any 3xx
    (we follow no redirects) are failures; a refused credential (401, 403) is too -- it
    will not pass by itself; other 4xx refuse our input and say nothing either way, or
    one bad input could open the breaker for everyone (or close it)."""
    if 400 <= status < 500 and status not in (401, 403, 429):
        return None
    return False
