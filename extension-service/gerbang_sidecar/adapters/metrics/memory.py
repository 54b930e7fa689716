"""The Metrics port kept in a list, for tests that check what a service reported."""

from __future__ import annotations

import threading
from typing import Any

from gerbang_sidecar.ports.metrics import Scrape


class RecordingMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[tuple[str, dict[str, Any]]] = []

    def _record(self, name: str, **labels: Any) -> None:
        labels.pop("seconds", None)  # durations vary; tests look at what happened
        with self._lock:
            self.events.append((name, labels))

    def count(self, name: str, **labels: Any) -> int:
        """How many ``name`` events carried at least these labels."""
        with self._lock:
            return sum(1 for event, seen in self.events
                       if event == name and all(seen.get(k) == v for k, v in labels.items()))

    def http_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self._record("http_request", route=route, method=method, status=status)

    def registry_call(self, *, registry: str, operation: str, outcome: str, reason: str,
                      seconds: float) -> None:
        self._record("registry_call", registry=registry, operation=operation, outcome=outcome,
                     reason=reason)

    def registry_cache_hit(self, *, registry: str, operation: str) -> None:
        self._record("registry_cache_hit", registry=registry, operation=operation)

    def registry_breaker(self, *, registry: str, state: str) -> None:
        self._record("registry_breaker", registry=registry, state=state)

    def keycloak_call(self, *, operation: str, outcome: str, seconds: float) -> None:
        self._record("keycloak_call", operation=operation, outcome=outcome)

    def one_time_code_requested(self, *, purpose: str, outcome: str) -> None:
        self._record("one_time_code_requested", purpose=purpose, outcome=outcome)

    def one_time_code_checked(self, *, purpose: str, outcome: str) -> None:
        self._record("one_time_code_checked", purpose=purpose, outcome=outcome)

    def certificate_operation(self, operation: str) -> None:
        self._record("certificate_operation", operation=operation)

    def outbox_delivery(self, *, kind: str, outcome: str, seconds: float) -> None:
        self._record("outbox_delivery", kind=kind, outcome=outcome)

    def scrape(self) -> Scrape:
        with self._lock:
            lines = [f"{name} {sorted(labels.items())}" for name, labels in self.events]
        return Scrape("\n".join(lines).encode(), "text/plain; charset=utf-8")
