"""Registrations through the sidecar against Keycloak's own registration form, at 1, 8 and
32 concurrent clients, both sides in the same run.

Gerbang side: the sidecar's AKSes registration pages over HTTP, as a user's browser goes
through them (one fresh cookie jar per registration): GET the "Individu Lokal" form, POST it
("Selanjutnya": form rules, Dukcapil, KSEI for investors, the pending row; the confirmation
page), POST "Aktivasi" (accepted, queued) and follow the redirect to the thank-you page. The
outbox worker then makes the account (the duplicate check in the identity index, the
Keycloak user in its group, identity records) and has Keycloak send the action email; a
batch counts as done when the last of its activation emails is in the mail sink, so the
rate includes that work while the latencies are the pages the user waits for. The sidecar
runs as production runs it: under gunicorn with the command line of docker-compose.yml
(workers, threads), on PostgreSQL, with the real Keycloak, the fake registries in their own
process (seeded with the benchmark's synthetic people, answering at once) and the mail sink;
rate limits are off, every request comes from one address.

Baseline: a stock realm with ``registrationAllowed`` and the same user-profile attributes,
driven through Keycloak's registration page over HTTP (GET the page, POST the form). With
``verifyEmail`` on, Keycloak too sends one email per registration; it also hashes the
password typed on the form, which the sidecar does not (the user sets it from the email).
"""

from __future__ import annotations

import copy
import html
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from bench.browser import Browser, Form, PageError, find_form
from bench.environment import Stack, compose_gunicorn_arguments, compose_outbox_arguments
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_concurrently
from bench.stats import Summary, ratio
from bench.synthetic import Person, synthetic_people, write_seed
from gerbang_ops.keycloak.server import free_port
from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.portals import portal
from gerbang_sidecar.texts import translate

STOCK_REALM = "stock-register"
STOCK_CLIENT = "bench-register"
# The attributes the sidecar writes on a new AKSes user; the stock form asks for them instead.
PROFILE_ATTRIBUTES = ("nik", "passport", "sid", "investorType", "phoneNumber")
REQUIRED_ON_FORM = ("nik", "phoneNumber")
PASSWORD = "Daftar#Bench2025"


# --- Gerbang: the sidecar's registration pages ---------------------------------------------

FORM_PATH = "/akses/daftar/individu-lokal"
# The pages' HTML ids (web/templates/akses/register_*.html), as the browser tests use them.
FORM_ID, CONFIRMATION_FORM_ID = "registration-form", "activate-form"
THANKS_HEADING = 'id="thanks"'
PAGE_TIMEOUT = 30.0  # seconds; a stuck page fails the registration instead of the run
# The thank-you page's sentence when the action email went out, in either page language.
EMAIL_SENT = tuple(translate("reg.thanks.sent", lang) for lang in ("id", "en"))


@contextmanager
def child_process(argv: list[str], log_path: Path,
                  env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A Python child of the benchmark's, stopped with SIGTERM at the end of the block."""
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, *argv], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def fake_registries_process(stack: Stack, people: list[Person]) -> Iterator[str]:
    """The fake registries, seeded with ``people``, in a process of their own (their answers
    must not compete with the load generator for one interpreter)."""
    seed = write_seed(people, stack.work_dir / "registry-seed.json")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with child_process(["-m", "gerbang_sidecar.fake_registry", "--port", str(port), "--seed",
                        str(seed)], stack.work_dir / "fake-registry.log") as process:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/dukcapil/health", timeout=2)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the fake registries did not start") from None
                time.sleep(0.2)
        yield url


