"""deploy/grafana/gerbang-sidecar.json checked statically (issue 11 item 5): every expression
names only metrics the sidecar really registers or that Keycloak documents, and every metric
the sidecar registers is on some panel."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gerbang_sidecar.adapters.ca.stored import StoredCertificateAuthority
from gerbang_sidecar.adapters.metrics.prometheus import PrometheusMetrics
from gerbang_sidecar.adapters.storage.engine import Storage
from support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "gerbang-sidecar.json"

# What Keycloak 26 exports on its management port (9000) /metrics, as its guides name them:
# https://www.keycloak.org/observability/metrics-for-troubleshooting-http (histogram buckets
# with http-metrics-histograms-enabled), .../metrics-for-troubleshooting-keycloak
# (keycloak_user_events_total with event-metrics-user-enabled),
# .../metrics-for-troubleshooting-jvm and .../metrics-for-troubleshooting-database.
KEYCLOAK_METRICS = {
    "http_server_requests_seconds_count", "http_server_requests_seconds_sum",
    "http_server_requests_seconds_max", "http_server_requests_seconds_bucket",
    "http_server_active_requests", "keycloak_user_events_total",
    "jvm_memory_used_bytes", "jvm_memory_committed_bytes", "jvm_gc_pause_seconds_sum",
    "jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_max", "agroal_active_count",
    "agroal_available_count", "agroal_awaiting_count",
}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan"}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from panels(item.get("panels", []))


def expressions(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in panels(dashboard["panels"])
            for target in panel.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names (in selectors or by/without lists), durations or template variables."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables
    names = set()
    for found in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", text):
        name, call = found.group(1), found.group(2)
        if call or name.lower() in PROMQL_WORDS:
            continue
        names.add(name)
    return names


def test_metric_names_are_read_from_promql() -> None:
    assert metric_names('histogram_quantile(0.95, sum by (le, route) (rate('
                        'gerbang_http_request_duration_seconds_bucket{status=~"5.."}'
                        '[$__rate_interval])))') == {"gerbang_http_request_duration_seconds_bucket"}
    assert metric_names('sum(a_total{job=~"$x", e!=""}) / sum(b_count) or vector(0)') == {
        "a_total", "b_count"}


@pytest.fixture(scope="module")
def sidecar_samples(tmp_path_factory: pytest.TempPathFactory,
                    migrated_template: Path) -> set[str]:
    """Every sample name the sidecar's /metrics can show, each family made to report once."""
    import secrets
    import shutil

    from gerbang_sidecar.adapters.storage.crypto import StorageKeys

    path = tmp_path_factory.mktemp("dashboard") / "gerbang.sqlite3"
    shutil.copyfile(migrated_template, path)
    storage = Storage.create(f"sqlite:///{path}", StorageKeys.from_settings(
        secrets.token_urlsafe(32), secrets.token_urlsafe(32)))
    clock = FakeClock()
    with storage.transaction() as tx:
        tx.outbox.enqueue(kind="mail.test", payload={}, idempotency_key="k", now=clock())
    authority = StoredCertificateAuthority(storage, b"a key-encryption key", "https://g.test")
    authority.ensure(now=clock())
    metrics = PrometheusMetrics(storage, clock, ca_keys_open=authority.is_usable)
    metrics.http_request(route="/health", method="GET", status=200, seconds=0.1)
    metrics.registry_call(registry="dukcapil", operation="verify_identity", outcome="match",
                          reason="", seconds=0.1)
    metrics.registry_cache_hit(registry="dukcapil", operation="verify_identity")
    metrics.registry_breaker(registry="dukcapil", state="closed")
    metrics.keycloak_call(operation="get user", outcome="ok", seconds=0.1)
    metrics.one_time_code_requested(purpose="a6_email", outcome="sent")
    metrics.one_time_code_checked(purpose="a6_email", outcome="locked_out")
    metrics.certificate_operation("issued")
    metrics.outbox_delivery(kind="mail.test", outcome="sent", seconds=0.1)
    names = {sample.name for family in metrics.registry.collect() for sample in family.samples}
    storage.dispose()
    return names


def test_every_expression_names_real_metrics(dashboard: dict[str, Any],
                                             sidecar_samples: set[str]) -> None:
    assert expressions(dashboard)
    for title, expr in expressions(dashboard):
        names = metric_names(expr)
        assert names, f"{title}: no metric in {expr}"
        unknown = names - sidecar_samples - KEYCLOAK_METRICS
        assert not unknown, f"{title}: {sorted(unknown)} is neither the sidecar's nor Keycloak's"


def test_every_sidecar_metric_is_on_the_dashboard(dashboard: dict[str, Any],
                                                  sidecar_samples: set[str]) -> None:
    shown = {name for _t, expr in expressions(dashboard) for name in metric_names(expr)}
    families = {re.sub(r"_(total|count|sum|bucket|created)$", "", n) for n in sidecar_samples
                if n.startswith("gerbang_")}
    missing = {f for f in families
               if not any(name == f or name.startswith(f + "_") for name in shown)}
    assert not missing, f"not on any panel: {sorted(missing)}"


def test_keycloak_panels_are_filtered_to_the_keycloak_job(dashboard: dict[str, Any]) -> None:
    for title, expr in expressions(dashboard):
        if metric_names(expr) & KEYCLOAK_METRICS:
            selectors = re.findall(r"\{([^}]*)\}", expr)
            assert selectors and all('job=~"$keycloak_job"' in s for s in selectors), title


def test_the_dashboard_is_importable(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "keycloak_job"} <= variables
    ids = [p["id"] for p in panels(dashboard["panels"])]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard["panels"]):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"
