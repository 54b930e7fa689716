"""gunicorn hooks for metrics across several workers.

Use: ``gunicorn -c python:gerbang_sidecar.gunicorn_config ... "gerbang_sidecar.serve:wsgi_app()"``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its metric values to files in that
directory and ``/metrics`` merges them (``adapters/metrics/prometheus.py``). The directory
belongs to this gunicorn master alone: it is emptied when the master starts (values of an
earlier run would otherwise be added to this one's), and a worker's files are retired when it
exits, so a restarted worker's breaker state is not reported forever. Without the variable
the hooks do nothing and each worker keeps its own metrics (fine for one worker).

Only hooks live here; the command line keeps the bind address, workers and threads.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import multiprocess

from gerbang_sidecar.adapters.metrics.prometheus import (
    MULTIPROCESS_VARIABLE,
    empty_multiprocess_directory,
)


def on_starting(server: Any) -> None:
    empty_multiprocess_directory()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(worker.pid)