def sidecar_environment(stack: Stack, registry_url: str, database_url: str) -> dict[str, str]:
    """The sidecar's environment as docker-compose.yml gives it, pointed at this stack."""
    env = stack.realm_env
    return {
        "PATH": os.environ.get("PATH", ""), "GERBANG_ENV": "production",
        "GERBANG_INSTANCE_PATH": str(stack.work_dir / "sidecar"),
        "DATABASE_URL": database_url,
        **{name: secrets.token_urlsafe(32) for name in
           ("GERBANG_SECRET_KEY", "GERBANG_PII_KEY", "GERBANG_BLIND_INDEX_KEY",
            "GERBANG_CA_KEK")},
        "KEYCLOAK_URL": stack.keycloak.url, "SIDECAR_CLIENT_SECRET": env["SIDECAR_CLIENT_SECRET"],
        "SIDECAR_PUBLIC_URL": stack.sidecar_url,
        **{client.secret_variable: env[client.secret_variable]
           for client in portal("akses").clients},
        **{f"{name.upper()}_URL": f"{registry_url}/{name}"
           for name in ("dukcapil", "oss", "ksei", "bkn", "sipp")},
        "MESSAGE_GATEWAY_URL": f"{registry_url}/gateway",
        "SMTP_HOST": stack.mail_sink.smtp_host, "SMTP_PORT": str(stack.mail_sink.smtp_port),
        "MAIL_FROM": "no-reply@gerbang.test",
        "LOG_LEVEL": "WARNING",  # one INFO line per step would be timed too
        # X2 would refuse the benchmark after 10 activations from one address.
        "RATE_LIMITS_ENABLED": "false",
    }


