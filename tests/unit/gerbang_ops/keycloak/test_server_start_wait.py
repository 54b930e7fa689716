"""Waiting for Keycloak follows its progress: a busy machine gets as long as Keycloak keeps
working (up to a ceiling an environment variable raises); a dead or idle one fails fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gerbang_ops.keycloak.server import KeycloakServer, KeycloakStartError, free_port


def _server(tmp_path: Path, command: list[str], **limits: float) -> KeycloakServer:
    server = KeycloakServer(data_dir=tmp_path, admin_password="x",
                            management_port=free_port(), **limits)  # nothing listens there
    server._process = subprocess.Popen(command, start_new_session=True)
    return server


def test_a_start_that_does_nothing_fails_without_waiting_for_the_ceiling(tmp_path: Path) -> None:
    server = _server(tmp_path, ["sleep", "60"], stall_timeout=1.0, startup_timeout=600)
    try:
        with pytest.raises(KeycloakStartError, match="did nothing for 1s"):
            server._wait_until_ready()
    finally:
        server.stop()


def test_a_busy_start_is_given_up_only_at_the_ceiling(tmp_path: Path) -> None:
    busy = [sys.executable, "-c", "while True: pass"]
    server = _server(tmp_path, busy, stall_timeout=600, startup_timeout=2.0)
    try:
        with pytest.raises(KeycloakStartError, match="GERBANG_KEYCLOAK_START_SECONDS"):
            server._wait_until_ready()
    finally:
        server.stop()


def test_a_process_that_exits_fails_at_once(tmp_path: Path) -> None:
    server = _server(tmp_path, ["sh", "-c", "exit 3"], stall_timeout=600, startup_timeout=600)
    with pytest.raises(KeycloakStartError, match="exited with code 3"):
        server._wait_until_ready()


def test_the_ceiling_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("GERBANG_KEYCLOAK_START_SECONDS", "1800")
    assert KeycloakServer(data_dir=tmp_path, admin_password="x").startup_timeout == 1800


def test_issue2_two_dev_servers_on_one_distribution_start_one_at_a_time(
        tmp_path: Path) -> None:
    """start-dev writes its build into the shared distribution: two test workers' first
    starts at once read each other's half-written files (quarkus-application.dat)."""
    import threading
    import time
    from dataclasses import dataclass

    home = tmp_path / "keycloak-x"
    spans: list[tuple[float, float]] = []

    @dataclass
    class Recorded(KeycloakServer):
        def _home(self) -> Path:
            return home

        def launch(self) -> None:
            self._began = time.monotonic()

        def wait_until_ready(self) -> None:
            threading.Event().wait(0.2)
            spans.append((self._began, time.monotonic()))

    servers = [Recorded(data_dir=tmp_path / str(n), admin_password="x") for n in range(2)]
    threads = [threading.Thread(target=server.start) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    first, second = sorted(spans)
    assert first[1] <= second[0]
