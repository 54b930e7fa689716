"""Run a Keycloak server in dev mode on loopback, with our themes and its own data folder.

Used by ``make run``, the test suite and the benchmarks alike, so each gets the same server:
embedded H2 in a folder of the caller's choosing, a bootstrap admin, our themes read live
from the repository with caching off, free ports when asked. Production mode (``start
--optimized`` on PostgreSQL, clusters) is the subclass in ``production.py``; both share the
start, the patient wait for readiness and the stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from gerbang_ops.keycloak.distribution import ensure_distribution, exclusive
from gerbang_ops.paths import THEMES


class KeycloakStartError(RuntimeError):
    """Keycloak exited or did not become ready in time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Half a second of CPU counts as progress; less is a process idling in a loop.
_TICKS_OF_PROGRESS = max(1, os.sysconf("SC_CLK_TCK") // 2)
# The events Keycloak's "email" listener must not mail: the sidecar sends failed-login
# notices itself, at most one a quarter hour and none while the account is locked; and
# Keycloak 26 reports each password or OTP-device change twice -- UPDATE_CREDENTIAL (or
# REMOVE_CREDENTIAL) and the older UPDATE_PASSWORD / UPDATE_TOTP / REMOVE_TOTP -- so only the
# first kind is mailed (one notice per change, C4/B7).
EMAIL_LISTENER_EXCLUDES = "LOGIN_ERROR,UPDATE_PASSWORD,UPDATE_TOTP,REMOVE_TOTP"


def _group_cpu_ticks(group: int) -> int:
    """CPU ticks (user + system) of every process in a process group (Linux /proc): kc.sh
    starts the JVM as its child, in the group the server was started in."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total


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
    # How long a start may take in all (its first start builds Keycloak: minutes on a busy
    # machine), and how long it may show no sign of work (no CPU used, no log written).
    startup_timeout: float = field(default_factory=lambda: float(
        os.environ.get("GERBANG_KEYCLOAK_START_SECONDS", "900")))
    stall_timeout: float = 180.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "keycloak.log"

    def start(self) -> KeycloakServer:
        """Start Keycloak and wait until it is ready (stopping it again if that fails)."""
        with self._starting_alone():
            self.launch()
            try:
                self.wait_until_ready()
            except BaseException:
                # Ctrl-C during the first minute must not leave Keycloak holding ports and H2.
                self.stop()
                raise
        return self

    def _starting_alone(self) -> contextlib.AbstractContextManager[None]:
        """``start-dev`` writes its build into the distribution every dev server shares: two
        first starts at once (test workers) read each other's half-written files. One
        start at a time per distribution; running servers are not held up."""
        home = self._home()
        return exclusive(home.parent / f".{home.name}.start.lock")

    def launch(self) -> None:
        """Start the process without waiting for it (``wait_until_ready`` waits)."""
        home = self._home()
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
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self._command(home), cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()

    def wait_until_ready(self) -> None:
        """Wait for the launched process to report ready; KeycloakStartError otherwise (the
        process is left running: the caller stops it)."""
        self._wait_until_ready()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _home(self) -> Path:
        """The distribution this server runs from."""
        return ensure_distribution()

    def _command(self, home: Path) -> list[str]:
        return [str(home / "bin" / "kc.sh"), "start-dev", *self._options()]

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
            f"--spi-events-listener--email--exclude-events={EMAIL_LISTENER_EXCLUDES}",
        ]

    def _wait_until_ready(self) -> None:
        """Wait while Keycloak makes progress (uses CPU or writes its log), up to the overall
        ceiling; a dead process or one idle for ``stall_timeout`` fails at once."""
        assert self._process is not None
        started = time.monotonic()
        ready_url = f"http://127.0.0.1:{self.management_port}/health/ready"
        progress, last_progress = self._progress(), started
        while True:
            if self._process.poll() is not None:
                raise KeycloakStartError(
                    f"Keycloak exited with code {self._process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(ready_url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            now = time.monotonic()
            if (current := self._progress()) != progress:
                progress, last_progress = current, now
            if now - started > self.startup_timeout:
                raise KeycloakStartError(
                    f"Keycloak was not ready after {self.startup_timeout:.0f}s (a slow machine "
                    f"may raise GERBANG_KEYCLOAK_START_SECONDS):\n{self.log_tail()}")
            if now - last_progress > self.stall_timeout:
                raise KeycloakStartError(
                    f"Keycloak did nothing for {self.stall_timeout:.0f}s while starting:\n"
                    f"{self.log_tail()}")
            time.sleep(1)

    def _progress(self) -> tuple[int, int]:
        """(CPU ticks used by Keycloak's processes, bytes in its log): either growing means
        it is still working."""
        assert self._process is not None
        size = self.log_path.stat().st_size if self.log_path.exists() else 0
        return _group_cpu_ticks(self._process.pid) // _TICKS_OF_PROGRESS, size

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the server: SIGTERM lets it shut down in order (SIGKILL after ``timeout``);
        ``sig=signal.SIGKILL`` kills it at once, as a crash would."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is not None:
            # kc.sh ended; its Java child (same process group) must not outlive it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            return
        os.killpg(process.pid, sig)
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
