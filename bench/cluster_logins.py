"""Issue 11 item 4a: password logins on the two-node production-mode cluster.

The ``akses`` realm (provisioned from realm-config/: its theme, brute-force detection, stored
login events, password policy, its confidential ``akses-portal`` client) against a stock realm
made on the same cluster with Keycloak's defaults and a confidential client with PKCE, at 1, 8
and 32 concurrent clients.

One login is the real login-form flow, the same as the dev-mode benchmark (bench/logins.py)
and the same on both sides: a fresh cookie jar, the authorization request (PKCE), Keycloak's
login page, the form post, the redirect with the code, the client's code exchange. Every
request goes to the public address and ``RoundRobin`` sends it to the next node, as a load
balancer without sticky sessions would: a login's steps land on both nodes, so the
authentication session and the code cross the cluster (Infinispan) inside the timed login.

Each concurrency level is timed in CYCLES rounds of four batches, akses / stock / stock /
akses, so load that drifts over the run (JIT, caches, a PostgreSQL checkpoint, other work on
the machine) weighs on both sides alike; one round of 40 logins a side at one client moved
the ratio by several hundredths from run to run. The warm-up is long (WARMUP_LOGINS a side
at WARMUP_CLIENTS): a fresh cluster's logins kept getting faster for thousands of logins
(at 8 clients from 23/s to 43/s), far more drift than an akses/stock/stock/akses order
cancels, and production runs warm.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from bench.browser import Browser
from bench.cluster import ClusterStack, RoundRobin
from bench.logins import PASSWORD, STOCK_CLIENT, STOCK_REALM, create_stock_realm, create_user
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_concurrently
from bench.stats import Summary, ratio

CONCURRENCY = (1, 8, 32)
# Far more accounts than clients: a person does not log in twice at the same instant, and with
# brute-force detection on Keycloak refuses the second of two concurrent logins of one account.
ACCOUNTS = 256
GOAL = 0.95
# Rounds of each concurrency: one round's ratio strays by up to ±0.2 from the others (a
# garbage collection, a checkpoint, another process on the two cores). Six rounds' pooled
# figure still moved between 0.94 and 1.05 from run to run at one client, so a run missed the
# goal by chance about as often as it met it; twelve halve that spread's variance.
CYCLES = 12
# Timed logins a side in one round at least (one client's batches were too short to average
# out a garbage collection or a checkpoint).
MIN_ROUND = 80
WARMUP_CLIENTS = 8
WARMUP_LOGINS = 1200


def batch_size(count: int, clients: int) -> int:
    """Timed logins per side in one akses/stock/stock/akses round at ``clients`` concurrent
    clients (two batches of half as many): ``count`` halved, at least MIN_ROUND and ten
    logins of every client in each batch -- a batch's wall time ends with its slowest login,
    and a batch of five logins a client let that tail sway the ratio of a round by 0.2 --
    rounded up to an even number."""
    size = max(count // 2, clients * 20, MIN_ROUND)
    return size + size % 2


def merged(batches: list[Summary]) -> Summary:
    """Batches of one side as one sample: their logins, wall time and failures added."""
    return Summary(count=sum(b.count for b in batches), elapsed=sum(b.elapsed for b in batches),
                   latencies=tuple(t for b in batches for t in b.latencies),
                   failures=sum(b.failures for b in batches))


def round_ratios(akses: list[Summary], stock: list[Summary]) -> list[float]:
    """akses ÷ stock logins/s of each akses/stock/stock/akses round (two batches a side)."""
    return [ratio(merged(akses[i:i + 2]).per_second, merged(stock[i:i + 2]).per_second)
            for i in range(0, len(akses), 2)]


def verdict(ratios: list[float], goal: float = GOAL) -> str:
    """"met" when every ratio reaches the goal, else "not met" with the worst ratio."""
    worst = min(ratios)
    return "met" if worst >= goal else f"not met (worst {worst:.2f}×)"


def _login(stack: ClusterStack, turns: Iterator[int], realm: str, client_id: str, secret: str,
           redirect_uri: str, usernames: list[str]) -> Callable[[int], None]:
    def login(index: int) -> None:
        browser = Browser(stack.public_url, realm, client_id, redirect_uri, secret)
        RoundRobin(stack.public_url, stack.node_urls, turns).mount_on(browser.session)
        page = browser.open_login()
        back = browser.submit(page, "kc-form-login", username=usernames[index % len(usernames)],
                              password=PASSWORD)
        browser.exchange(browser.code_from(back))
    return login


def run(stack: ClusterStack, bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    api = stack.admin_api()
    stock_redirect = f"{stack.sidecar_url}/stock/callback"
    stock_secret = secrets.token_urlsafe(24)
    create_stock_realm(api, stock_redirect, stock_secret)
    log(f"cluster logins: {ACCOUNTS} accounts with passwords in akses and in {STOCK_REALM} ...")
    with ThreadPoolExecutor(max_workers=4) as pool:
        akses_users = list(pool.map(lambda i: create_user(api, "akses", i, True),
                                    range(ACCOUNTS)))
        stock_users = list(pool.map(lambda i: create_user(api, STOCK_REALM, i, True),
                                    range(ACCOUNTS)))
    in_akses = int(api.get("/akses/users/count"))
    in_stock = int(api.get(f"/{STOCK_REALM}/users/count"))

    # One load balancer for the whole run: its turns alternate over every request.
    turns = itertools.count()
    sides = {
        "akses": _login(stack, turns, "akses", "akses-portal",
                        stack.realm_env["AKSES_PORTAL_CLIENT_SECRET"],
                        f"{stack.sidecar_url}/akses/oidc/callback", akses_users),
        "stock": _login(stack, turns, STOCK_REALM, STOCK_CLIENT, stock_secret, stock_redirect,
                        stock_users),
    }
    next_index = dict.fromkeys(sides, 0)

    def batch(side: str, clients: int, count: int) -> Summary:
        summary = timed_concurrently(sides[side], clients=clients, count=count,
                                     first_index=next_index[side],
                                     max_seconds=bounds.max_seconds / 2,
                                     label=f"{side} login x{clients}", log=log)
        next_index[side] += count
        return summary

    log(f"  warm-up: {WARMUP_LOGINS} logins per side at {WARMUP_CLIENTS} clients (untimed) ...")
    for _ in range(3):
        for side in sides:
            batch(side, WARMUP_CLIENTS, WARMUP_LOGINS // 3)

    results: list[tuple[int, Summary, Summary, list[float]]] = []
    for clients in CONCURRENCY:
        half = batch_size(bounds.count, clients) // 2
        log(f"  {clients} client(s): {2 * CYCLES} x {half} logins per side, "
            f"{CYCLES} x akses/stock/stock/akses ...")
        batches: dict[str, list[Summary]] = {side: [] for side in sides}
        for _ in range(CYCLES):
            for side in ("akses", "stock", "stock", "akses"):
                batches[side].append(batch(side, clients, half))
        akses, stock = merged(batches["akses"]), merged(batches["stock"])
        rounds = round_ratios(batches["akses"], batches["stock"])
        log(f"    akses {akses.per_second:.2f}/s p95 {fmt_seconds(akses.p95)}; "
            f"stock {stock.per_second:.2f}/s p95 {fmt_seconds(stock.p95)}; rounds "
            + " ".join(f"{r:.2f}" for r in rounds))
        results.append((clients, akses, stock, rounds))
    return _table(results, in_akses, in_stock, len(stack.node_urls), bounds)


def _table(results: list[tuple[int, Summary, Summary, list[float]]], in_akses: int,
           in_stock: int, nodes: int, bounds: Bounds) -> Table:
    table = Table(title=f"Password logins on the {nodes}-node production cluster "
                        "(PostgreSQL, login form flow)",
                  gerbang_label="akses realm", baseline_label="stock realm")
    rate_ratios: list[float] = []
    for clients, akses, stock, rounds in results:
        rate = ratio(akses.per_second, stock.per_second)
        rate_ratios.append(rate)
        table.rows += [
            Row(f"logins/s, {clients} client(s)", f"{akses.per_second:.2f}",
                f"{stock.per_second:.2f}", fmt_ratio(rate)),
            Row(f"p95 latency, {clients} client(s)", fmt_seconds(akses.p95),
                fmt_seconds(stock.p95), fmt_ratio(ratio(akses.p95, stock.p95))),
            Row(f"timed logins (failed), {clients} client(s)",
                f"{akses.count} ({akses.failures})", f"{stock.count} ({stock.failures})"),
            Row(f"ratio of each round, {clients} client(s)", "", "",
                " / ".join(f"{r:.2f}" for r in rounds)),
        ]
    table.rows.append(Row("users in the realm", str(in_akses), str(in_stock)))
    table.notes += [
        f"goal: akses ≥ {GOAL:.2f}× the stock realm's logins/s at every concurrency: "
        f"{verdict(rate_ratios)}.",
        f"{nodes} nodes in `start --optimized` on one PostgreSQL (JDBC_PING), both with the "
        "same --hostname; every request of a login goes to the next node in turn (a load "
        "balancer without sticky sessions), so each login crosses the cluster.",
        "the login form flow on both sides, each login a fresh cookie jar: auth request with "
        "PKCE, login page, form post, code exchange (confidential client).",
        f"per concurrency {2 * CYCLES} batches per side, {CYCLES} times in the order "
        f"akses/stock/stock/akses, each "
        f"batch ending after its logins or {bounds.max_seconds / 2:.0f} s; logins/s is "
        f"logins / wall time of the batches; {ACCOUNTS} accounts per realm, "
        f"{WARMUP_LOGINS} untimed logins a side first.",
        "akses adds its login theme, brute-force detection, stored LOGIN events (not "
        "CODE_TO_TOKEN) and the email event listener; both realms use Keycloak's default "
        "password hashing.",
        "failed: a login that did not end with a code, not counted in logins/s. One account "
        "logged in twice at once fails the second time on the akses side: with brute-force "
        "detection on, Keycloak refuses it (LOGIN_ERROR user_temporarily_disabled; the SPI "
        "option allow-concurrent-requests is off by default, and Gerbang keeps it off). "
        f"With {ACCOUNTS} accounts a side that takes a login slower than {ACCOUNTS} others; "
        "with 64, 3-8 akses logins a run failed so at 32 clients.",
    ]
    return table
