"""Run one function in several threads at once and wait for all of them (races)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(target: Callable[[], object], times: int, timeout: float = 30.0) -> None:
    threads = [threading.Thread(target=target) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
