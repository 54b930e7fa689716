"""The Metrics port's implementations: Prometheus (prometheus-client) and an in-memory
recorder for tests (``ports/metrics.py`` has the null one)."""
