"""R2 (issue 8), X1: does any public lookup tell a taken identifier from a free one?

For each public step -- "Selanjutnya", "Aktivasi", "Kirim Ulang" of the AKSes registration
and forgot password -- requests with an identifier that has an account ("known") and one that
has none ("unknown") are sent interleaved, one at a time, against the sidecar as production
runs it (gunicorn, PostgreSQL, its outbox worker, the real Keycloak). Per step: the statuses,
the pages with their person-specific values and tokens blanked, and the medians of the
request times; the probe flags a step whose median ratio leaves 0.9-1.1. Here the "baseline"
column is the unknown identifier, so the ratio is known / unknown.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from bench.browser import find_form
from bench.environment import Stack
from bench.oss_registration import oss_solver, submit_oss
from bench.registration import FORM_ID, FORM_PATH, PAGE_TIMEOUT, sidecar_served
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds
from bench.synthetic import Person, synthetic_people
from gerbang_ops.mailsink import MailSinkClient

TOLERANCE = 0.10
# Enough for the outbox worker (idle pause 0.5 s) to finish what the previous request queued.
SETTLE = 1.5
_TOKEN_VALUE = re.compile(r'value="[^"]{20,}"|/terkirim/[\w-]+')


@dataclass
class Probe:
    step: str
    known: list[float]
    unknown: list[float]
    statuses: set[tuple[int, int]]
    bodies_differ: int

    @property
    def ratio(self) -> float:
        return statistics.median(self.known) / statistics.median(self.unknown)


def _blank(page: str, person: Person, email: str | None = None) -> str:
    """The page with what belongs to this person (and the email typed), and random tokens,
    taken out."""
    text = _TOKEN_VALUE.sub("", html.unescape(page))
    for value in (email or person.email, person.name, person.name.title(), person.email,
                  person.nik,
                  person.nik[-4:], person.phone, person.phone.replace("+62", "0"),
                  person.sid or "\0"):
        text = text.replace(value, "[person]")
    text = re.sub(r"\d{2}:\d{2} WIB|\d+ menit", "[time]", text)
    # Phones as the page formats them (0812-3456-7890) and masked numbers (************0019).
    return re.sub(r"[\d*+][\d*+\- ]{6,}\d", "[number]", text)


def _form_post(session: requests.Session, url: str, form_id: str,
               values: dict[str, str]) -> tuple[float, requests.Response]:
    page = session.get(url, timeout=PAGE_TIMEOUT)
    form = find_form(page.text, form_id)
    if form is None:
        raise RuntimeError(f"no form #{form_id} at {url} ({page.status_code})")
    began = time.perf_counter()
    answer = session.post(url, data={**form.fields, **values}, timeout=PAGE_TIMEOUT,
                          allow_redirects=False)
    return time.perf_counter() - began, answer


def _typed(person: Person, email: str | None = None) -> dict[str, str]:
    return {k: v for k, v in person.registration_form().items() if k != "type"} | (
        {"email": email} if email else {})


class _Steps:
    def __init__(self, sidecar: str) -> None:
        self.sidecar = sidecar

    def check(self, person: Person, email: str | None = None
              ) -> tuple[float, requests.Response, requests.Session]:
        session = requests.Session()
        took, answer = _form_post(session, self.sidecar + FORM_PATH, FORM_ID,
                                  _typed(person, email))
        return took, answer, session

    def activate(self, person: Person, email: str | None = None
                 ) -> tuple[float, requests.Response, requests.Session]:
        _, confirmation, session = self.check(person, email)
        form = find_form(confirmation.text, "activate-form")
        if form is None:
            raise RuntimeError(f"no confirmation page ({confirmation.status_code})")
        began = time.perf_counter()
        answer = session.post(self.sidecar + "/akses/daftar/aktivasi", data=form.fields,
                              timeout=PAGE_TIMEOUT, allow_redirects=False)
        return time.perf_counter() - began, answer, session

    def resend(self, session: requests.Session) -> tuple[float, requests.Response]:
        thanks = session.get(self.sidecar + "/akses/daftar/terima-kasih", timeout=PAGE_TIMEOUT)
        form = find_form(thanks.text, "resend-form")
        if form is None:
            raise RuntimeError(f"no thank-you page ({thanks.status_code})")
        began = time.perf_counter()
        answer = session.post(self.sidecar + "/akses/daftar/kirim-ulang", data=form.fields,
                              timeout=PAGE_TIMEOUT, allow_redirects=False)
        return time.perf_counter() - began, answer

    def forgot(self, identifier: str) -> tuple[float, requests.Response]:
        session = requests.Session()
        return _form_post(session, self.sidecar + "/akses/lupa-kata-sandi", "forgot-password",
                          {"identifier": identifier, "channel": "email",
                           "action": "process"})


def _measure(step: str, samples: int, known: Callable[[int], tuple[float, str, int]],
             unknown: Callable[[int], tuple[float, str, int]], settle: float = 0.0) -> Probe:
    """``settle``: a pause before each request, so the work a step leaves to the outbox
    worker (an account, a mail) has finished and is not timed as the next request's."""
    probe = Probe(step, [], [], set(), 0)

    def settled(step_call: Callable[[int], tuple[float, str, int]], i: int
                ) -> tuple[float, str, int]:
        time.sleep(settle)
        return step_call(i)

    for i in range(samples):
        # Interleaved, the order alternating, so drift on the machine weighs on both.
        pair = (known, unknown) if i % 2 == 0 else (unknown, known)
        results = {id(f): settled(f, i) for f in pair}
        (k_time, k_body, k_status) = results[id(known)]
        (u_time, u_body, u_status) = results[id(unknown)]
        probe.known.append(k_time)
        probe.unknown.append(u_time)
        probe.statuses.add((k_status, u_status))
        probe.bodies_differ += k_body != u_body
    return probe


