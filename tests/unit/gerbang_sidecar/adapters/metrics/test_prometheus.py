"""Issue 11 item 5: the Prometheus adapter -- the outbox backlog and the CA's certificate
dates read from the database at scrape time, and several gunicorn workers' values merged
(PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from gerbang_sidecar import gunicorn_config
from gerbang_sidecar.adapters.ca.stored import StoredCertificateAuthority
from gerbang_sidecar.adapters.metrics.prometheus import PrometheusMetrics
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.ports.storage import StorageError
from support.clock import FakeClock
from support.metrics_text import samples


def values(metrics: PrometheusMetrics, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return samples(metrics.scrape().body.decode(), name)


def enqueue(storage: Storage, clock: FakeClock, key: str, kind: str = "mail.test",
            not_before_minutes: float = 0) -> None:
    with storage.transaction() as tx:
        tx.outbox.enqueue(kind=kind, payload={"to": "budi@example.com"}, idempotency_key=key,
                          now=clock(),
                          not_before=clock() + timedelta(minutes=not_before_minutes))


def test_outbox_depth_and_age_are_read_from_the_database_when_scraped(
        storage: Storage, clock: FakeClock) -> None:
    metrics = PrometheusMetrics(storage, clock)
    assert values(metrics, "gerbang_outbox_messages") == {}
    assert values(metrics, "gerbang_outbox_backlog_up") == {(): 1.0}
    enqueue(storage, clock, "a1")
    clock.advance(minutes=10)
    enqueue(storage, clock, "a2")
    enqueue(storage, clock, "a3", not_before_minutes=30)  # a retry waiting for its time
    enqueue(storage, clock, "w1", kind="whatsapp.test")
    enqueue(storage, clock, "s1", kind="sent.test")
    enqueue(storage, clock, "d1", kind="dead.test")
    with storage.transaction() as tx:
        claimed = tx.outbox.claim(token="t", kinds=["whatsapp.test", "sent.test", "dead.test"],
                                  now=clock(), lease_until=clock() + timedelta(minutes=5),
                                  limit=10)
        for row in claimed:
            if row.kind != "whatsapp.test":
                tx.outbox.finish(message_id=row.id, token="t", now=clock(), error=None,
                                 status="sent" if row.kind == "sent.test" else "dead")
    clock.advance(minutes=2)
    assert values(metrics, "gerbang_outbox_messages") == {
        (("kind", "mail.test"), ("status", "pending")): 3.0,
        (("kind", "whatsapp.test"), ("status", "in_flight")): 1.0,
        (("kind", "dead.test"), ("status", "dead")): 1.0,
    }
    ages = values(metrics, "gerbang_outbox_oldest_message_age_seconds")
    assert ages[(("kind", "mail.test"), ("status", "pending"))] == 12 * 60
    assert ages[(("kind", "whatsapp.test"), ("status", "in_flight"))] == 2 * 60
    # The oldest pending message has been due since it was queued, 12 minutes ago.
    assert values(metrics, "gerbang_outbox_due_lag_seconds") == {
        (("kind", "mail.test"),): 12 * 60}
    # Nothing is kept in the process: the next scrape sees the table as it is then.
    with storage.transaction() as tx:
        for row in tx.outbox.claim(token="u", kinds=["mail.test"], now=clock(),
                                   lease_until=clock() + timedelta(minutes=5), limit=10):
            tx.outbox.finish(message_id=row.id, token="u", status="sent", error=None,
                             now=clock())
    # Only the retry that is not due yet is left; nothing pending is due any more.
    assert values(metrics, "gerbang_outbox_messages")[
        (("kind", "mail.test"), ("status", "pending"))] == 1.0
    assert values(metrics, "gerbang_outbox_due_lag_seconds") == {(("kind", "mail.test"),): 0.0}


def test_a_database_down_at_scrape_time_is_reported_not_raised(clock: FakeClock) -> None:
    class Down:
        def transaction(self) -> AbstractContextManager[object]:
            raise StorageError("connection refused")

    metrics = PrometheusMetrics(Down(), clock)  # type: ignore[arg-type]
    assert values(metrics, "gerbang_outbox_backlog_up") == {(): 0.0}
    assert values(metrics, "gerbang_outbox_messages") == {}
    assert values(metrics, "gerbang_ca_certificate_expiry_timestamp_seconds") == {}


def test_x6_the_cas_certificate_dates_are_read_when_scraped(storage: Storage,
                                                            clock: FakeClock) -> None:
    metrics = PrometheusMetrics(storage, clock)
    assert values(metrics, "gerbang_ca_certificate_expiry_timestamp_seconds") == {}  # no CA
    authority = StoredCertificateAuthority(storage, b"a key-encryption key", "https://g.test")
    authority.ensure(now=clock())
    lapses = values(metrics, "gerbang_ca_certificate_expiry_timestamp_seconds")
    assert sorted(dict(k)["certificate"] for k in lapses) == [
        "issuing", "ocsp_responder", "root", "timestamping"]
    responder = lapses[(("certificate", "ocsp_responder"),)]
    assert responder == (clock() + timedelta(days=730)).timestamp()
    due = values(metrics, "gerbang_ca_service_key_renewal_due_timestamp_seconds")
    assert due[(("service", "ocsp_responder"),)] == (
        clock() - timedelta(minutes=5) + timedelta(days=365)).timestamp()
    assert set(due) == {(("service", "ocsp_responder"),), (("service", "timestamping"),)}


def test_every_event_of_the_port_reaches_its_metric(storage: Storage, clock: FakeClock) -> None:
    metrics = PrometheusMetrics(storage, clock)
    metrics.one_time_code_checked(purpose="a6_email", outcome="wrong")
    metrics.one_time_code_checked(purpose="a6_email", outcome="locked_out")
    metrics.certificate_operation("revoked")
    metrics.registry_breaker(registry="dukcapil", state="half_open")
    metrics.outbox_delivery(kind="mail.test", outcome="retried", seconds=0.2)
    assert values(metrics, "gerbang_one_time_code_lockouts_total") == {
        (("purpose", "a6_email"),): 1.0}
    assert len(values(metrics, "gerbang_one_time_code_attempts_total")) == 2
    assert values(metrics, "gerbang_certificate_operations_total") == {
        (("operation", "revoked"),): 1.0}
    assert values(metrics, "gerbang_registry_breaker_state") == {
        (("registry", "dukcapil"),): 1.0}
    assert values(metrics, "gerbang_outbox_deliveries_total") == {
        (("kind", "mail.test"), ("outcome", "retried")): 1.0}


_WORKER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from gerbang_sidecar.adapters.metrics.prometheus import PrometheusMetrics
    from gerbang_sidecar.ports.storage import StorageError

    class Down:
        def transaction(self):
            raise StorageError("no database in this test")

    metrics = PrometheusMetrics(Down(), lambda: datetime.now(UTC))
    if sys.argv[1] == "record":
        metrics.http_request(route="/health", method="GET", status=200, seconds=0.01)
        metrics.registry_breaker(registry="dukcapil", state=sys.argv[2])
    else:
        sys.stdout.write(metrics.scrape().body.decode())
""")


