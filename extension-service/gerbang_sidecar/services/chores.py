"""Work the outbox process does besides delivering: each chore runs every so many seconds; a
failure is logged and tried again next time. The worker process (cli.py) and the test
servers' in-process thread (web/background.py) run the same list (``Services.chores``). Each
run has a request id of its own, for its log lines and its calls to Keycloak."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from gerbang_sidecar.request_ids import request_id_scope

log = logging.getLogger(__name__)


class Chore:
    def __init__(self, name: str, every_seconds: float, work: Callable[[], object]) -> None:
        self._name = name
        self._every = every_seconds
        self._work = work
        self._next = 0.0

    def run_when_due(self) -> None:
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self._every
        with request_id_scope():
            try:
                done = self._work()
            except Exception:
                log.exception("%s failed", self._name)
                return
            if done:
                log.info("%s: %s", self._name, done)


def run_due(chores: Sequence[Chore]) -> None:
    for chore in chores:
        chore.run_when_due()
