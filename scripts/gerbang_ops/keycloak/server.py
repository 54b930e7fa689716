"""Run a Keycloak server in dev mode on loopback, with our themes and its own data folder.

Used by ``make run``, the test suite and the benchmarks alike, so each gets the same server:
embedded H2 in a folder of the caller's choosing, a bootstrap admin, our themes read live
from the repository with caching off, free ports when asked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from gerbang_ops.keycloak.distribution import ensure_distribution
from gerbang_ops.paths import THEMES


class KeycloakStartError(RuntimeError):
    """Keycloak exited or did not become ready in time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class KeycloakServer:
    """One Keycloak process. Use as a context manager or call start()/stop()."""

    data_dir: Path
    admin_password: str
    admin_user: str = "admin"
    http_port: int = 0
    management_port: int = 0
    themes_dir: Path = THEMES
    environment: dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 240.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "keycloak.log"

    def start(self) -> KeycloakServer:
        home = ensure_distribution()
        self.http_port = self.http_port or free_port()
        self.management_port = self.management_port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            # Read only when the database is empty, i.e. on the first start of a data folder.
            "KC_BOOTSTRAP_ADMIN_USERNAME": self.admin_user,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            **self.environment,
        }
        command = [str(home / "bin" / "kc.sh"), "start-dev", *self._options()]
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        try:
            self._wait_until_ready()
        except BaseException:
            # Ctrl-C during the first minute must not leave Keycloak holding ports and H2.
            self.stop()
            raise
        return self

    def _options(self) -> list[str]:
        h2 = self.data_dir / "h2" / "keycloakdb"
        return [
            "--http-host=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--http-management-port={self.management_port}",
            "--health-enabled=true",
            "--db=dev-file",
            f"--db-url=jdbc:h2:file:{h2};NON_KEYWORDS=VALUE",
            f"--spi-theme--folder--dir={self.themes_dir}",
            "--spi-theme--cache-themes=false",
            "--spi-theme--cache-templates=false",
            "--spi-theme--static-max-age=-1",
        ]

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        ready_url = f"http://127.0.0.1:{self.management_port}/health/ready"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise KeycloakStartError(
                    f"Keycloak exited with code {self._process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(ready_url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise KeycloakStartError(
            f"Keycloak was not ready after {self.startup_timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> KeycloakServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
