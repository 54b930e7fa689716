"""Summaries of timed samples: throughput and latency percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (``pct`` in 0..100): a value that was actually observed,
    which is what "p95 latency" means to someone reading a table of 50 requests."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, not {pct}")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """``count`` operations, each taking ``latencies`` seconds, in ``elapsed`` wall seconds."""

    count: int
    elapsed: float
    latencies: tuple[float, ...]
    failures: int = 0

    @property
    def per_second(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def mean(self) -> float:
        return sum(self.latencies) / len(self.latencies)


def ratio(value: float, baseline: float) -> float:
    """value / baseline; infinity when the baseline is zero (shown as such, not a crash)."""
    return value / baseline if baseline else math.inf
