"""Readiness: whether the sidecar's database and outside systems answer -- cheaply.

Every probe runs in a thread of its own with a deadline, at most one at a time per system,
and its answer is kept for ``max_age``: however often the endpoint is asked and however long
a registry hangs, a request waits at most ``deadline`` and the systems see at most one probe
per ``max_age``. A probe still running past its deadline reports ``timeout``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

log = logging.getLogger(__name__)

Probe = Callable[[], bool]
# The one system a sidecar process cannot serve without; the others only degrade it.
DATABASE_PROBE = "database"
# The CA's keys open with this process's GERBANG_CA_KEK: essential to the OCSP process only;
# the page sidecar without it serves every portal but BSrE's certificate pages (degraded).
CA_PROBE = "certificate_authority"


@dataclass(frozen=True)
class Readiness:
    checks: Mapping[str, str]  # system -> up | down | timeout
    # Without these the process cannot serve at all; the others only degrade it.
    essential: tuple[str, ...] = (DATABASE_PROBE,)

    @property
    def ready(self) -> bool:
        """The process serves when its essential probes are up (the database; for the OCSP
        process its CA too); outside systems only degrade it."""
        return all(self.checks.get(name, "up") == "up" for name in self.essential)

    @property
    def status(self) -> str:
        if all(v == "up" for v in self.checks.values()):
            return "up"
        return "degraded" if self.ready else "down"


class ReadinessChecks:
    def __init__(self, probes: Mapping[str, Probe], *, deadline: float = 2.0,
                 max_age: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 essential: tuple[str, ...] = (DATABASE_PROBE,)) -> None:
        self._probes = dict(probes)
        self._essential = essential
        self._deadline = deadline
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, str]] = {}
        self._running: dict[str, Future[bool]] = {}
        self._pool = ThreadPoolExecutor(max(1, len(self._probes)),
                                        thread_name_prefix="readiness")

    def check(self) -> Readiness:
        now = self._clock()
        with self._lock:
            due = {name: self._running.get(name) or self._pool.submit(self._run, name, probe)
                   for name, probe in self._probes.items()
                   if name not in self._answers or now - self._answers[name][0] >= self._max_age}
            self._running.update(due)
        if due:
            wait(due.values(), timeout=self._deadline)
        checks = {}
        with self._lock:
            for name in self._probes:
                future = due.get(name)
                if future is not None and future.done():
                    checks[name] = self._answers[name][1]
                elif future is not None:
                    checks[name] = "timeout"
                else:
                    checks[name] = self._answers[name][1]
        return Readiness(dict(sorted(checks.items())), self._essential)

    def _run(self, name: str, probe: Probe) -> bool:
        try:
            answer = "up" if probe() else "down"
        except Exception:  # a probe must never take the readiness page down with it
            log.exception("readiness probe %s failed", name)
            answer = "down"
        with self._lock:
            self._answers[name] = (self._clock(), answer)
            self._running.pop(name, None)
        return answer == "up"

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