@contextmanager
def sidecar_served(stack: Stack, people: list[Person]) -> Iterator[str]:
    """The sidecar at ``stack.sidecar_url`` (the realms' SIDECAR_PUBLIC_URL, so the action
    email's redirect to the portal is one ``akses-portal`` allows), under gunicorn, with its
    outbox worker in a process of its own, as docker-compose.yml runs them."""
    with fake_registries_process(stack, people) as registry_url:
        database = stack.postgres.create_database()
        env = sidecar_environment(stack, registry_url, stack.postgres.url(database))
        subprocess.run([sys.executable, "-m", "gerbang_sidecar.migrations", "upgrade"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        with child_process(["-m", "gerbang_sidecar", *compose_outbox_arguments()],
                           stack.work_dir / "outbox.log", env), \
                stack.sidecar.serving_gunicorn(compose_gunicorn_arguments(), env,
                                               stack.work_dir / "sidecar.log") as url:
            yield url


def _page_form(page: requests.Response, form_id: str, step: str) -> Form:
    """The page's form, with its action made absolute; a wrong page is a failed registration."""
    form = find_form(page.text, form_id) if page.status_code == 200 else None
    if form is None:
        raise PageError(f"{step}: no form #{form_id} (status {page.status_code}, {page.url})")
    form.action = urljoin(page.url, form.action)
    return form


def check_thank_you(page: requests.Response) -> None:
    """The thank-you page saying the action email was sent, or PageError."""
    text = html.unescape(page.text)
    if page.status_code != 200 or THANKS_HEADING not in text:
        raise PageError(f"Aktivasi: no thank-you page (status {page.status_code}, {page.url})")
    if not any(sentence in text for sentence in EMAIL_SENT):
        raise PageError("Aktivasi: the thank-you page says the email was not sent")


def register_through_pages(sidecar_url: str, person: Person) -> None:
    """One registration as a browser makes it: form, "Selanjutnya", "Aktivasi", thank-you.
    A fresh session each time: the registration's token lives in the session cookie."""
    typed = {k: v for k, v in person.registration_form().items() if k != "type"}
    with requests.Session() as browser:
        page = browser.get(sidecar_url + FORM_PATH, timeout=PAGE_TIMEOUT)
        form = _page_form(page, FORM_ID, "form")
        if "csrf_token" not in form.fields:
            raise PageError("form: no csrf_token field")
        confirmation = browser.post(form.action, data={**form.fields, **typed},
                                    timeout=PAGE_TIMEOUT)
        activate = _page_form(confirmation, CONFIRMATION_FORM_ID, "Selanjutnya")
        # Aktivasi answers with a redirect to the thank-you page, followed as a browser does.
        check_thank_you(browser.post(activate.action, data=activate.fields,
                                     timeout=PAGE_TIMEOUT))


def _sidecar_registration(sidecar_url: str, people: list[Person]) -> Callable[[int], None]:
    def register(index: int) -> None:
        register_through_pages(sidecar_url, people[index])
    return register


# --- Baseline: Keycloak's own registration form on a stock realm ---------------------------


def create_stock_realm(api: KeycloakApi, stack: Stack, akses: RealmSpec) -> None:
    """A realm with Keycloak's defaults except: registration on, email as username, email
    verification through the same mail sink, and the AKSes user-profile attributes."""
    api.post("", {
        "realm": STOCK_REALM, "enabled": True, "registrationAllowed": True,
        "registrationEmailAsUsername": True, "verifyEmail": True,
        "smtpServer": {"host": stack.mail_sink.smtp_host, "port": str(stack.mail_sink.smtp_port),
                       "from": "no-reply@stock.test"},
    })
    api.post(f"/{STOCK_REALM}/clients", {
        "clientId": STOCK_CLIENT, "publicClient": True, "standardFlowEnabled": True,
        "redirectUris": [f"{stack.sidecar_url}/stock/*"]})
    profile = api.get(f"/{STOCK_REALM}/users/profile")
    profile["attributes"] += stock_attributes(akses)
    api.put(f"/{STOCK_REALM}/users/profile", profile)


def stock_attributes(akses: RealmSpec) -> list[dict[str, Any]]:
    """The AKSes attributes with their validators, editable by the user so the registration
    form shows them (in AKSes only admins -- the sidecar -- write them)."""
    declared = {a["name"]: a for a in (akses.user_profile or {}).get("attributes", [])}
    attributes = []
    for name in PROFILE_ATTRIBUTES:
        attribute = copy.deepcopy(declared[name])
        attribute["permissions"] = {"view": ["admin", "user"], "edit": ["admin", "user"]}
        if name in REQUIRED_ON_FORM:
            attribute["required"] = {"roles": ["user"]}
        attributes.append(attribute)
    return attributes


def _stock_registration(stack: Stack, people: list[Person]) -> Callable[[int], None]:
    redirect_uri = f"{stack.sidecar_url}/stock/callback"

    def register(index: int) -> None:
        person = people[index]
        given, _, family = person.name.partition(" ")
        browser = Browser(stack.keycloak.url, STOCK_REALM, STOCK_CLIENT, redirect_uri)
        page = browser.open_registration()
        done = browser.submit(page, "kc-register-form", email=person.email, firstName=given,
                              lastName=family or given, password=PASSWORD,
                              **{"password-confirm": PASSWORD}, nik=person.nik,
                              phoneNumber=person.phone, investorType="individu-lokal")
        # Success is the "verify your email" page; a refused form comes back with errors.
        if done.status_code != 200 or find_form(done.text, "kc-register-form") is not None:
            raise PageError(f"registration not accepted (status {done.status_code})")
    return register


# --- the benchmark ---------------------------------------------------------------------------


def _count_users(api: KeycloakApi, realm: str) -> int:
    return int(api.get(f"/{realm}/users/count"))


def _mails_to(mailbox: MailSinkClient, tag: str) -> int:
    return sum(1 for m in mailbox.messages()
               if any(to.startswith(f"{tag}.") for to in m.get("to", [])))


CONCURRENCY = (1, 8, 32)


@dataclass(frozen=True)
class Level:
    clients: int
    gerbang: Summary
    baseline: Summary


def _count_at(bounds: Bounds, clients: int) -> int:
    """Timed registrations per side at a concurrency: enough for every client to finish
    several, so the figure is the server's steady rate rather than its ramp."""
    return max(bounds.count, 6 * clients)


def _warmup_at(bounds: Bounds, clients: int) -> int:
    """Untimed registrations per side first: enough to reach every gunicorn worker and
    thread (their first request connects and compiles) and to warm Keycloak's JIT."""
    return max(bounds.warmup, clients)


def _until_mailed(summary: Summary, mailbox: MailSinkClient, expected: int,
                  tag: str) -> Summary:
    """The batch again, its wall time extended until ``expected`` sidecar activation emails
    are in the mail sink: the worker's share of a registration happens after the pages."""
    started = time.monotonic()
    _settled(lambda: _mails_to(mailbox, tag), expected, interval=0.05)
    return Summary(count=summary.count, elapsed=summary.elapsed + time.monotonic() - started,
                   latencies=summary.latencies, failures=summary.failures)


def _merge(first: Summary, second: Summary) -> Summary:
    return Summary(count=first.count + second.count, elapsed=first.elapsed + second.elapsed,
                   latencies=first.latencies + second.latencies,
                   failures=first.failures + second.failures)


def ensure_stock_realm(stack: Stack, specs: list[RealmSpec]) -> None:
    """The baseline realm, made once per run (both registration benchmarks use it)."""
    api = stack.admin_api()
    if api.get_or_none(f"/{STOCK_REALM}") is None:
        create_stock_realm(api, stack, next(s for s in specs if s.name == "akses"))


def run(stack: Stack, specs: list[RealmSpec], bounds: Bounds,
        log: Callable[[str], None] = print) -> Table:
    ensure_stock_realm(stack, specs)
    total = sum(_warmup_at(bounds, clients) + _count_at(bounds, clients)
                for clients in CONCURRENCY)
    people = synthetic_people(total, tag="sidecar")
    stock_people = synthetic_people(total, tag="stock")
    with sidecar_served(stack, people) as sidecar_url:
        levels, created, mails = compare(
            stack, "akses", "sidecar", _sidecar_registration(sidecar_url, people),
            "stock", _stock_registration(stack, stock_people), CONCURRENCY, bounds, log)
    return _table(levels, created, mails, bounds)


def compare(stack: Stack, realm: str, tag: str, operation: Callable[[int], None],
            stock_tag: str, stock_operation: Callable[[int], None],
            concurrency: tuple[int, ...], bounds: Bounds, log: Callable[[str], None],
            before_batch: Callable[[int], None] | None = None, mails_follow: bool = True
            ) -> tuple[list[Level], tuple[int, int], tuple[int, int]]:
    """The sidecar's registrations in ``realm`` against Keycloak's form, at each concurrency:
    warm-ups, then two halves in opposite order; a sidecar batch lasts until its activation
    emails (to ``tag``.* addresses) are in the mail sink. ``before_batch(n)`` runs untimed
    before each sidecar batch of n (the OSS captcha is solved ahead there). Without
    ``mails_follow`` (INSW: a reviewer decides first) a batch ends with its pages."""
    api = stack.admin_api()
    users_before = (_count_users(api, realm), _count_users(api, STOCK_REALM))
    mails_before = (_mails_to(stack.mailbox(), tag), _mails_to(stack.mailbox(), stock_tag))
    levels: list[Level] = []
    mailbox = stack.mailbox()
    mailed = mails_before[0]  # sidecar registrations whose activation email is due
    sides = {"sidecar": operation, "stock": stock_operation}

    def batch(name: str, clients: int, count: int, first: int, label: str) -> Summary:
        nonlocal mailed
        if name == "sidecar" and before_batch is not None:
            before_batch(count)
        summary = timed_concurrently(sides[name], clients=clients, count=count,
                                     first_index=first, max_seconds=bounds.max_seconds,
                                     label=label, log=log)
        if name == "sidecar" and mails_follow:
            mailed += summary.count - summary.failures
            summary = _until_mailed(summary, mailbox, mailed, tag)
        return summary

    next_index = 0
    for clients in concurrency:
        count = _count_at(bounds, clients)
        warmup = _warmup_at(bounds, clients)
        log(f"{realm} registrations at {clients} client(s): {count} per side after {warmup} "
            "warm-up, in two halves, the sides taking turns ...")
        for name in sides:  # warm-up: connections, JIT, caches, workers
            batch(name, clients, warmup, next_index, "warm-up")
        next_index += warmup
        halves: dict[str, list[Summary]] = {"sidecar": [], "stock": []}
        # Two halves in opposite order, so neither side always runs right after the other.
        for order in (("sidecar", "stock"), ("stock", "sidecar")):
            half = count // 2 if order[0] == "sidecar" else count - count // 2
            for name in order:
                halves[name].append(batch(name, clients, half, next_index,
                                          f"{name}@{clients}"))
            next_index += half
        levels.append(Level(clients, _merge(*halves["sidecar"]), _merge(*halves["stock"])))
    created = (_count_users(api, realm) - users_before[0],
               _count_users(api, STOCK_REALM) - users_before[1])
    mails = (_mails_to(mailbox, tag) - mails_before[0],
             _mails_to(mailbox, stock_tag) - mails_before[1])
    return levels, created, mails


def _settled(count: Callable[[], int], expected: int, *, interval: float = 0.05,
             patience: float = 60.0) -> int:
    """``count()`` once it reaches ``expected``, or once it stopped growing for ``patience``
    seconds (a mail that never comes shows in the table's totals)."""
    last, seen = -1, count()
    quiet_since = time.monotonic()
    while seen < expected and time.monotonic() - quiet_since < patience:
        time.sleep(interval)
        last, seen = seen, count()
        if seen != last:
            quiet_since = time.monotonic()
    return seen


def level_rows(levels: list[Level], created: tuple[int, int],
               mails: tuple[int, int]) -> list[Row]:
    """Rate, p50, p95 and counts per concurrency, then the users and mails made."""
    rows = []
    for level in levels:
        g, b = level.gerbang, level.baseline
        n = f"{level.clients} client{'s' if level.clients > 1 else ''}"
        rows += [
            Row(f"{n}: registrations per second", f"{g.per_second:.2f}", f"{b.per_second:.2f}",
                fmt_ratio(ratio(g.per_second, b.per_second))),
            Row(f"{n}: p50 latency", fmt_seconds(g.p50), fmt_seconds(b.p50),
                fmt_ratio(ratio(g.p50, b.p50))),
            Row(f"{n}: p95 latency", fmt_seconds(g.p95), fmt_seconds(b.p95),
                fmt_ratio(ratio(g.p95, b.p95))),
            Row(f"{n}: timed registrations (failed)", f"{g.count} ({g.failures})",
                f"{b.count} ({b.failures})"),
        ]
    return [*rows, Row("users created incl. warm-ups", str(created[0]), str(created[1])),
            Row("emails sent incl. warm-ups", str(mails[0]), str(mails[1]))]


def _table(levels: list[Level], created: tuple[int, int], mails: tuple[int, int],
           bounds: Bounds) -> Table:
    table = Table(title="Registrations (AKSes Individu Lokal), concurrent clients",
                  gerbang_label="sidecar pages (gunicorn)",
                  baseline_label="Keycloak registration form")
    table.rows += level_rows(levels, created, mails)
    arguments = " ".join(compose_gunicorn_arguments()[:-1])
    table.notes += [
        f"at each concurrency: {bounds.warmup} untimed registrations (or one per client, if "
        "more), then the timed ones in "
        "two halves, sidecar then Keycloak, Keycloak then sidecar; a rate is the registrations "
        "completed over the wall time of the batch. Every second synthetic person is a KSEI "
        "investor (two registry calls and two roles), the others Registered Users.",
        "sidecar: one registration is the whole page sequence with a fresh cookie jar: GET the "
        "form, POST it with its CSRF token (Selanjutnya: rules, registries; the confirmation "
        "page), POST Aktivasi (accepted and queued) and the redirect to the thank-you page; "
        f"the outbox worker ({' '.join(compose_outbox_arguments())}) then checks the "
        "identity index for existing accounts (caught up from Keycloak's admin events), "
        "creates the user in its group and has Keycloak send the action email. Latencies are "
        "the pages; a batch's wall time runs until its last activation email is in the mail sink. "
        f"gunicorn {arguments} as in docker-compose.yml, PostgreSQL, fake registries over "
        "loopback HTTP in their own process, rate limits off.",
        "baseline: GET the registration page, POST the form (email as username, password, "
        "nik, phoneNumber, investorType with the AKSes validators); Keycloak hashes the "
        "password and sends its verify-email mail. Keycloak's form checks no registry.",
        "both sides share the machine with Keycloak and the load generator's threads: at 32 "
        "clients a 2-core machine is saturated, and the figure is how each side shares it.",
    ]
    return table
