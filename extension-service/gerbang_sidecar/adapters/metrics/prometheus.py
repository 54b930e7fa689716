"""The Metrics port on prometheus-client (issue 11 item 5; names in docs/operations.md).

Every instance keeps its metrics in a registry of its own (tests build many containers in one
process); the web app serves them at ``/metrics`` (``web/observability.py``), the outbox
process on a port of its own (``python -m gerbang_sidecar outbox --metrics-port``).

**Several gunicorn workers.** Each worker is a process with its own counters, and a scrape
reaches one of them. With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory private to
one gunicorn master; ``gerbang_sidecar.gunicorn_config`` empties it at start and forgets
dead workers), prometheus-client writes every value to a file there and ``/metrics``
merges the files of all workers: counters and histograms add up, the breaker state is the
worst of the live workers. Python's process and GC metrics are then left out (the library
cannot merge them).

**The outbox backlog** is read from the database at scrape time
(:class:`OutboxBacklogCollector`), so it is right whichever process answers and whatever
process queued or sent the messages; nothing about it is kept in memory. So are the CA's
certificate dates (:class:`CertificateAuthorityCollector`), which an alert watches.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from cryptography import x509
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from gerbang_sidecar.domain.certificates.service_keys import ServiceKey, renewal_due_at
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.metrics import Scrape
from gerbang_sidecar.ports.storage import Store

log = logging.getLogger(__name__)

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; a page is slow past 1 s, a registry or Keycloak past its 5 s timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


def empty_multiprocess_directory() -> None:
    """Before a server starts its workers: the directory made if missing and emptied, as
    values an earlier run left there would be added to this run's."""
    directory = multiprocess_directory()
    if directory is None:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


