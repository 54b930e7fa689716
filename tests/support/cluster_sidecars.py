"""The sidecar half of the cluster (issue 11 item 2): sidecar processes started the way
docker-compose.yml starts them, on a database of the cluster's PostgreSQL.

* ``prepare_database`` -- compose's one-shot jobs: ``python -m gerbang_sidecar.migrations
  upgrade``, then ``python -m gerbang_sidecar ca-init``.
* ``start_sidecar`` -- gunicorn with ``--config python:gerbang_sidecar.gunicorn_config``, gthread
  workers, its own ``PROMETHEUS_MULTIPROC_DIR``.
* ``start_outbox`` -- ``python -m gerbang_sidecar outbox``: the web processes only enqueue
  (``OUTBOX_IN_PROCESS=false``), this process delivers.
* ``start_ocsp`` -- ``python -m gerbang_sidecar serve-ocsp``: the OCSP responder's own
  process (granian), where production's proxy sends ``/pki/ocsp``.

Every process runs in a process group of its own (gerbang_ops.stack.ChildProcess) with its
output in a log file; ``stop`` ends the group, ``kill`` sends it SIGKILL.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests

from gerbang_ops.stack import ChildProcess
from gerbang_sidecar.portals import portal_clients

T = TypeVar("T")

# Generous: the machine is shared and busy; nothing here is timed.
START_TIMEOUT = 180.0


def sidecar_secrets() -> dict[str, str]:
    """The secrets every sidecar process of one environment shares (production's env vars)."""
    return {name: secrets.token_urlsafe(32) for name in (
        "GERBANG_SECRET_KEY", "GERBANG_PII_KEY", "GERBANG_BLIND_INDEX_KEY", "GERBANG_CA_KEK")}


def sidecar_environment(*, database_url: str, keycloak_url: str, keycloak_public_url: str,
                        public_url: str, registry_url: str, smtp_host: str, smtp_port: int,
                        realm_env: Mapping[str, str], shared_secrets: Mapping[str, str],
                        instance_path: Path) -> dict[str, str]:
    """docker-compose.yml's x-sidecar-environment, on loopback."""
    return {
        **os.environ,
        "GERBANG_ENV": "production",
        "GERBANG_INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": database_url,
        **shared_secrets,
        "KEYCLOAK_URL": keycloak_url,
        "KEYCLOAK_PUBLIC_URL": keycloak_public_url,
        "SIDECAR_CLIENT_ID": "gerbang-sidecar",
        "SIDECAR_CLIENT_SECRET": realm_env["SIDECAR_CLIENT_SECRET"],
        "SIDECAR_PUBLIC_URL": public_url,
        **{f"{name}_URL": f"{registry_url}/{name.lower()}"
           for name in ("DUKCAPIL", "OSS", "KSEI", "BKN", "SIPP")},
        "MESSAGE_GATEWAY_URL": f"{registry_url}/gateway",
        "REGISTRY_TIMEOUT_SECONDS": "5",
        "SMTP_HOST": smtp_host, "SMTP_PORT": str(smtp_port), "SMTP_STARTTLS": "false",
        "MAIL_FROM": realm_env.get("SMTP_FROM", "no-reply@gerbang.test"),
        "LOG_LEVEL": "INFO",
        "KEYCLOAK_TIMEOUT_SECONDS": "10",
        "RATE_LIMITS_ENABLED": "true",
        "KEYCLOAK_BACKEND": "http", "REGISTRY_BACKEND": "http", "MAIL_BACKEND": "smtp",
        "OUTBOX_IN_PROCESS": "false",
        # A failed delivery (a busy Keycloak) is retried soon rather than after production's 30 s.
        "OUTBOX_RETRY_SECONDS": "1",
        **{client.secret_variable: realm_env[client.secret_variable]
           for client in portal_clients()},
    }


def prepare_database(env: Mapping[str, str], logs: Path) -> None:
    """compose's sidecar-migrate and sidecar-ca-init jobs, one after the other."""
    for name, argv in (("migrate", [sys.executable, "-m", "gerbang_sidecar.migrations",
                                    "upgrade"]),
                       ("ca-init", [sys.executable, "-m", "gerbang_sidecar", "ca-init"])):
        log = logs / f"{name}.log"
        with log.open("ab") as out:
            done = subprocess.run(argv, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=START_TIMEOUT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"sidecar {name} failed:\n{log.read_text()[-3000:]}")


@dataclass
class Process:
    """A child process group with its log."""

    child: ChildProcess

    @property
    def pid(self) -> int:
        return self.child.process.pid

    @property
    def running(self) -> bool:
        return self.child.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        return self.child.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        self.child.stop()

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, no clean-up of any kind."""
        if self.running:
            os.killpg(self.pid, signal.SIGKILL)
        self.child.process.wait(timeout=30)

    def signal(self, sig: signal.Signals) -> None:
        os.killpg(self.pid, sig)


@dataclass
class Sidecar(Process):
    name: str = ""
    url: str = ""


@dataclass
class SidecarCluster:
    """Two sidecars under gunicorn on one database, and the outbox worker that delivers what
    they enqueue. ``sidecars[i].url`` reaches one of them; ``public_url`` is what browsers and
    mails use (support.routed_session sends it to the one a test picks)."""

    public_url: str
    sidecars: list[Sidecar]
    outbox: Process
    database_url: str
    env: dict[str, str]
    registry_url: str


def start_sidecar(name: str, port: int, env: Mapping[str, str], logs: Path, *,
                  workers: int = 2, threads: int = 4) -> Sidecar:
    """docker-compose.yml's sidecar command (fewer workers), bound to loopback."""
    metrics = logs / f"{name}-metrics"
    child = ChildProcess(name, [
        sys.executable, "-m", "gunicorn", "--config", "python:gerbang_sidecar.gunicorn_config",
        "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
        "--workers", str(workers), "--threads", str(threads),
        "--timeout", "120", "--graceful-timeout", "10", "gerbang_sidecar.serve:wsgi_app()"],
        {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}, logs / f"{name}.log")
    return Sidecar(child, name=name, url=f"http://127.0.0.1:{port}")


def start_outbox(name: str, env: Mapping[str, str], logs: Path, *, threads: int = 4,
                 idle_seconds: float = 0.2) -> Process:
    """docker-compose.yml's sidecar-outbox command."""
    return Process(ChildProcess(name, [
        sys.executable, "-m", "gerbang_sidecar", "outbox", "--threads", str(threads),
        "--idle-seconds", str(idle_seconds)], dict(env), logs / f"{name}.log"))


def start_ocsp(name: str, port: int, env: Mapping[str, str], logs: Path, *,
               workers: int = 2) -> Sidecar:
    """docker-compose.yml's ocsp command, bound to loopback, its own PROMETHEUS_MULTIPROC_DIR."""
    child = ChildProcess(name, [
        sys.executable, "-m", "gerbang_sidecar", "serve-ocsp", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers)],
        {**env, "PROMETHEUS_MULTIPROC_DIR": str(logs / f"{name}-metrics")}, logs / f"{name}.log")
    return Sidecar(child, name=name, url=f"http://127.0.0.1:{port}")


def wait_until_ready(sidecar: Sidecar, timeout: float = START_TIMEOUT) -> None:
    """Until /internal/ready answers 200 (database, Keycloak and registries reachable)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not sidecar.running:
            raise RuntimeError(f"{sidecar.name} exited:\n{sidecar.log_tail()}")
        try:
            answer = requests.get(f"{sidecar.url}/internal/ready", timeout=10)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:300]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.3)
    raise RuntimeError(f"{sidecar.name} not ready ({last}):\n{sidecar.log_tail()}")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 120.0,
                interval: float = 0.2) -> T:
    """Poll ``probe`` until it returns something other than None or False; fail at the
    deadline with ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
