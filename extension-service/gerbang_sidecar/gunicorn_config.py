"""gunicorn settings: its own log lines through the sidecar's handler, and hooks for metrics
across several workers.

Use: ``gunicorn -c python:gerbang_sidecar.gunicorn_config ... "gerbang_sidecar.serve:wsgi_app()"``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its metric values to files in that
directory and ``/metrics`` merges them (``adapters/metrics/prometheus.py``). The directory
belongs to this gunicorn master alone: it is emptied when the master starts (values of an
earlier run would otherwise be added to this one's), and a worker's files are retired when it
exits, so a restarted worker's breaker state is not reported forever. Without the variable
the hooks do nothing and each worker keeps its own metrics (fine for one worker).

gunicorn keeps its loggers off the root logger, so its lines ("Error handling request GET
<uri>" with the query string -- an officer's search by NIK -- and the traceback) bypassed the
redaction every other line gets (X3). :class:`RedactingLogger` hands them to the root logger's
JSON handler instead, master and workers alike.

Only hooks and the logger live here; the command line keeps the bind address, workers and
threads.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger
from prometheus_client import multiprocess

from gerbang_sidecar.adapters.metrics.prometheus import (
    MULTIPROCESS_VARIABLE,
    empty_multiprocess_directory,
)
from gerbang_sidecar.logging_setup import install_root_handler


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # runs again on a reload (SIGHUP): so does the rest
        if cfg.syslog or cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json:
            return  # log targets an operator chose are theirs to filter
        install_root_handler()
        for log, target in ((self.error_log, cfg.errorlog), (self.access_log, cfg.accesslog)):
            if target in (None, "-"):  # stderr/stdout, or off: a file named stays a file
                for handler in list(log.handlers):
                    log.removeHandler(handler)
                log.propagate = True


logger_class = RedactingLogger


def on_starting(server: Any) -> None:
    empty_multiprocess_directory()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(worker.pid)
