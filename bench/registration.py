"""Issue 4 item 8a: registrations through the sidecar against Keycloak's own registration form.

Gerbang side: the sidecar's AKSes registration pages over HTTP, as a user's browser goes
through them (one fresh cookie jar per registration): GET the "Individu Lokal" form, POST it
("Selanjutnya": form rules, Dukcapil, KSEI for investors, duplicate search in Keycloak, the
pending row; the confirmation page), POST "Aktivasi" (the Keycloak user, roles, identity
records, the action email) and follow the redirect to the thank-you page. The app is the
sidecar's own (``create_app``) served by werkzeug's threaded server on loopback, with the real
Keycloak, the fake registries over loopback (seeded with the benchmark's synthetic people,
answering at once) and the mail sink; rate limits are off, every request comes from one
address.

Baseline: a stock realm with ``registrationAllowed`` and the same user-profile attributes,
driven through Keycloak's registration page over HTTP (GET the page, POST the form). With
``verifyEmail`` on, Keycloak too sends one email per registration; it also hashes the
password typed on the form, which the sidecar does not (the user sets it from the email).
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from bench.browser import Browser, Form, PageError, find_form
from bench.environment import Stack
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_pair
from bench.stats import Summary, ratio
from bench.synthetic import Person, synthetic_people, write_seed
from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.app import create_app
from gerbang_sidecar.cli import init_local
from gerbang_sidecar.config import RegistryUrls
from gerbang_sidecar.fake_registry import create_fake_registry_app, running_fake_registry
from gerbang_sidecar.texts import translate

STOCK_REALM = "stock-register"
STOCK_CLIENT = "bench-register"
# The attributes the sidecar writes on a new AKSes user; the stock form asks for them instead.
PROFILE_ATTRIBUTES = ("nik", "passport", "sid", "investorType", "phoneNumber")
REQUIRED_ON_FORM = ("nik", "phoneNumber")
PASSWORD = "Daftar#Bench2025"


@dataclass(frozen=True)
class Outcome:
    summary: Summary
    users_created: int
    mails_sent: int


# --- Gerbang: the sidecar's registration pages ---------------------------------------------

FORM_PATH = "/akses/daftar/individu-lokal"
# The pages' HTML ids (web/templates/akses/register_*.html), as the browser tests use them.
FORM_ID, CONFIRMATION_FORM_ID = "registration-form", "activate-form"
THANKS_HEADING = 'id="thanks"'
PAGE_TIMEOUT = 30.0  # seconds; a stuck page fails the registration instead of the run
# The thank-you page's sentence when the action email went out, in either page language.
EMAIL_SENT = tuple(translate("reg.thanks.sent", lang) for lang in ("id", "en"))


@contextmanager
def sidecar_served(stack: Stack, people: list[Person]) -> Iterator[str]:
    """The sidecar app at ``stack.sidecar_url`` (the realms' SIDECAR_PUBLIC_URL, so the
    action email's redirect to the portal is one ``akses-portal`` allows)."""
    seed = write_seed(people, stack.work_dir / "registry-seed.json")
    with running_fake_registry(create_fake_registry_app(seed)) as registry_url:
        env = stack.realm_env
        init_local(stack.work_dir / "sidecar")
        app = create_app({
            "instance_path": stack.work_dir / "sidecar",
            "public_url": stack.sidecar_url,
            "keycloak_url": stack.keycloak.url,
            "keycloak_client_secret": env["SIDECAR_CLIENT_SECRET"],
            "portal_client_secrets": {"akses-portal": env["AKSES_PORTAL_CLIENT_SECRET"],
                                      "easy": env["EASY_CLIENT_SECRET"]},
            "registries": RegistryUrls(**{
                name: f"{registry_url}/{path}" for name, path in (
                    ("dukcapil", "dukcapil"), ("oss", "oss"), ("ksei", "ksei"), ("bkn", "bkn"),
                    ("sipp", "sipp"), ("message_gateway", "gateway"))}),
            "smtp_host": stack.mail_sink.smtp_host,
            "smtp_port": stack.mail_sink.smtp_port,
            "log_level": "WARNING",  # one INFO line per step would be timed too
            # X2 would refuse the benchmark after 10 activations from one address.
            "rate_limits_enabled": False,
        })
        with stack.sidecar.serving(app) as url:
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


def run(stack: Stack, specs: list[RealmSpec], bounds: Bounds,
        log: Callable[[str], None] = print) -> Table:
    akses = next(s for s in specs if s.name == "akses")
    api = stack.admin_api()
    create_stock_realm(api, stack, akses)
    # Enough people for every operation either side may run, warm-up included.
    total = bounds.warmup + bounds.count
    people = synthetic_people(total, tag="sidecar")
    stock_people = synthetic_people(total, tag="stock")
    users_before = _count_users(api, "akses")

    log(f"registrations: sidecar against Keycloak's form, {bounds.count} each after "
        f"{bounds.warmup} warm-up, in turns of {bounds.block} ...")
    with sidecar_served(stack, people) as sidecar_url:
        sidecar, stock = timed_pair(_sidecar_registration(sidecar_url, people),
                                    _stock_registration(stack, stock_people), bounds,
                                    ("sidecar registration", "stock registration"), log)
    mailbox = MailSinkClient(stack.mail_sink.http_url)
    gerbang = Outcome(sidecar, _count_users(api, "akses") - users_before,
                      _mails_to(mailbox, "sidecar"))
    baseline = Outcome(stock, _count_users(api, STOCK_REALM), _mails_to(mailbox, "stock"))
    return _table(gerbang, baseline, bounds)


def _table(gerbang: Outcome, baseline: Outcome, bounds: Bounds) -> Table:
    g, b = gerbang.summary, baseline.summary
    table = Table(title="Registrations (AKSes Individu Lokal)",
                  gerbang_label="sidecar pages",
                  baseline_label="Keycloak registration form")
    table.rows += [
        Row("registrations per second", f"{g.per_second:.2f}", f"{b.per_second:.2f}",
            fmt_ratio(ratio(g.per_second, b.per_second))),
        Row("p50 latency", fmt_seconds(g.p50), fmt_seconds(b.p50),
            fmt_ratio(ratio(g.p50, b.p50))),
        Row("p95 latency", fmt_seconds(g.p95), fmt_seconds(b.p95),
            fmt_ratio(ratio(g.p95, b.p95))),
        Row("timed registrations (failed)", f"{g.count} ({g.failures})",
            f"{b.count} ({b.failures})"),
        Row("users created incl. warm-up", str(gerbang.users_created),
            str(baseline.users_created)),
        Row("emails sent incl. warm-up", str(gerbang.mails_sent), str(baseline.mails_sent)),
    ]
    table.notes += [
        f"sequential, {bounds.warmup} warm-up then up to {bounds.count} registrations or "
        f"{bounds.max_seconds:.0f} s per side, the sides taking turns every {bounds.block}; "
        "every second synthetic person is a KSEI investor "
        "(two registry calls and two roles), the others Registered Users (one registry call).",
        "sidecar: one registration is the whole page sequence with a fresh cookie jar: GET the "
        "form, POST it with its CSRF token (Selanjutnya: rules, registries, duplicate search "
        "in Keycloak by email, NIK, SID and phone; the confirmation page), POST Aktivasi "
        "(create user, roles, execute-actions email) and the redirect to the thank-you page; "
        "the sidecar app served by werkzeug's threaded server on loopback, SQLite storage, "
        "fake registries over loopback HTTP, rate limits off.",
        "baseline: GET the registration page, POST the form (email as username, password, "
        "nik, phoneNumber, investorType with the AKSes validators); Keycloak hashes the "
        "password and sends its verify-email mail. Keycloak's form checks no registry.",
    ]
    return table
