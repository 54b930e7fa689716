"""Bounded timing loops: a warm-up, then N operations or a time limit, whichever is first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.stats import Summary

Operation = Callable[[int], None]
Log = Callable[[str], None]


@dataclass(frozen=True)
class Bounds:
    count: int = 80
    warmup: int = 5
    max_seconds: float = 60.0
    # Gerbang and baseline take turns in blocks of this many operations, so a noisy neighbour
    # on the machine (other builds, a test suite) slows both sides alike, not just one.
    block: int = 10


@dataclass
class _Side:
    label: str
    operation: Operation
    index: int = 0
    elapsed: float = 0.0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)

    def done(self, bounds: Bounds) -> bool:
        return (len(self.latencies) + self.failures >= bounds.count
                or self.elapsed >= bounds.max_seconds)

    def run_block(self, bounds: Bounds, log: Log) -> None:
        started = time.perf_counter()
        for _ in range(bounds.block):
            if len(self.latencies) + self.failures >= bounds.count:
                break
            if time.perf_counter() - started + self.elapsed >= bounds.max_seconds:
                break
            began = time.perf_counter()
            try:
                self.operation(self.index)
            except Exception as exc:  # a benchmark reports a failed operation and goes on
                self.failures += 1
                if self.failures <= 3:
                    log(f"  {self.label} #{self.index} failed: {type(exc).__name__}: {exc}")
            else:
                self.latencies.append(time.perf_counter() - began)
            self.index += 1
        self.elapsed += time.perf_counter() - started

    def summary(self) -> Summary:
        if not self.latencies:
            raise RuntimeError(f"{self.label}: every timed operation failed")
        return Summary(count=len(self.latencies), elapsed=self.elapsed,
                       latencies=tuple(self.latencies), failures=self.failures)


def timed_pair(gerbang: Operation, baseline: Operation, bounds: Bounds,
               labels: tuple[str, str] = ("gerbang", "baseline"),
               log: Log = print) -> tuple[Summary, Summary]:
    """Time both sides sequentially, taking turns block by block; ``operation(i)`` gets
    consecutive indexes per side (warm-up first), e.g. to pick the i-th synthetic person.

    Sequential on purpose: the machine has 2 cores and Keycloak needs them; a client pool
    would measure contention between our threads and the server as much as either. A failed
    operation is counted, logged (the first three) and kept out of the latencies.
    """
    sides = [_Side(labels[0], gerbang), _Side(labels[1], baseline)]
    for side in sides:
        for _ in range(bounds.warmup):
            side.operation(side.index)
            side.index += 1
    while not all(side.done(bounds) for side in sides):
        for side in sides:
            if not side.done(bounds):
                side.run_block(bounds, log)
    return sides[0].summary(), sides[1].summary()


def timed_concurrently(operation: Operation, *, clients: int, count: int, first_index: int,
                       max_seconds: float, label: str, log: Log = print) -> Summary:
    """``count`` operations by ``clients`` threads at once, each taking the next index from
    ``first_index`` on; ``elapsed`` is the wall time of the whole batch, so ``per_second`` is
    the throughput the server sustained at that concurrency. Stops early at ``max_seconds``.
    """
    lock = threading.Lock()
    state = {"next": first_index, "failures": 0}
    latencies: list[float] = []
    end = first_index + count
    started = time.perf_counter()

    def client() -> None:
        while time.perf_counter() - started < max_seconds:
            with lock:
                index = state["next"]
                if index >= end:
                    return
                state["next"] += 1
            began = time.perf_counter()
            try:
                operation(index)
            except Exception as exc:  # counted and reported, the run goes on
                with lock:
                    state["failures"] += 1
                    if state["failures"] <= 3:
                        log(f"  {label} #{index} failed: {type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, name=f"{label}-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if not latencies:
        raise RuntimeError(f"{label}: every timed operation failed")
    return Summary(count=len(latencies), elapsed=elapsed, latencies=tuple(latencies),
                   failures=int(state["failures"]))
