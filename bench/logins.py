"""Issue 4 item 8b: password logins on the provisioned ``akses`` realm against a stock realm.

One login is what a browser does with a fresh cookie jar: the authorization request (PKCE),
Keycloak's login page, the form post, the redirect with the code, and the client's code
exchange for tokens. Both realms live on the same server and hold the same number of users;
the logins cycle through the same number of accounts with passwords on each side.

What differs is what Gerbang configures on ``akses``: its login theme, brute-force detection,
stored login events (a database write per login), the password policy and the confidential
``akses-portal`` client. The stock realm has Keycloak's defaults and a confidential client
with PKCE too.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from bench.browser import Browser
from bench.environment import Stack
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_pair
from bench.stats import Summary, ratio
from gerbang_ops.provision.keycloak_api import KeycloakApi

STOCK_REALM = "stock-login"
STOCK_CLIENT = "bench-login"
ACCOUNTS = 20
# Untimed logins per side first, as the cluster benchmark does (cluster_logins.py): a realm
# Keycloak has just been given compiles its theme, fills its caches and warms the JIT over
# many more than the five of the other benchmarks.
WARMUP_LOGINS = 200
# Meets the AKSes policy (C1): upper, lower, digit, special, 8+, not the username or email.
PASSWORD = "Masuk#Bench2025"


def create_user(api: KeycloakApi, realm: str, index: int, with_password: bool) -> str:
    email = f"login.{index:05d}@example.com"
    user = {"username": email, "email": email, "emailVerified": True, "enabled": True,
            "firstName": "PENGGUNA UJI", "lastName": "BENCH"}
    if with_password:
        user["credentials"] = [{"type": "password", "value": PASSWORD, "temporary": False}]
    api.post(f"/{realm}/users", user)
    return email


def create_stock_realm(api: KeycloakApi, redirect_uri: str, secret: str) -> None:
    api.post("", {"realm": STOCK_REALM, "enabled": True})
    api.post(f"/{STOCK_REALM}/clients", {
        "clientId": STOCK_CLIENT, "publicClient": False, "secret": secret,
        "standardFlowEnabled": True, "redirectUris": [redirect_uri],
        "attributes": {"pkce.code.challenge.method": "S256"}})


def _login(stack: Stack, realm: str, client_id: str, secret: str, redirect_uri: str,
           usernames: list[str]) -> Callable[[int], None]:
    def login(index: int) -> None:
        browser = Browser(stack.keycloak.url, realm, client_id, redirect_uri, secret)
        page = browser.open_login()
        back = browser.submit(page, "kc-form-login", username=usernames[index % len(usernames)],
                              password=PASSWORD)
        browser.exchange(browser.code_from(back))
    return login


def run(stack: Stack, bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    api = stack.admin_api()
    stock_redirect = f"{stack.sidecar_url}/stock/callback"
    stock_secret = secrets.token_urlsafe(24)
    create_stock_realm(api, stock_redirect, stock_secret)

    akses_users = [create_user(api, "akses", i, True) for i in range(ACCOUNTS)]
    stock_users = [create_user(api, STOCK_REALM, i, True) for i in range(ACCOUNTS)]
    # The same number of users on both sides: akses also holds the registration benchmark's.
    in_akses = int(api.get("/akses/users/count"))
    for i in range(ACCOUNTS, in_akses):
        create_user(api, STOCK_REALM, i, False)
    in_stock = int(api.get(f"/{STOCK_REALM}/users/count"))
    bounds = dataclasses.replace(bounds, warmup=max(bounds.warmup, WARMUP_LOGINS))
    log(f"password logins: {in_akses} users in akses, {in_stock} in {STOCK_REALM}, "
        f"{bounds.count} logins each after {bounds.warmup} warm-up, in turns of {bounds.block} ...")

    akses, stock = timed_pair(
        _login(stack, "akses", "akses-portal", stack.realm_env["AKSES_PORTAL_CLIENT_SECRET"],
               f"{stack.sidecar_url}/akses/oidc/callback", akses_users),
        _login(stack, STOCK_REALM, STOCK_CLIENT, stock_secret, stock_redirect, stock_users),
        bounds, ("akses login", "stock login"), log)
    return _table(akses, stock, in_akses, in_stock, bounds)


def _table(akses: Summary, stock: Summary, in_akses: int, in_stock: int,
           bounds: Bounds) -> Table:
    table = Table(title="Password logins (authorization-code flow)",
                  gerbang_label="akses realm", baseline_label="stock realm")
    table.rows += [
        Row("logins per second", f"{akses.per_second:.2f}", f"{stock.per_second:.2f}",
            fmt_ratio(ratio(akses.per_second, stock.per_second))),
        Row("p50 latency", fmt_seconds(akses.p50), fmt_seconds(stock.p50),
            fmt_ratio(ratio(akses.p50, stock.p50))),
        Row("p95 latency", fmt_seconds(akses.p95), fmt_seconds(stock.p95),
            fmt_ratio(ratio(akses.p95, stock.p95))),
        Row("timed logins (failed)", f"{akses.count} ({akses.failures})",
            f"{stock.count} ({stock.failures})"),
        Row("users in the realm", str(in_akses), str(in_stock)),
    ]
    table.notes += [
        f"sequential, {bounds.warmup} warm-up then up to {bounds.count} logins or "
        f"{bounds.max_seconds:.0f} s per side, the sides taking turns every {bounds.block}, "
        f"cycling through {ACCOUNTS} accounts; each login "
        "is a fresh cookie jar: auth request with PKCE, login page, form post, code exchange.",
        "akses adds its login theme, brute-force detection, stored LOGIN events (not "
        "CODE_TO_TOKEN) and the email event listener; both realms use Keycloak's default "
        "password hashing.",
    ]
    return table
