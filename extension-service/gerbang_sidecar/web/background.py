"""The outbox worker in a thread of the web process (``OUTBOX_IN_PROCESS=true``).

Production and ``make run`` run the worker as its own process (``python -m gerbang_sidecar
outbox``, the ``sidecar-outbox`` service in docker-compose.yml) and gunicorn workers only
enqueue. The test servers set ``OUTBOX_IN_PROCESS`` so accounts, mails and SMS go out, and the
chores run (services/chores.py), without a second process; the thread starts with the first
request, not when the app is built, and ends with the process (a daemon) or with
:func:`stop`.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from gerbang_sidecar.services.chores import run_due
from gerbang_sidecar.wiring import Services

log = logging.getLogger(__name__)
_EXTENSION = "gerbang_outbox"


class OutboxThread:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Start once (later calls do nothing)."""
        with self._lock:
            if self.thread is not None:
                return
            worker = self._services.outbox_worker(concurrency=4)
            chores = self._services.chores()
            self.thread = threading.Thread(target=worker.run_forever, args=(self._stop,),
                                           kwargs={"idle_seconds": 0.5,
                                                   "after_each_run": lambda: run_due(chores)},
                                           name="gerbang-outbox", daemon=True)
            self.thread.start()
        log.info("outbox worker started in the web process")

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


def init_app(app: Flask, services: Services) -> None:
    if not services.settings.outbox_in_process:
        return
    background = OutboxThread(services)
    app.extensions[_EXTENSION] = background
    app.before_request(lambda: background.start())


def stop(app: Flask) -> None:
    """End the app's outbox thread, if it has one (what stopping its process would do)."""
    background = app.extensions.get(_EXTENSION)
    if isinstance(background, OutboxThread):
        background.stop()
