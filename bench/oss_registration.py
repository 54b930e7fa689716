"""OSS registrations by KTP (O1, O2, O5) through the sidecar against Keycloak's own
registration form, at 1 and 8 concurrent clients, both sides in the same run.

Gerbang side: the OSS registration page as a browser uses it, one fresh cookie jar per
registration: GET ``/oss/daftar`` (the form and its CSRF token), POST it with a solved
captcha (form rules, Dukcapil, the registration accepted and queued) and follow the redirect
to the thank-you page. The captcha is the browser's work, timed on a phone-class CPU by the
captcha benchmark: here its puzzles are fetched and solved ahead of each batch, untimed, so
the latencies are the pages. The outbox worker then makes the account and has Keycloak send
the activation email; a batch lasts until its last email is in the mail sink. The sidecar
runs as in bench/registration.py (gunicorn, PostgreSQL, the outbox process).

Baseline: the same stock realm and form as the AKSes benchmark (Keycloak's registration
page, hashing the typed password and sending its verify-email mail).
"""

from __future__ import annotations

import html
import queue
from collections.abc import Callable

import altcha
import requests

from bench.browser import PageError, find_form
from bench.environment import Stack
from bench.registration import (
    PAGE_TIMEOUT,
    Level,
    _stock_registration,
    compare,
    ensure_stock_realm,
    level_rows,
    sidecar_served,
)
from bench.report import Table
from bench.runner import Bounds
from bench.synthetic import Person, synthetic_people
from gerbang_ops.provision.files import RealmSpec

CONCURRENCY = (1, 8)
FORM_PATH = "/oss/daftar?jenis=ktp&lang=id"
# NIK indices apart from the other benchmarks' (the same index is the same NIK).
FIRST_PERSON = 3000


def oss_solver(sidecar_url: str) -> tuple[queue.SimpleQueue[str], Callable[[int], None]]:
    """A queue of solved captcha puzzles and the function that fills it (untimed work)."""
    solved: queue.SimpleQueue[str] = queue.SimpleQueue()

    def solve_ahead(count: int) -> None:
        with requests.Session() as session:
            for _ in range(count):
                puzzle = session.get(f"{sidecar_url}/captcha/puzzle",
                                     timeout=PAGE_TIMEOUT).json()
                challenge = altcha.Challenge.from_dict(puzzle)
                solution = altcha.solve_challenge(challenge, timeout=60)
                if solution is None:
                    raise RuntimeError("captcha not solved within a minute")
                solved.put(altcha.Payload(challenge, solution).to_base64())
    return solved, solve_ahead


def _typed(person: Person, email: str) -> dict[str, str]:
    return {"nik": person.nik, "name": person.name.title(), "country": "ID",
            "birth_date": person.birth_date.strftime("%d-%m-%Y"),
            "phone": person.phone.removeprefix("+62"), "email": email, "terms": "y"}


def submit_oss(sidecar_url: str, person: Person, email: str, captcha: str, *,
               follow: bool = False) -> requests.Response:
    """One OSS registration by KTP as a browser sends it, with a fresh cookie jar."""
    with requests.Session() as browser:
        page = browser.get(sidecar_url + FORM_PATH, timeout=PAGE_TIMEOUT)
        form = find_form(page.text, "registration-form")
        if form is None:
            raise PageError(f"form: none (status {page.status_code})")
        return browser.post(sidecar_url + FORM_PATH, timeout=PAGE_TIMEOUT,
                            allow_redirects=follow,
                            data={**form.fields, **_typed(person, email), "captcha": captcha})


def _sidecar_registration(sidecar_url: str, people: list[Person],
                          solved: queue.SimpleQueue[str]) -> Callable[[int], None]:
    def register(index: int) -> None:
        person = people[index]
        thanks = submit_oss(sidecar_url, person, person.email, solved.get_nowait(),
                            follow=True)
        if thanks.status_code != 200 or 'id="thanks"' not in html.unescape(thanks.text):
            raise PageError(f"Submit: no thank-you page (status {thanks.status_code})")
    return register


def run(stack: Stack, specs: list[RealmSpec], bounds: Bounds,
        log: Callable[[str], None] = print) -> Table:
    ensure_stock_realm(stack, specs)
    count = max(bounds.count, 6 * max(CONCURRENCY)) + 2 * max(bounds.warmup, max(CONCURRENCY))
    people = synthetic_people(count * len(CONCURRENCY), tag="osssidecar", first=FIRST_PERSON)
    stock_people = synthetic_people(count * len(CONCURRENCY), tag="ossstock",
                                    first=FIRST_PERSON)
    with sidecar_served(stack, people) as sidecar_url:
        solved, solve_ahead = oss_solver(sidecar_url)
        levels, created, mails = compare(
            stack, "oss", "osssidecar", _sidecar_registration(sidecar_url, people, solved),
            "ossstock", _stock_registration(stack, stock_people), CONCURRENCY, bounds, log,
            before_batch=solve_ahead)
    return _table(levels, created, mails)


def _table(levels: list[Level], created: tuple[int, int], mails: tuple[int, int]) -> Table:
    table = Table(title="Registrations (OSS by KTP), concurrent clients",
                  gerbang_label="sidecar page (gunicorn)",
                  baseline_label="Keycloak registration form")
    table.rows += level_rows(levels, created, mails)
    table.notes += [
        "sidecar: GET the form, POST it (captcha checked and spent, form rules, Dukcapil with "
        "NIK, name and birth date, the registration accepted and queued) and the redirect to "
        "the thank-you page; the puzzles are solved ahead of each batch, untimed (the "
        "captcha table gives the solve time). The outbox worker then checks the identity "
        "index for the NIK, phone and email, creates the user in its group and has Keycloak "
        "send the activation email; a batch's wall time runs until its last email is in the sink.",
        "baseline and machine as in the AKSes registration table.",
    ]
    return table
