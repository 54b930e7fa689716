"""``python -m gerbang_sidecar init | outbox``: what a sidecar host runs besides the web app.

* ``init`` -- once per machine for a local run (``make run`` and the tests call it): generate
  the instance folder's secrets (never in production) and migrate the database to head.
  Production migrates with ``python -m gerbang_sidecar.migrations upgrade`` instead.
* ``outbox`` -- deliver outbox messages until SIGTERM/SIGINT. Several copies may run: claims
  are atomic (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

Both read the same environment as the sidecar (docs/configuration.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from gerbang_sidecar.config import ConfigError, load_settings, write_local_secrets
from gerbang_sidecar.logging_setup import configure_logging
from gerbang_sidecar.migrations import current_revision, upgrade
from gerbang_sidecar.wiring import build_services

log = logging.getLogger("gerbang_sidecar.outbox")


def init_local(instance_path: Path | None = None) -> str:
    """Local secrets (if missing) and the migrated database; returns the database URL."""
    overrides = {} if instance_path is None else {"instance_path": instance_path}
    unset = load_settings(**overrides, secrets_required=False)
    if unset.is_production:
        raise ConfigError("init is for local runs; production sets its secrets and runs "
                          "python -m gerbang_sidecar.migrations upgrade")
    write_local_secrets(unset.instance_path)
    settings = load_settings(**overrides)
    upgrade(settings.database_url)
    return settings.database_url


def run_outbox(*, idle_seconds: float, once: bool, heartbeat: Path | None) -> int:
    services = build_services(load_settings())
    worker = services.outbox_worker()
    if once:
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
        if heartbeat is not None:
            heartbeat.touch()
        if report is None or report.handled == 0:
            stop.wait(idle_seconds)
    log.info("outbox worker stopped")
    services.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gerbang_sidecar",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="local secrets and a migrated database (not production)")
    outbox = commands.add_parser("outbox", help="deliver outbox messages until stopped")
    outbox.add_argument("--idle-seconds", type=float, default=1.0,
                        help="pause when nothing is due (default 1)")
    outbox.add_argument("--once", action="store_true", help="deliver one batch, then exit")
    outbox.add_argument("--heartbeat", type=Path, default=None,
                        help="file touched after every run (the container's healthcheck "
                             "reads its age)")
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))  # settings may not load yet
    if args.command == "init":
        url = init_local()
        print(f"sidecar ready: database at {current_revision(url)}")
        return 0
    return run_outbox(idle_seconds=args.idle_seconds, once=args.once, heartbeat=args.heartbeat)