class OutboxBacklogCollector:
    """``gerbang_outbox_*``: what the outbox holds unsent, read when scraped."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def describe(self) -> Iterable[Metric]:
        # Registering must not read the database: the names are not checked for clashes.
        return ()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("gerbang_outbox_backlog_up",
                               "1 when this scrape could read the outbox table, else 0.")
        try:
            with self._store.transaction() as tx:
                rows = tx.outbox.backlog()
        except Exception:
            log.warning("metrics: the outbox backlog could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        now = self._clock()
        messages = GaugeMetricFamily(
            "gerbang_outbox_messages",
            "Outbox messages not sent, by status (pending, in_flight, dead) and kind.",
            labels=["status", "kind"])
        oldest = GaugeMetricFamily(
            "gerbang_outbox_oldest_message_age_seconds",
            "Age of the oldest unsent message, by status and kind.", labels=["status", "kind"])
        lag = GaugeMetricFamily(
            "gerbang_outbox_due_lag_seconds",
            "How long the most overdue pending message has been due (0: none is due); "
            "grows when no worker delivers.", labels=["kind"])
        for row in rows:
            messages.add_metric([row.status, row.kind], row.count)
            oldest.add_metric([row.status, row.kind],
                              max(0.0, (now - row.oldest_created_at).total_seconds()))
            if row.status == "pending":
                lag.add_metric([row.kind], max(
                    0.0, (now - row.earliest_next_attempt_at).total_seconds()))
        up.add_metric([], 1)
        yield from (messages, oldest, lag, up)


class CertificateAuthorityCollector:
    """``gerbang_ca_*``: when each certificate of the hierarchy lapses, and when the
    responder's and the TSA's keys are due for renewal (X6, X7), read when scraped. The chore
    renews them weeks ahead; a due date in the past means no outbox process renews them.
    And whether this process opens the CA's keys: a wrong GERBANG_CA_KEK fails only the
    certificate pages of a page sidecar, which stays ready for every other portal."""

    def __init__(self, store: Store, keys_open: Callable[[], bool] | None = None) -> None:
        self._store = store
        self._keys_open = keys_open

    def describe(self) -> Iterable[Metric]:
        return ()  # registering must not read the database

    def collect(self) -> Iterator[Metric]:
        try:
            with self._store.transaction() as tx:
                row = tx.certificates.authority()
                certificates = None if row is None else {
                    "root": bytes(row.root_certificate),
                    "issuing": bytes(row.issuing_certificate),
                    ServiceKey.OCSP_RESPONDER: bytes(row.responder_certificate),
                    ServiceKey.TIMESTAMPING: None if row.tsa_certificate is None
                    else bytes(row.tsa_certificate)}
        except Exception:
            log.warning("metrics: the certificate authority could not be read", exc_info=True)
            return
        if self._keys_open is not None:
            yield GaugeMetricFamily(
                "gerbang_ca_keys_usable",
                "1 when this process opens the CA's keys with its GERBANG_CA_KEK (it can issue, "
                "sign CRLs and answer OCSP); 0 when it cannot, or before ca-init.",
                value=1.0 if certificates is not None and _says_yes(self._keys_open) else 0.0)
        if certificates is None:
            return  # before ca-init
        lapses = GaugeMetricFamily(
            "gerbang_ca_certificate_expiry_timestamp_seconds",
            "When each certificate of the CA hierarchy lapses (Unix time): root, issuing, "
            "ocsp_responder, timestamping.", labels=["certificate"])
        due = GaugeMetricFamily(
            "gerbang_ca_service_key_renewal_due_timestamp_seconds",
            "When the OCSP responder's and the TSA's keys are due for renewal (Unix time).",
            labels=["service"])
        for name, pem in certificates.items():
            if pem is None:
                continue
            certificate = x509.load_pem_x509_certificate(pem)
            lapses.add_metric([str(name)], certificate.not_valid_after_utc.timestamp())
            if isinstance(name, ServiceKey):
                due.add_metric([str(name)], renewal_due_at(
                    certificate.not_valid_before_utc, certificate.not_valid_after_utc
                ).timestamp())
        yield from (lapses, due)


def _says_yes(check: Callable[[], bool]) -> bool:
    """Whatever goes wrong reads as "no": one failing gauge must not cost every other metric
    of the scrape (prometheus-client lets a collector's exception through)."""
    try:
        return check()
    except Exception:
        log.warning("metrics: whether the CA's keys open could not be told", exc_info=True)
        return False


class PrometheusMetrics:
    """The Metrics port, kept by prometheus-client."""

    def __init__(self, store: Store, clock: Clock, *,
                 ca_keys_open: Callable[[], bool] | None = None) -> None:
        directory = multiprocess_directory()
        if directory is not None:
            # prometheus-client writes each value to a file there from the first one on.
            Path(directory).mkdir(parents=True, exist_ok=True)
        self.registry = CollectorRegistry()
        self.outbox_backlog = OutboxBacklogCollector(store, clock)
        r = self.registry
        self._http = Histogram(
            "gerbang_http_request_duration_seconds",
            "Time to answer a request, by Flask route (the URL rule, never the path), "
            "method and status.", ["route", "method", "status"], buckets=LATENCY_BUCKETS,
            registry=r)
        self._registry_calls = Counter(
            "gerbang_registry_calls_total",
            "Calls to a registry by outcome (match, no_match, not_found, accepted, ok, "
            "unavailable) and, when unavailable, the reason.",
            ["registry", "operation", "outcome", "reason"], registry=r)
        self._registry_seconds = Histogram(
            "gerbang_registry_call_duration_seconds",
            "Time a registry call took, retries included.", ["registry", "operation"],
            buckets=LATENCY_BUCKETS, registry=r)
        self._registry_cache = Counter(
            "gerbang_registry_cache_hits_total",
            "Registry answers served from the adapter's short cache instead of a call.",
            ["registry", "operation"], registry=r)
        self._breaker = Gauge(
            "gerbang_registry_breaker_state",
            "Circuit breaker per registry: 0 closed, 1 half-open, 2 open (several workers: "
            "the worst).", ["registry"], multiprocess_mode="livemax", registry=r)
        self._keycloak_calls = Counter(
            "gerbang_keycloak_calls_total",
            "Admin API calls to Keycloak by operation and outcome (ok, unavailable, error).",
            ["operation", "outcome"], registry=r)
        self._keycloak_seconds = Histogram(
            "gerbang_keycloak_call_duration_seconds", "Time an Admin API call took.",
            ["operation"], buckets=LATENCY_BUCKETS, registry=r)
        self._codes_requested = Counter(
            "gerbang_one_time_codes_requested_total",
            "One-time codes asked for, by purpose and outcome (sent, too_early).",
            ["purpose", "outcome"], registry=r)
        self._code_attempts = Counter(
            "gerbang_one_time_code_attempts_total",
            "One-time codes tried, by purpose and outcome (verified, wrong, locked_out, "
            "locked, expired, no_code).", ["purpose", "outcome"], registry=r)
        self._code_lockouts = Counter(
            "gerbang_one_time_code_lockouts_total",
            "Codes locked because their last attempt was used on a wrong code.", ["purpose"],
            registry=r)
        self._certificates = Counter(
            "gerbang_certificate_operations_total",
            "Certificate operations: issued, renewed, revoked, signed, passphrase_failed.",
            ["operation"], registry=r)
        self._deliveries = Counter(
            "gerbang_outbox_deliveries_total",
            "Outbox messages handled, by kind and outcome (sent, retried, dead).",
            ["kind", "outcome"], registry=r)
        self._delivery_seconds = Histogram(
            "gerbang_outbox_delivery_duration_seconds", "Time a handler took, by kind.",
            ["kind"], buckets=LATENCY_BUCKETS, registry=r)
        self.certificate_authority = CertificateAuthorityCollector(store, ca_keys_open)
        r.register(self.outbox_backlog)
        r.register(self.certificate_authority)
        if directory is None:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
            GCCollector(registry=r)

    # ---- the port ------------------------------------------------------------------------

    def http_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self._http.labels(route, method, str(status)).observe(seconds)

    def registry_call(self, *, registry: str, operation: str, outcome: str, reason: str,
                      seconds: float) -> None:
        self._registry_calls.labels(registry, operation, outcome, reason).inc()
        self._registry_seconds.labels(registry, operation).observe(seconds)

    def registry_cache_hit(self, *, registry: str, operation: str) -> None:
        self._registry_cache.labels(registry, operation).inc()

    def registry_breaker(self, *, registry: str, state: str) -> None:
        self._breaker.labels(registry).set(BREAKER_STATES.get(state, 2))

    def keycloak_call(self, *, operation: str, outcome: str, seconds: float) -> None:
        self._keycloak_calls.labels(operation, outcome).inc()
        self._keycloak_seconds.labels(operation).observe(seconds)

    def one_time_code_requested(self, *, purpose: str, outcome: str) -> None:
        self._codes_requested.labels(purpose, outcome).inc()

    def one_time_code_checked(self, *, purpose: str, outcome: str) -> None:
        self._code_attempts.labels(purpose, outcome).inc()
        if outcome == "locked_out":
            self._code_lockouts.labels(purpose).inc()

    def certificate_operation(self, operation: str) -> None:
        self._certificates.labels(operation).inc()

    def outbox_delivery(self, *, kind: str, outcome: str, seconds: float) -> None:
        self._deliveries.labels(kind, outcome).inc()
        self._delivery_seconds.labels(kind).observe(seconds)

    def scrape(self) -> Scrape:
        return Scrape(generate_latest(self._scrape_registry()), CONTENT_TYPE_LATEST)

    # ---- serving ---------------------------------------------------------------------------

    def _scrape_registry(self) -> CollectorRegistry:
        directory = multiprocess_directory()
        if directory is None:
            return self.registry
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=directory)
        merged.register(self.outbox_backlog)
        merged.register(self.certificate_authority)
        return merged

    def serve(self, host: str, port: int) -> Callable[[], None]:
        """This process's metrics on ``host:port`` in a daemon thread (the outbox process:
        one process, so its own values, whatever PROMETHEUS_MULTIPROC_DIR says). Returns
        what stops the server."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

        return stop
