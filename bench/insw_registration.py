"""INSW "Buat Akun" (I1–I3) through the sidecar beside Keycloak's own registration form, at 1
and 8 concurrent clients, both sides in the same run.

Gerbang side: the three steps as a browser goes through them, one fresh cookie jar per
registration: GET and POST step 1 (NIB, NPWP, NIK: OSS asked), GET and POST step 2 (the
responsible person), GET and POST step 3 with a one-page PDF Surat Kuasa (size, pypdf's
checks, stored encrypted) and the terms, and the "reviewed within 1x24 hours" page. No
account is made here: INSW makes it after a reviewer's approval (I4), so a batch ends with
its pages and the rate is registrations handed to review per second. The sidecar runs as in
bench/registration.py; the fake OSS knows one business per synthetic person.

Baseline: the same stock realm and form as the AKSes benchmark (Keycloak's registration
page, which makes the account at once and sends its verify-email mail).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import requests
from pypdf import PdfWriter

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
FIRST_PERSON = 4500  # NIK indices apart from the other benchmarks'
STEPS = (("/insw/daftar", "organisation-form"), ("/insw/daftar/data-diri", "person-form"))


def _surat_kuasa() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _post_step(browser: requests.Session, base: str, path: str, form_id: str,
               values: dict[str, str], **extra: object) -> requests.Response:
    page = browser.get(base + path, timeout=PAGE_TIMEOUT)
    form = find_form(page.text, form_id)
    if form is None:
        raise PageError(f"{path}: no form #{form_id} (status {page.status_code})")
    answer = browser.post(base + path, data={**form.fields, **values}, timeout=PAGE_TIMEOUT,
                          **extra)  # type: ignore[arg-type]
    if answer.status_code != 200:
        raise PageError(f"{path}: status {answer.status_code}")
    return answer


def _sidecar_registration(base: str, people: list[Person]) -> Callable[[int], None]:
    document = _surat_kuasa()

    def register(index: int) -> None:
        person = people[index]
        values = [{"nib": f"9{person.nik[-12:]}", "npwp": person.nik, "nik": person.nik},
                  {"name": person.name.title(), "position": "Direktur",
                   "email": person.email, "phone": "0" + person.phone.removeprefix("+62")}]
        with requests.Session() as browser:
            for (path, form_id), typed in zip(STEPS, values, strict=True):
                _post_step(browser, base, path, form_id, typed)
            done = _post_step(browser, base, "/insw/daftar/surat-kuasa", "document-form",
                              {"terms": "y"},
                              files={"surat_kuasa": ("sk.pdf", document, "application/pdf")})
            if 'id="review-promise"' not in done.text:
                raise PageError("Daftar: no 'reviewed within 1x24 hours' page")
    return register


def run(stack: Stack, specs: list[RealmSpec], bounds: Bounds,
        log: Callable[[str], None] = print) -> Table:
    ensure_stock_realm(stack, specs)
    count = max(bounds.count, 6 * max(CONCURRENCY)) + 2 * max(bounds.warmup, max(CONCURRENCY))
    people = synthetic_people(count * len(CONCURRENCY), tag="inswsidecar", first=FIRST_PERSON)
    stock_people = synthetic_people(count * len(CONCURRENCY), tag="inswstock",
                                    first=FIRST_PERSON)
    with sidecar_served(stack, people) as sidecar_url:
        levels, created, mails = compare(
            stack, "insw", "inswsidecar", _sidecar_registration(sidecar_url, people),
            "inswstock", _stock_registration(stack, stock_people), CONCURRENCY, bounds, log,
            mails_follow=False)
    return _table(levels, created, mails)


def _table(levels: list[Level], created: tuple[int, int], mails: tuple[int, int]) -> Table:
    table = Table(title="Registrations (INSW 'Buat Akun', to review), concurrent clients",
                  gerbang_label="sidecar pages (gunicorn)",
                  baseline_label="Keycloak registration form")
    table.rows += level_rows(levels, created, mails)
    table.notes += [
        "sidecar: the three steps and the review page, six requests with a fresh cookie jar: "
        "OSS asked at step 1, a one-page PDF checked with pypdf and stored encrypted at "
        "step 3. No account and no mail follow until a reviewer approves (I4), so the "
        "sidecar's 'users created' is 0 and its rate is registrations handed to review; "
        "Keycloak's form makes the account and its mail at once.",
        "baseline and machine as in the AKSes registration table.",
    ]
    return table