def run(stack: Stack, bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    samples = max(20, bounds.count // 2)
    # NIKs apart from the registration benchmark's (from index 0): theirs have accounts.
    people = synthetic_people(8 * samples + 8, tag="enum", first=6000)
    # Registered Users only (no SID): the owner's pages and the others' look alike, and any
    # email passes the registries.
    owner, *pool = [p for p in people if p.sid is None]
    fresh = iter(pool)
    mailbox = MailSinkClient(stack.mail_sink.http_url)
    probes: list[Probe] = []
    with sidecar_served(stack, people) as sidecar:
        steps = _Steps(sidecar)
        log(f"enumeration probe: {samples} known/unknown pairs per public step ...")
        steps.activate(owner)
        mailbox.wait_for(owner.email, timeout=120)  # the account exists now

        # Each side repeats one identifier, so what differs is only whether it has an account.
        stranger = pool.pop()

        def check_known(i: int) -> tuple[float, str, int]:
            email = f"lain.{i}@example.com"
            took, answer, _ = steps.check(owner, email)
            return took, _blank(answer.text, owner, email), answer.status_code

        def check_unknown(i: int) -> tuple[float, str, int]:
            email = f"baru.{i}@example.com"
            took, answer, _ = steps.check(stranger, email)
            return took, _blank(answer.text, stranger, email), answer.status_code

        probes.append(_measure("Selanjutnya", samples, check_known, check_unknown))

        sessions: dict[str, list[tuple[requests.Session, Person]]] = {"known": [],
                                                                        "unknown": []}

        def activate_known(i: int) -> tuple[float, str, int]:
            took, answer, session = steps.activate(owner, f"lagi.{i}@example.com")
            sessions["known"].append((session, owner))
            return took, answer.headers.get("Location", ""), answer.status_code

        def activate_unknown(i: int) -> tuple[float, str, int]:
            person = next(fresh)
            took, answer, session = steps.activate(person)
            sessions["unknown"].append((session, person))
            return took, answer.headers.get("Location", ""), answer.status_code

        probes.append(_measure("Aktivasi", samples, activate_known, activate_unknown,
                               settle=SETTLE))

        def resend(side: str) -> Callable[[int], tuple[float, str, int]]:
            def one(i: int) -> tuple[float, str, int]:
                session, person = sessions[side][i]
                took, answer = steps.resend(session)
                return took, _blank(answer.text, person), answer.status_code
            return one

        probes.append(_measure("Kirim Ulang (declined vs new)", samples, resend("known"),
                               resend("unknown")))

        def forgot(identifier: Callable[[int], str]) -> Callable[[int], tuple[float, str, int]]:
            def one(i: int) -> tuple[float, str, int]:
                took, answer = steps.forgot(identifier(i))
                return took, answer.headers.get("Location", "")[:30], answer.status_code
            return one

        probes.append(_measure("Lupa kata sandi (NIK)", samples, forgot(lambda _i: owner.nik),
                               forgot(lambda _i: stranger.nik), settle=SETTLE))
        probes += _oss_probes(sidecar, samples, owner, stranger, mailbox, log)
    return _table(probes)


def _oss_probes(sidecar: str, samples: int, owner: Person, stranger: Person,
                mailbox: MailSinkClient, log: Callable[[str], None]) -> list[Probe]:
    """OSS "Submit" (NIK) and forgot password (email): an OSS account's identifiers against
    a stranger's. Each Submit needs a solved captcha: solved ahead, untimed."""
    solved, solve_ahead = oss_solver(sidecar)
    owner_email = f"oss.{owner.email}"
    solve_ahead(1)
    submit_oss(sidecar, owner, owner_email, solved.get_nowait())
    mailbox.wait_for(owner_email, timeout=120)  # the OSS account exists now
    log(f"enumeration probe (OSS): solving {2 * samples} captcha puzzles ahead ...")
    solve_ahead(2 * samples)

    def submit(person: Person, prefix: str) -> Callable[[int], tuple[float, str, int]]:
        def one(i: int) -> tuple[float, str, int]:
            began = time.perf_counter()
            answer = submit_oss(sidecar, person, f"{prefix}.{i}@example.com",
                                solved.get_nowait())
            return time.perf_counter() - began, answer.headers.get("Location", ""), \
                answer.status_code
        return one

    def forgot(email: str) -> Callable[[int], tuple[float, str, int]]:
        def one(_i: int) -> tuple[float, str, int]:
            took, answer = _form_post(requests.Session(), sidecar + "/oss/lupa-kata-sandi",
                                      "forgot-password",
                                      {"identifier": email, "action": "process"})
            return took, answer.headers.get("Location", "")[:28], answer.status_code
        return one

    return [_measure("OSS Submit (NIK)", samples, submit(owner, "oss.lain"),
                     submit(stranger, "oss.baru"), settle=SETTLE),
            _measure("OSS lupa password (email)", samples, forgot(owner_email),
                     forgot(f"oss.{stranger.email}"), settle=SETTLE)]


def _table(probes: list[Probe]) -> Table:
    table = Table(title="Enumeration probe (X1): identifier with an account vs without",
                  gerbang_label="known identifier", baseline_label="unknown identifier")
    for probe in probes:
        same_status = all(k == u for k, u in probe.statuses)
        verdict = "same" if same_status and not probe.bodies_differ and \
            abs(probe.ratio - 1) <= TOLERANCE else "DIFFERS"
        table.rows += [
            Row(f"{probe.step}: median", fmt_seconds(statistics.median(probe.known)),
                fmt_seconds(statistics.median(probe.unknown)), fmt_ratio(probe.ratio)),
            Row(f"{probe.step}: statuses, pages", ", ".join(
                f"{k}/{u}" for k, u in sorted(probe.statuses)),
                f"{probe.bodies_differ} page(s) differ", verdict),
        ]
    table.notes += [
        "each step: pairs sent one at a time, known and unknown interleaved with the order "
        f"alternating, Aktivasi and forgot password {SETTLE} s apart so the outbox's work for "
        "one request (an account or a declined notice, a mail) is not timed as the next's; "
        "pages compared with the person's own values (name, NIK, phone, email, SID) and "
        "random tokens blanked; 'same' needs equal statuses, equal pages and medians "
        f"within {TOLERANCE:.0%}.",
        "known: the NIK of an account made before the probe (with another email each time, so "
        "only the NIK is taken); unknown: a registry-valid person without an account, also "
        "repeated, so both sides repeat one identifier. Aktivasi needs a new person per "
        "unknown sample. Kirim Ulang compares a declined registration with a fresh one, inside "
        "the 15-minute wait (C2).",
    ]
    return table
