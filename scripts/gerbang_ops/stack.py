"""``make run``: the whole local stack on loopback, provisioned, until Ctrl-C.

Keycloak (dev mode, embedded H2), the mail sink, the fake registries and the sidecar, with
realms applied from realm-config/ and demo accounts. State lives in .cache/run/ so a second
``make run`` starts where the first stopped; ``make clean`` forgets everything.

``make run PROFILE=production`` (``--profile production``) runs the same stack the way
production runs it: a PostgreSQL cluster kept in .cache/run-production/postgres, Keycloak
built once for PostgreSQL and started with ``start --optimized`` (one node, or a cluster of
``KEYCLOAK_NODES`` sharing one public address and discovering each other through the
database), and the sidecar on PostgreSQL. Its state lives in .cache/run-production/.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import requests

from gerbang_ops.demo_accounts import DEMO_ACCOUNTS, ensure_demo_accounts
from gerbang_ops.keycloak.production import KeycloakCluster, jdbc_postgres_url
from gerbang_ops.keycloak.provisioned import provision_realm_config, start_provisioned_cluster
from gerbang_ops.keycloak.server import KeycloakServer, free_port
from gerbang_ops.local_secrets import load_or_create
from gerbang_ops.mailsink import MailSink
from gerbang_ops.otp_device import authenticator_key
from gerbang_ops.paths import REALM_CONFIG, THEMES, cache_dir
from gerbang_ops.postgres import PostgresServer, local_postgres
from gerbang_ops.provision.cli import load_and_check
from gerbang_sidecar.portals import realms

DEFAULT_PORTS = {"KEYCLOAK": 8080, "KEYCLOAK_MANAGEMENT": 9000, "SIDECAR": 5000,
                 "REGISTRY": 8090, "SMTP": 1025, "MAIL_HTTP": 8025}


def choose_port(name: str) -> int:
    """GERBANG_<NAME>_PORT, else the usual port, else any free one (said aloud)."""
    wanted = int(os.environ.get(f"GERBANG_{name}_PORT", DEFAULT_PORTS[name]))
    with socket.socket() as sock:
        # As the servers bind: connections of the last run still closing (TIME_WAIT) do not
        # make the port busy, so a quick restart keeps the ports its mailed links name.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", wanted))
            return wanted
        except OSError:
            pass
    port = free_port()
    print(f"  port {wanted} for {name.lower()} is busy; using {port}")
    return port


class ChildProcess:
    """A Python child of ours whose output goes to a log file in the run folder."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name = name
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_for(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                requests.get(url, timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer at {url}; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


PROFILES = ("dev", "production")


def run(profile: str = "dev", keycloak_nodes: int = 1) -> None:
    # Everything this run writes (Keycloak's database with the realm keys and client
    # secrets, the sidecar's keys, mails with set-password links, logs) is this user's
    # alone, however the shell's umask is set. The folders on the way to PostgreSQL's data
    # stay passable (not listable) for the postgres user, who runs the server.
    os.umask(0o077)
    run_dir = cache_dir() / ("run" if profile == "dev" else f"run-{profile}")
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for folder, mode in ((cache_dir(), 0o711), (run_dir, 0o711), (logs, 0o700)):
        folder.chmod(mode)
    secrets = load_or_create(run_dir / "secrets.env")
    ports = {name: choose_port(name) for name in DEFAULT_PORTS}
    sidecar_url = f"http://127.0.0.1:{ports['SIDECAR']}"
    registry_url = f"http://127.0.0.1:{ports['REGISTRY']}"

    with ExitStack() as stack:
        print("Starting the mail sink ...")
        sink = stack.enter_context(MailSink(smtp_port=ports["SMTP"], http_port=ports["MAIL_HTTP"],
                                            folder=run_dir / "mail"))
        env = {
            **os.environ, **secrets,
            "SIDECAR_PUBLIC_URL": sidecar_url,
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.smtp_port),
            "SMTP_STARTTLS": "false",  # the sink speaks no TLS
            "SMTP_FROM": "no-reply@gerbang.local", "MAIL_FROM": "no-reply@gerbang.local",
            "GERBANG_INSTANCE_PATH": str(run_dir / "sidecar"),
            **{f"{n}_URL": f"{registry_url}/{n.lower()}"
               for n in ("DUKCAPIL", "OSS", "KSEI", "BKN", "SIPP")},
            "MESSAGE_GATEWAY_URL": f"{registry_url}/gateway",
        }
        print("Starting the fake registries ...")
        registry = ChildProcess("fake registries", [
            sys.executable, "-m", "gerbang_sidecar.fake_registry", "--port",
            str(ports["REGISTRY"])], env, logs / "fake-registry.log")
        stack.callback(registry.stop)
        registry.wait_for(f"{registry_url}/gateway/messages")

        postgres: PostgresServer | None = None
        cluster: KeycloakCluster | None = None
        if profile == "production":
            print("Starting PostgreSQL (.cache/run-production/postgres) ...")
            postgres = stack.enter_context(local_postgres(run_dir / "postgres"))
            env["DATABASE_URL"] = postgres.url(postgres.ensure_database("sidecar"))
            print(f"Starting Keycloak in production mode, {keycloak_nodes} node(s) (the first "
                  "run builds the server image: a minute or more) ...")
            cluster = start_provisioned_cluster(  # stops every node when it fails
                run_dir / "keycloak", keycloak_nodes,
                db_url=jdbc_postgres_url(postgres.host, postgres.port,
                                         postgres.ensure_database("keycloak")),
                db_username=postgres.user, db_password=postgres.password,
                admin_password=secrets["KEYCLOAK_ADMIN_PASSWORD"],
                realm_env=env, environment={"SIDECAR_PUBLIC_URL": sidecar_url},
                http_port=ports["KEYCLOAK"], management_port=ports["KEYCLOAK_MANAGEMENT"],
                log=print, report_changes=True,
                after_provisioning=lambda api: ensure_demo_accounts(
                    api, secrets["DEMO_PASSWORD"], secrets["DEMO_OTP_KEY"]))
            stack.callback(cluster.stop)
            keycloak: KeycloakServer = cluster.first
        else:
            print("Starting Keycloak (the first start takes a minute) ...")
            keycloak = KeycloakServer(
                data_dir=run_dir / "keycloak", admin_password=secrets["KEYCLOAK_ADMIN_PASSWORD"],
                http_port=ports["KEYCLOAK"], management_port=ports["KEYCLOAK_MANAGEMENT"],
                environment={"SIDECAR_PUBLIC_URL": sidecar_url})
            stack.enter_context(keycloak)
            api = provision_realm_config(
                keycloak, load_and_check(REALM_CONFIG, THEMES, None, env), log=print,
                report_changes=True)
            ensure_demo_accounts(api, secrets["DEMO_PASSWORD"], secrets["DEMO_OTP_KEY"])
        env["KEYCLOAK_URL"] = keycloak.url

        print("Preparing the sidecar's database ...")
        subprocess.run([sys.executable, "-m", "gerbang_sidecar", "init"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print("Starting the sidecar and its outbox worker ...")
        # As docker-compose.yml runs them: gunicorn, and the worker that sends mail and SMS.
        # gunicorn_config and a metrics directory of its own: both workers' values at /metrics.
        sidecar = ChildProcess("sidecar", [
            sys.executable, "-m", "gunicorn", "--config", "python:gerbang_sidecar.gunicorn_config",
            "--bind", f"127.0.0.1:{ports['SIDECAR']}",
            "--worker-class", "gthread", "--workers", "2", "--threads", "8",
            "gerbang_sidecar.serve:wsgi_app()"],
            {**env, "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "sidecar-metrics")},
            logs / "sidecar.log")
        stack.callback(sidecar.stop)
        outbox = ChildProcess("outbox worker", [
            sys.executable, "-m", "gerbang_sidecar", "outbox", "--threads", "4",
            "--idle-seconds", "0.5"],
            env, logs / "outbox.log")
        stack.callback(outbox.stop)
        sidecar.wait_for(f"{sidecar_url}/health")

        print_welcome(keycloak, sidecar_url, sink.http_url, registry_url, secrets, logs)
        if cluster is not None and postgres is not None:
            print_production(cluster, postgres)
        # Runs first when the stack unwinds (Ctrl-C or a process that died): said before the
        # stops, which take seconds.
        stack.callback(print, "\nStopping everything ...")
        wait_until_one_stops(watch([registry, sidecar, outbox],
                                   cluster.nodes if cluster is not None else [keycloak]))


def print_welcome(keycloak: KeycloakServer, sidecar_url: str, mail_url: str, registry_url: str,
                  secrets: dict[str, str], logs: Path) -> None:
    kc = keycloak.url
    print(f"""
Gerbang is running. Press Ctrl-C to stop everything.

  Portals (sidecar)        {sidecar_url}/
  Keycloak admin console   {kc}/admin/
                           user {keycloak.admin_user}, password {keycloak.admin_password}
  Mails sent (sink)        {mail_url}/
  Fake registries          {registry_url}   (HTTP APIs, no pages; seeded people: docs/registries.md)
  WhatsApp and SMS sent    {registry_url}/gateway/messages?to=+6281234567890
                           (the number's codes and links, newest first: the BSrE wizard's)
  BSrE Verifikator         {sidecar_url}/bsre/verifikator
  Signed PDF verification  {sidecar_url}/verifikasi
  Sidecar readiness        {sidecar_url}/internal/ready   (liveness: /health)
  Logs                     {logs}/ and {keycloak.log_path}

  Login pages and account consoles:""")
    for realm in realms():
        print(f"    {realm:<6} {kc}/realms/{realm}/account/")
    print(f"\n  Demo accounts (password {secrets['DEMO_PASSWORD']}):")
    for account in DEMO_ACCOUNTS:
        print(f"    {account.realm:<6} {account.username:<30} {account.what}")
    key = authenticator_key(secrets["DEMO_OTP_KEY"])
    print(f"  OTP key of the BSrE and INSW demo accounts (TOTP, 6 digits, 30 s; add it to an "
          f"authenticator app): {key}\n"
          f"    or the current code: .cache/venv/bin/python -c \"import pyotp; "
          f"print(pyotp.TOTP('{key}').now())\"")
    print()


def print_production(cluster: KeycloakCluster, postgres: PostgresServer) -> None:
    print("  Production profile: Keycloak `start --optimized` on PostgreSQL")
    for node in cluster.nodes:
        print(f"    {node.node_name:<8} {node.url}   health and metrics "
              f"http://127.0.0.1:{node.management_port}/health/ready, /metrics   "
              f"log {node.log_path}")
    print(f"    every node's public address (issuer): {cluster.public_url}")
    print(f"  PostgreSQL               psql -h {postgres.host} -p {postgres.port} "
          f"-U {postgres.user} keycloak   (and sidecar; its password is in "
          ".cache/run-production/postgres/superuser-password)")
    print()


@dataclass(frozen=True)
class Watched:
    """Something ``make run`` started that must keep running: its name, a liveness check and
    where its log is."""

    name: str
    running: Callable[[], bool]
    log: Path


class StoppedUnexpectedly(RuntimeError):
    pass


def watch(children: Sequence[ChildProcess], keycloak_nodes: Sequence[KeycloakServer]
          ) -> list[Watched]:
    return [*(Watched(c.name, lambda c=c: c.process.poll() is None, c.log) for c in children),
            *(Watched(f"Keycloak ({node.url})", lambda node=node: node.running, node.log_path)
              for node in keycloak_nodes)]


def wait_until_one_stops(watched: list[Watched], every: float = 1.0) -> None:
    """Never returns: Ctrl-C (KeyboardInterrupt) ends the wait, and a watched process that
    exits raises StoppedUnexpectedly, so ``make run`` stops the rest and exits non-zero
    instead of serving half a stack."""
    while True:
        for item in watched:
            if not item.running():
                raise StoppedUnexpectedly(f"{item.name} stopped unexpectedly; see {item.log}")
        time.sleep(every)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m gerbang_ops.stack",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, default="dev",
                        help="dev: Keycloak start-dev on H2 (default); production: Keycloak "
                             "start --optimized and the sidecar on PostgreSQL")
    parser.add_argument("--keycloak-nodes", type=int, default=1,
                        help="Keycloak nodes of the production profile (default 1)")
    args = parser.parse_args(argv)
    if args.keycloak_nodes < 1 or (args.keycloak_nodes > 1 and args.profile != "production"):
        parser.error("--keycloak-nodes above 1 needs --profile production")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Installed explicitly: a shell starting us in the background would leave SIGINT ignored,
    # and a supervisor stops us with SIGTERM; both must stop every child.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run(args.profile, args.keycloak_nodes)
    except KeyboardInterrupt:
        print("\nStopped.")
    except Exception as exc:  # one readable line instead of a traceback for DevOps
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
