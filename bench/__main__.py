"""``python -m bench`` (``make bench``): every benchmark against one fresh Keycloak.

Prints one table per benchmark and writes them all to bench/RESULTS.md for the README. The
certificate benchmarks (issue 12) need no Keycloak: they run after it has stopped, and
without starting it when ``--only`` names nothing else. So does ``cluster-logins`` (issue 11),
which starts a Keycloak cluster of its own in production mode once the dev-mode one is gone.
The scale benchmarks with 10,000 and 100,000 users are ``python -m bench.scale``
(``make bench-scale``).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    captcha,
    certificate_issuance,
    cluster_logins,
    crl,
    enumeration,
    insw_registration,
    logins,
    ocsp,
    oss_registration,
    otp_devices,
    pdf_signing,
    provisioning,
    registration,
    selfie,
)
from bench.cluster import running_cluster
from bench.environment import running_stack
from bench.report import Table, render_document, render_text
from bench.runner import Bounds
from gerbang_ops.keycloak import KEYCLOAK_VERSION

RESULTS = Path(__file__).with_name("RESULTS.md")
STACK_BENCHMARKS = ("registration", "oss-registration", "insw-registration", "logins",
                    "enumeration", "captcha", "selfie", "otp-devices")
CERTIFICATE_BENCHMARKS = ("certificate-issuance", "crl", "ocsp", "pdf-signing")
CLUSTER_BENCHMARKS = ("cluster-logins",)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=80,
                        help="timed operations per side (default 80)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed operations first")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="time limit per side and benchmark (default 60)")
    parser.add_argument("--block", type=int, default=10,
                        help="operations per turn before the other side runs (default 10)")
    parser.add_argument("--only", choices=[*STACK_BENCHMARKS, *CLUSTER_BENCHMARKS,
                                           *CERTIFICATE_BENCHMARKS],
                        action="append",
                        help="run only this benchmark (repeatable); Keycloak's are run after "
                             "provisioning")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="where to write the Markdown results (default bench/RESULTS.md)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bounds = Bounds(count=args.count, warmup=args.warmup, max_seconds=args.max_seconds,
                    block=args.block)
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    def log(line: str) -> None:
        print(line, flush=True)

    # The fake registries' and the sidecar's request logs (a line per request) would bury the
    # progress lines.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    tables: list[Table] = []
    failed: list[str] = []

    def run_each(benchmarks: dict[str, Callable[[], Table]]) -> None:
        for name, benchmark in benchmarks.items():
            if args.only and name not in args.only:
                continue
            # One benchmark failing must not throw away the others' figures.
            try:
                tables.append(benchmark())
            except Exception:
                logging.getLogger("bench").exception("benchmark %s failed", name)
                failed.append(name)

    if not args.only or set(args.only) & set(STACK_BENCHMARKS):
        with running_stack(log) as stack:
            table, specs = provisioning.run(stack, log)
            tables.append(table)
            run_each({
                "registration": lambda: registration.run(stack, specs, bounds, log),
                "oss-registration": lambda: oss_registration.run(stack, specs, bounds, log),
                "insw-registration": lambda: insw_registration.run(stack, specs, bounds, log),
                "logins": lambda: logins.run(stack, bounds, log),
                "enumeration": lambda: enumeration.run(stack, bounds, log),
                "captcha": lambda: captcha.run(bounds, log),
                "selfie": lambda: selfie.run(bounds, log),
                "otp-devices": lambda: otp_devices.run(stack, bounds, log),
            })
    # The dev-mode Keycloak stopped by now: the production-mode cluster has the machine.
    cluster_ran = not args.only or "cluster-logins" in args.only
    if cluster_ran:
        try:
            with running_cluster(log) as cluster:
                run_each({"cluster-logins": lambda: cluster_logins.run(cluster, bounds, log)})
        except Exception:  # the cluster did not start: the other benchmarks' figures stay
            logging.getLogger("bench").exception("the Keycloak cluster did not start")
            failed.append("cluster-logins")
    # Keycloak stopped by now: its threads no longer share the CPU with these.
    run_each({
        "certificate-issuance": lambda: certificate_issuance.run(bounds, log),
        "crl": lambda: crl.run(bounds, log),
        "ocsp": lambda: ocsp.run(bounds, log),
        "pdf-signing": lambda: pdf_signing.run(bounds, log),
    })

    for table in tables:
        print()
        print(render_text(table))
    minutes = (time.monotonic() - started) / 60
    preamble = [
        f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: Keycloak "
        f"{KEYCLOAK_VERSION} in dev mode (embedded H2) on loopback, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}; whole run {minutes:.1f} min; 1-minute load "
        f"average {load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end "
        "(other work on the machine shows here: both sides of a table ran interleaved, so "
        "it weighs on both).",
        "Each table compares Gerbang with a baseline measured on the same server in the same "
        "run; a ratio is Gerbang / baseline (for latencies lower is better, for rates higher).",
        "Absolute figures depend on the machine and on dev mode (theme caching off, H2); the "
        "ratios are the figures to compare across machines.",
    ]
    if cluster_ran:
        preamble.append(
            "The cluster logins ran apart, after the dev-mode Keycloak had stopped: two "
            "Keycloak nodes in production mode (`start --optimized`) on a throw-away "
            "PostgreSQL, requests alternating between them.")
    args.output.write_text(render_document(tables, preamble), encoding="utf-8")
    print(f"\nwritten to {args.output} in {minutes:.1f} min")
    if failed:
        print(f"failed: {', '.join(failed)} (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
