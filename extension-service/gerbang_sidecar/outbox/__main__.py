"""``python -m gerbang_sidecar.outbox``: deliver outbox messages until SIGTERM/SIGINT.

Reads the same environment as the sidecar (docs/configuration.md). Several copies may run:
claims are atomic (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from gerbang_sidecar.app import create_app
from gerbang_sidecar.outbox import build_worker

log = logging.getLogger("gerbang_sidecar.outbox")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gerbang_sidecar.outbox",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=1.0,
                        help="pause when nothing is due (default 1)")
    parser.add_argument("--once", action="store_true", help="deliver one batch, then exit")
    parser.add_argument("--heartbeat", type=Path, default=None,
                        help="file touched after every run (the container's healthcheck "
                             "reads its age)")
    args = parser.parse_args(argv)
    app = create_app()
    app.config["GERBANG_OUTBOX_IN_PROCESS"] = False  # this process *is* the worker
    worker = build_worker(app)
    with app.app_context():
        if args.once:
            report = worker.run_once()
            print(f"sent={report.sent} retried={report.retried} dead={report.dead}")
            return 0
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        log.info("outbox worker running")
        while not stop.is_set():
            # One run at a time (OutboxWorker.run_forever's loop, plus the heartbeat).
            try:
                report = worker.run_once()
            except Exception:
                log.exception("outbox run failed")
                report = None
            if args.heartbeat is not None:
                args.heartbeat.touch()
            if report is None or report.handled == 0:
                stop.wait(args.idle_seconds)
        log.info("outbox worker stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
