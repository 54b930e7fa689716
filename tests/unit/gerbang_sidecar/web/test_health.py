"""Issue 8 item 11: a cheap public liveness check, and readiness that is cached, bounded in
time and answered only to callers inside (loopback, private networks)."""

from __future__ import annotations

import threading
import time

from flask import Flask

from gerbang_sidecar.services.readiness import ReadinessChecks


def test_liveness_is_public_and_touches_nothing(app: Flask, services) -> None:
    calls: list[str] = []
    services.probes = {"database": lambda: calls.append("db") or True}
    answer = app.test_client().get("/health", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert (answer.status_code, answer.get_json()) == (200, {"status": "up"})
    assert calls == []


def test_readiness_is_not_for_the_internet(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/internal/ready",
                      environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    inside = client.get("/internal/ready", environ_base={"REMOTE_ADDR": "10.0.3.7"})
    assert inside.status_code == 200 and inside.get_json()["checks"]["database"] == "up"
    # A cluster whose pods live in the shared address space (RFC 6598) is inside too.
    assert client.get("/internal/ready",
                      environ_base={"REMOTE_ADDR": "100.72.0.9"}).status_code == 200
    # Through a proxy whose own address is private (source NAT): still not for the internet.
    assert client.get("/internal/ready", environ_base={"REMOTE_ADDR": "10.0.3.7"},
                      headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


def test_a_hanging_system_costs_the_deadline_once_and_is_reported() -> None:
    release = threading.Event()
    calls = {"keycloak": 0, "dukcapil": 0}

    def hanging() -> bool:
        calls["dukcapil"] += 1
        release.wait(10)
        return True

    def quick() -> bool:
        calls["keycloak"] += 1
        return True

    checks = ReadinessChecks({"database": lambda: True, "keycloak": quick,
                              "dukcapil": hanging}, deadline=0.3, max_age=60)
    started = time.monotonic()
    first = checks.check()
    assert time.monotonic() - started < 2
    assert first.checks == {"database": "up", "dukcapil": "timeout", "keycloak": "up"}
    assert first.status == "degraded" and first.ready
    # Asked again at once: the hanging probe is not started a second time, the others are
    # answered from the cache.
    checks.check()
    assert calls == {"keycloak": 1, "dukcapil": 1}
    release.set()
    checks.close()


def test_a_database_down_is_not_ready() -> None:
    checks = ReadinessChecks({"database": lambda: False}, deadline=1, max_age=0)
    assert not checks.check().ready
    checks.close()
