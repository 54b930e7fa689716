"""``python -m gerbang_sidecar <command>``: what a sidecar host runs besides the web app.

* ``init`` -- once per machine for a local run (``make run`` and the tests call it): generate
  the instance folder's secrets (never in production), migrate the database to head and
  create the certificate authority if there is none.
* ``ca-init`` -- create this environment's root and issuing CA (with the OCSP responder and
  the time-stamping authority) once, or add what a newer version needs -- the TSA of
  migration 0015 -- to an existing one, and renew the responder's and the TSA's keys when
  due (production runs it after the migrations; issue 12, docs/certificates.md).
  Production migrates with ``python -m gerbang_sidecar.migrations upgrade`` instead.
* ``reindex-identities`` -- read every Keycloak account into the identity index (issue 11:
  the duplicate check and forgot password read it). Not needed after imports or admin
  changes, which the index follows from Keycloak's admin events; needed after restoring
  Keycloak from a backup, whose changes no event recorded.
* ``outbox`` -- deliver outbox messages until SIGTERM/SIGINT, ``--threads`` at once, and run
  the chores between batches (``Services.chores``: housekeeping every ten minutes, the
  failed-login notices every 30 seconds, the OTP device cap every 5 seconds, the identity
  index every 10 seconds, certificate expiry hourly, the responder's and the TSA's keys every
  six hours). Several copies
  may run: claims are atomic (``FOR UPDATE SKIP LOCKED`` on PostgreSQL). With
  ``--metrics-port`` it serves its own Prometheus metrics (deliveries, the registry and
  Keycloak calls its handlers make) on that port, for the scraper only (issue 11 item 5).
* ``serve-ocsp`` -- the OCSP responder alone (X6) under granian, ``--workers`` processes: what
  production's proxy sends ``/pki/ocsp`` to (``serve.py`` says why it runs apart).

All read the same environment as the sidecar (docs/configuration.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from granian import Granian
from granian.constants import Interfaces
from sqlalchemy.engine import make_url

from gerbang_sidecar.adapters.metrics.prometheus import (
    PrometheusMetrics,
    empty_multiprocess_directory,
)
from gerbang_sidecar.config import ConfigError, Settings, load_settings, write_local_secrets
from gerbang_sidecar.logging_setup import configure_logging
from gerbang_sidecar.migrations import current_revision, upgrade
from gerbang_sidecar.portals import realms
from gerbang_sidecar.services.chores import run_due
from gerbang_sidecar.wiring import build_services

log = logging.getLogger("gerbang_sidecar.outbox")

OCSP_TARGET = "gerbang_sidecar.serve:ocsp_wsgi_app"


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
    _owner_only(settings.database_url)
    init_certificate_authority(settings)
    return settings.database_url


def init_certificate_authority(settings: Settings | None = None) -> bool:
    """This environment's root and issuing CA, made once, or completed with a TSA (issue 12),
    and new responder and TSA keys if they are due (the outbox process's chore does that
    too); True when anything was made now."""
    services = build_services(settings or load_settings())
    try:
        made = services.certificate_authority.ensure(now=services.clock())
        return bool(services.service_keys.run()) or made
    finally:
        services.close()


def reindex_identities(realms: list[str], settings: Settings | None = None) -> dict[str, int]:
    """Read every account of ``realms`` into the identity index (issue 11): after restoring
    Keycloak from a backup, or anything else its admin events did not record."""
    services = build_services(settings or load_settings())
    try:
        index = services.identity_index
        return {realm: index.rebuild(realm) for realm in realms}
    finally:
        services.close()


def _owner_only(database_url: str) -> None:
    """A local SQLite file holds the same encrypted data as its keys: 0600 like them (SQLite
    gives its journal files the database file's mode)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).chmod(0o600)


def run_outbox(*, idle_seconds: float, once: bool, heartbeat: Path | None,
               threads: int, metrics_port: int | None = None,
               metrics_host: str = "127.0.0.1") -> int:
    services = build_services(load_settings())
    worker = services.outbox_worker(concurrency=threads)
    if once:
        report = worker.run_once()
        worker.close()
        print(f"sent={report.sent} retried={report.retried} dead={report.dead}")
        return 0
    if metrics_port is not None and isinstance(services.metrics, PrometheusMetrics):
        services.metrics.serve(metrics_host, metrics_port)
        log.info("outbox metrics on %s:%s/metrics", metrics_host, metrics_port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    chores = services.chores()

    def after_each_run() -> None:
        run_due(chores)
        if heartbeat is not None:
            heartbeat.touch()

    log.info("outbox worker running with %s thread(s)", threads)
    worker.run_forever(stop, idle_seconds, after_each_run)
    log.info("outbox worker stopped")
    worker.close()
    services.close()
    return 0


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdecimal():
        raise argparse.ArgumentTypeError(f"expected host:port, got {text!r}")
    return host, int(port)


def serve_ocsp(*, host: str, port: int, workers: int, blocking_threads: int,
               target: str = OCSP_TARGET) -> None:
    """granian in front of ``target`` (a factory) until stopped; the workers' metrics merged
    at ``/metrics`` when ``PROMETHEUS_MULTIPROC_DIR`` is set. ``target`` is the OCSP app;
    the benchmark's floor (bench/ocsp_floor.py) passes its own to be served the same way."""
    empty_multiprocess_directory()
    Granian(target, address=host, port=port, interface=Interfaces.WSGI, factory=True,
            workers=workers, blocking_threads=blocking_threads, websockets=False,
            # A worker that dies is started again, as gunicorn's master does.
            respawn_failed_workers=True, workers_kill_timeout=30).serve()


def add_ocsp_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default="127.0.0.1:5001", type=_address,
                        help="host:port to listen on (default 127.0.0.1:5001; 0.0.0.0:5001 "
                             "in a container)")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes (default 2; one per core)")
    parser.add_argument("--blocking-threads", type=int, default=2,
                        help="threads per process running the app (default 2)")


def ocsp_server_options(args: argparse.Namespace) -> dict[str, Any]:
    """serve_ocsp's keywords from arguments add_ocsp_server_arguments parsed."""
    host, port = args.bind
    return {"host": host, "port": port, "workers": max(1, args.workers),
            "blocking_threads": max(1, args.blocking_threads)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gerbang_sidecar",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="local secrets and a migrated database (not production)")
    commands.add_parser("ca-init", help="create this environment's root and issuing CA, once")
    reindex = commands.add_parser(
        "reindex-identities", help="read every Keycloak account into the identity index "
                                   "(after a Keycloak restore; imports are followed anyway)")
    reindex.add_argument("--realm", action="append", choices=realms(),
                         help="a realm (repeat for more; default: every portal's)")
    outbox = commands.add_parser("outbox", help="deliver outbox messages until stopped")
    outbox.add_argument("--idle-seconds", type=float, default=1.0,
                        help="pause when nothing is due (default 1)")
    outbox.add_argument("--threads", type=int, default=8,
                        help="messages of a batch delivered at once (default 8)")
    outbox.add_argument("--once", action="store_true", help="deliver one batch, then exit")
    outbox.add_argument("--heartbeat", type=Path, default=None,
                        help="file touched after every run (the container's healthcheck "
                             "reads its age)")
    outbox.add_argument("--metrics-port", type=int, default=None,
                        help="serve Prometheus metrics on this port (default: none); never "
                             "publish it beyond the scraper's network")
    outbox.add_argument("--metrics-host", default="127.0.0.1",
                        help="address the metrics port binds (default 127.0.0.1; 0.0.0.0 "
                             "in a container)")
    add_ocsp_server_arguments(commands.add_parser(
        "serve-ocsp", help="the OCSP responder alone, under granian (production)"))
    args = parser.parse_args(argv)
    if args.command == "serve-ocsp":  # the app's factory sets logging up in each worker
        serve_ocsp(**ocsp_server_options(args))
        return 0
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))  # settings may not load yet
    if args.command == "init":
        url = init_local()
        print(f"sidecar ready: database at {current_revision(url)}")
        return 0
    if args.command == "ca-init":
        made = init_certificate_authority()
        print("certificate authority created or updated" if made
              else "certificate authority exists")
        return 0
    if args.command == "reindex-identities":
        for realm, read in reindex_identities(args.realm or list(realms())).items():
            print(f"{realm}: {read} account(s) read into the identity index")
        return 0
    return run_outbox(idle_seconds=args.idle_seconds, once=args.once, heartbeat=args.heartbeat,
                      threads=max(1, args.threads), metrics_port=args.metrics_port,
                      metrics_host=args.metrics_host)
