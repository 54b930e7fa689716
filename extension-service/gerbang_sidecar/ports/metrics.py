"""What the sidecar counts for its operators (issue 11 item 5): the Metrics port.

Services and adapters report what happened -- a request served, a registry answered, a code
tried, a certificate issued -- in words of their own; the adapter (``adapters/metrics/``)
decides how it is kept and shown (Prometheus). Nothing reported here may be a personal
identifier (X3): labels are route templates, registry and operation names, outcomes and
purposes, never a typed value, a path with a token in it, or a user id.

:data:`NO_METRICS` is the default of every constructor that takes a ``metrics``, so a test
that does not care builds services as before; ``adapters/metrics/memory.py`` records the
calls for tests that do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Scrape:
    """What ``/metrics`` answers: the body and its content type."""

    body: bytes
    content_type: str


class Metrics(Protocol):
    def http_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        """A request finished; ``route`` is the URL rule (``/akses/daftar/<kind>``), never
        the path itself (paths carry tokens)."""

    def registry_call(self, *, registry: str, operation: str, outcome: str, reason: str,
                      seconds: float) -> None:
        """One call to a registry: ``outcome`` match | no_match | not_found | accepted | ok |
        unavailable, ``reason`` why it was unavailable (timeout, connection, http_5xx,
        circuit_open, ...), else empty."""

    def registry_cache_hit(self, *, registry: str, operation: str) -> None:
        """An answer served from the adapter's cache instead of a call."""

    def registry_breaker(self, *, registry: str, state: str) -> None:
        """The circuit breaker's state after a call: closed | half_open | open."""

    def keycloak_call(self, *, operation: str, outcome: str, seconds: float) -> None:
        """One Admin API call: ``outcome`` ok | unavailable | error."""

    def one_time_code_requested(self, *, purpose: str, outcome: str) -> None:
        """A code asked for: ``outcome`` sent | too_early."""

    def one_time_code_checked(self, *, purpose: str, outcome: str) -> None:
        """A code tried: ``outcome`` verified | wrong | locked_out (this attempt used the
        last one) | locked | expired | no_code."""

    def certificate_operation(self, operation: str) -> None:
        """issued | renewed | revoked | signed | passphrase_failed (issue 12)."""

    def outbox_delivery(self, *, kind: str, outcome: str, seconds: float) -> None:
        """One outbox message handled: ``outcome`` sent | retried | dead."""

    def scrape(self) -> Scrape:
        """Everything kept, for ``/metrics``."""


class NullMetrics:
    """Keeps nothing."""

    def http_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        pass

    def registry_call(self, *, registry: str, operation: str, outcome: str, reason: str,
                      seconds: float) -> None:
        pass

    def registry_cache_hit(self, *, registry: str, operation: str) -> None:
        pass

    def registry_breaker(self, *, registry: str, state: str) -> None:
        pass

    def keycloak_call(self, *, operation: str, outcome: str, seconds: float) -> None:
        pass

    def one_time_code_requested(self, *, purpose: str, outcome: str) -> None:
        pass

    def one_time_code_checked(self, *, purpose: str, outcome: str) -> None:
        pass

    def certificate_operation(self, operation: str) -> None:
        pass

    def outbox_delivery(self, *, kind: str, outcome: str, seconds: float) -> None:
        pass

    def scrape(self) -> Scrape:
        return Scrape(b"", "text/plain; version=0.0.4; charset=utf-8")


NO_METRICS: Metrics = NullMetrics()
