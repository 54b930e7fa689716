"""Reading Prometheus text (a /metrics page or a scrape) in tests: samples by name, keyed by
their sorted labels, and the request count the latency histogram kept for one route."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


def samples(text: str, name: str) -> dict[Labels, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def requests_counted(text: str, route: str, status: str, method: str = "GET") -> float:
    return samples(text, "gerbang_http_request_duration_seconds_count").get(
        (("method", method), ("route", route), ("status", status)), 0.0)