def test_several_workers_are_merged_with_prometheus_multiproc_dir(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}

    def run(*args: str) -> str:
        return subprocess.run([sys.executable, "-c", _WORKER, *args], env=env, check=True,
                              capture_output=True, text=True, timeout=120).stdout

    run("record", "closed")  # two workers, each with its own counters and breaker
    run("record", "open")
    families = {f.name: f for f in text_string_to_metric_families(run("scrape"))}
    count = [s for s in families["gerbang_http_request_duration_seconds"].samples
             if s.name.endswith("_count")]
    assert [s.value for s in count] == [2.0]
    breaker = families["gerbang_registry_breaker_state"].samples
    assert [(s.labels["registry"], s.value) for s in breaker] == [("dukcapil", 2.0)]


def test_gunicorn_hooks_empty_the_directory_and_retire_dead_workers(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old run")
    (directory / "gauge_livemax_456.db").write_bytes(b"dead worker")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    gunicorn_config.on_starting(None)
    assert list(directory.iterdir()) == []
    (directory / "gauge_livemax_456.db").write_bytes(b"dead worker")
    gunicorn_config.child_exit(None, SimpleNamespace(pid=456))
    assert list(directory.iterdir()) == []
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    (directory / "counter_789.db").write_bytes(b"kept")
    gunicorn_config.on_starting(None)  # without the variable the hooks do nothing
    assert [p.name for p in directory.iterdir()] == ["counter_789.db"]


def test_the_outbox_process_serves_its_metrics_on_a_port_of_its_own(
        storage: Storage, clock: FakeClock) -> None:
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = PrometheusMetrics(storage, clock)
    metrics.outbox_delivery(kind="mail.test", outcome="sent", seconds=0.1)
    stop = metrics.serve("127.0.0.1", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            body = answer.read().decode()
    finally:
        stop()
    assert 'gerbang_outbox_deliveries_total{kind="mail.test",outcome="sent"} 1.0' in body


def test_x6_a_wrong_ca_kek_shows_on_the_dashboard(storage: Storage, clock: FakeClock) -> None:
    """A page sidecar whose GERBANG_CA_KEK does not open the CA's keys stays ready for every
    other portal; the gauge says so (1: the keys open, 0: they do not)."""
    StoredCertificateAuthority(storage, b"the kek the CA was made with", "https://g.test"
                               ).ensure(now=clock())
    for kek, usable in ((b"the kek the CA was made with", 1.0), (b"another kek", 0.0)):
        authority = StoredCertificateAuthority(storage, kek, "https://g.test")
        metrics = PrometheusMetrics(storage, clock, ca_keys_open=authority.is_usable)
        assert values(metrics, "gerbang_ca_keys_usable") == {(): usable}


def test_x6_the_keys_gauge_reads_0_before_ca_init_and_when_the_check_fails(
        storage: Storage, clock: FakeClock) -> None:
    """Before ca-init there is nothing to open: 0, so an alert on 0 fires. A check that
    raises reads as 0 too, and the rest of the scrape is still there."""
    before = PrometheusMetrics(storage, clock, ca_keys_open=lambda: True)
    assert values(before, "gerbang_ca_keys_usable") == {(): 0.0}
    StoredCertificateAuthority(storage, b"a key-encryption key", "https://g.test"
                               ).ensure(now=clock())

    def broken() -> bool:
        raise RuntimeError("the database went away")

    metrics = PrometheusMetrics(storage, clock, ca_keys_open=broken)
    assert values(metrics, "gerbang_ca_keys_usable") == {(): 0.0}
    assert values(metrics, "gerbang_ca_certificate_expiry_timestamp_seconds")
