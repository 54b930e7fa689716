"""``python -m bench.scale`` (``make bench-scale``): the sidecar's lookups at 10k and 100k users.

Issue 11 item 4b. Keycloak runs as production runs it -- two nodes in ``start --optimized`` on
PostgreSQL (bench/cluster.py) -- because that is the database whose indexes decide how an
attribute search grows; dev mode's embedded H2 would say little about production. The realms
are provisioned from realm-config/; the ``akses`` realm is filled with synthetic people by
Keycloak's partial import (``POST /admin/realms/akses/partialImport``, batches of
``IMPORT_BATCH``, one stream per node), each with the attributes the lookups read: ``nik``,
``sid`` (every second person), ``phoneNumber`` (verified) and ``email``. No passwords: a
password hash per user would make the import many times slower and no lookup reads it.
After each import the sidecar's identity index catches up, as its outbox process would
(services/identity_index.py, into a sidecar database on the same PostgreSQL): the partial
import is more changes than it follows one by one, so it reads the realm page by page and
records every person's NIK, SID, phone and email (encrypted, blind-indexed); that time is a
row of its own.

Then, at each size, sequentially, the p95 of what the sidecar does, through its own code
(services and adapters of gerbang_sidecar, unchanged), the requests taking turns between the
two nodes as two sidecars next to two nodes would:

* the registration duplicate check (``AccountMaker._accounts_with_these_identifiers``):
  the index catching up (one admin-events read), the blind indexes of NIK, SID, phone and
  email, then Keycloak's username and email lookups; for a new person (the usual case) and
  for one who has an account;
* forgot password (``password_reset.delivery._resolve``) by NIK, by SID (catch-up, blind
  index, the account by id) and by phone;
* the parts alone: one Keycloak attribute search (what the lookups used before issue 11 moved
  them to the index), one email search, one blind-index lookup.

Figures are printed as a table and written to ``--output``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.cluster import ClusterStack, running_cluster
from bench.report import Row, Table, fmt_ratio, fmt_seconds, render_document, render_text
from bench.stats import Summary, ratio
from bench.synthetic import REGIONS
from gerbang_ops.keycloak import KEYCLOAK_VERSION
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.akses.accounts import PROVEN
from gerbang_sidecar.migrations import upgrade
from gerbang_sidecar.portals import find_portal
from gerbang_sidecar.services.identity_index import identity_index
from gerbang_sidecar.services.password_reset.delivery import _resolve
from gerbang_sidecar.services.registrations.accounts import AccountMaker

REALM = "akses"
DEFAULT_USERS = (10_000, 100_000)
IMPORT_BATCH = 500
GOAL_P95 = 0.050
GOAL_GROWTH = 1.5
# Below this a p95 is timer and scheduling noise on a shared 2-core machine (1 ms -> 2 ms is
# "2x" and says nothing about scaling): growth is judged only when the last p95 is above it.
GROWTH_FLOOR = 0.005
RESULTS = Path(__file__).with_name("SCALE-RESULTS.md")
_FIRST_BIRTH_DATE = dt.date(1960, 1, 1)
_BIRTH_DAYS = 14_600  # 40 years: two-digit years 60..99, no century to guess wrong
_FEMALE_DAY_OFFSET = 40


# --- synthetic people, as many as 100,000 and more ---------------------------------------------

def scale_nik(index: int) -> str:
    """The index-th NIK of the scale benchmark: valid (a real region code, a birth date in
    1960-1999, day + 40 for women) and distinct for 0 <= index < 8 * 14,600 * 9,999.

    bench.synthetic's NIKs stop at 9,999 (one serial per person); here the region, the birth
    date and the serial together keep them apart.
    """
    if not 0 <= index < len(REGIONS) * _BIRTH_DAYS * 9_999:
        raise ValueError("index out of the scale benchmark's NIK range")
    region = REGIONS[index % len(REGIONS)]
    rest = index // len(REGIONS)
    birth = _FIRST_BIRTH_DATE + dt.timedelta(days=rest % _BIRTH_DAYS)
    serial = rest // _BIRTH_DAYS + 1
    day = birth.day + (_FEMALE_DAY_OFFSET if index % 2 else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@dataclass(frozen=True)
class ScalePerson:
    index: int
    nik: str
    sid: str | None
    phone: str
    email: str

    @classmethod
    def of(cls, index: int) -> ScalePerson:
        return cls(index=index, nik=scale_nik(index),
                   sid=f"IDD{800_000_000_000 + index:012d}" if index % 2 == 0 else None,
                   phone=f"+62813{index:08d}", email=f"scale.{index:07d}@example.com")

    def identifiers(self) -> list[tuple[str, str]]:
        """(kind, canonical value) as domain/akses/accounts.identifiers_of records them."""
        pairs = [("nik", self.nik), ("phone", self.phone), ("email", self.email.lower())]
        if self.sid is not None:
            pairs.insert(1, ("sid", self.sid))
        return pairs

    def attributes(self) -> dict[str, str]:
        attributes = {"nik": self.nik, "phoneNumber": self.phone, "phoneNumberVerified": "true",
                      "investorType": "individu-lokal"}
        if self.sid is not None:
            attributes["sid"] = self.sid
        return attributes

    def representation(self) -> dict[str, Any]:
        """The user as Keycloak's partial import takes it."""
        return {"username": self.email, "email": self.email, "emailVerified": True,
                "enabled": True, "firstName": f"PENGGUNA SKALA {_letters(self.index)}",
                "attributes": {k: [v] for k, v in self.attributes().items()}}

    def plan(self) -> AccountPlan:
        """The account plan of an AKSes registration with these identifiers."""
        return AccountPlan(
            username=self.email, email=self.email, name="PENGGUNA SKALA", phone=self.phone,
            group="registered-user" if self.sid is None else "investor-wni",
            attributes={**self.attributes(), "phoneNumberVerified": "false"}, proven=PROVEN,
            identifiers=tuple(self.identifiers()))


def _letters(index: int) -> str:
    """A name part of letters only (person-name rule): index in base 26."""
    out = ""
    while True:
        index, digit = divmod(index, 26)
        out = chr(ord("A") + digit) + out
        if index == 0:
            return out


def import_batches(first: int, end: int, size: int = IMPORT_BATCH) -> list[range]:
    """The people ``first`` .. ``end - 1`` in batches of at most ``size``."""
    return [range(start, min(start + size, end)) for start in range(first, end, size)]


def parse_users(text: str) -> tuple[int, ...]:
    """``--users 10000,100000``: increasing positive sizes (underscores allowed)."""
    sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    if not sizes or any(n <= 0 for n in sizes) or list(sizes) != sorted(set(sizes)):
        raise argparse.ArgumentTypeError("sizes must be positive and increasing, e.g. 10000,"
                                         "100000")
    return sizes


# --- loading ------------------------------------------------------------------------------------

class Loader:
    """Fills the realm (partial import through every node at once); the identity index
    follows it as the outbox process would."""

    def __init__(self, stack: ClusterStack, storage: Storage, log: Callable[[str], None]):
        self.apis = [stack.admin_api(n) for n in range(len(stack.node_urls))]
        self.index = identity_index(
            storage, HttpKeycloakUsers(stack.node_urls[0], "gerbang-sidecar",
                                       stack.realm_env["SIDECAR_CLIENT_SECRET"], timeout=60),
            lambda: datetime.now(UTC), [REALM])
        self.log = log
        self.loaded = 0
        self.import_seconds = 0.0

    def index_catch_up(self) -> float:
        """The identity index brought up to date; returns users per second of the realm."""
        started = time.perf_counter()
        self.index.catch_up(REALM)
        seconds = time.perf_counter() - started
        return self.loaded / seconds if seconds else 0.0

    def grow_to(self, target: int) -> float:
        """Import people ``loaded`` .. ``target - 1``; returns users per second."""
        batches = import_batches(self.loaded, target)
        started = time.perf_counter()
        errors: list[BaseException] = []
        done = [0]
        lock = threading.Lock()

        def stream(worker: int) -> None:
            api = self.apis[worker]
            try:
                for batch in batches[worker::len(self.apis)]:
                    if errors:
                        return
                    self._import(api, batch)
                    with lock:
                        done[0] += len(batch)
                        if done[0] % 5_000 < IMPORT_BATCH:
                            rate = done[0] / (time.perf_counter() - started)
                            self.log(f"  imported {self.loaded + done[0]:,} users "
                                     f"({rate:.0f}/s)")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=stream, args=(w,), name=f"import-{w}")
                   for w in range(len(self.apis))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        seconds = time.perf_counter() - started
        self.import_seconds += seconds
        count = target - self.loaded
        self.loaded = target
        return count / seconds if seconds else 0.0

    @staticmethod
    def _import(api: Any, batch: range) -> None:
        response = api.post(f"/{REALM}/partialImport", {
            "ifResourceExists": "FAIL",
            "users": [ScalePerson.of(i).representation() for i in batch]}).json()
        if response.get("added") != len(batch):
            raise RuntimeError(f"partial import added {response.get('added')} of {len(batch)}")


# --- the lookups --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lookup:
    label: str
    where: str  # "Keycloak", "sidecar DB" or "Keycloak + sidecar DB": where the time goes
    operation: Callable[[int, random.Random], None]


def lookups(stack: ClusterStack, storage: Storage, loaded: Callable[[], int]) -> list[Lookup]:
    secret = stack.realm_env["SIDECAR_CLIENT_SECRET"]
    # One port per node: two sidecars, each next to its node; operation i goes to node i % 2.
    users = [HttpKeycloakUsers(url, "gerbang-sidecar", secret, timeout=30)
             for url in stack.node_urls]
    portal = find_portal(REALM)
    assert portal is not None
    settings = SimpleNamespace(lookups=portal.forgot_password.lookups)
    # One index per sidecar (node), shared by its lookups as wiring.py shares it.
    indexes = [identity_index(storage, u, lambda: datetime.now(UTC), [REALM]) for u in users]
    makers = [AccountMaker(store=storage, keycloak=u, clock=lambda: datetime.now(UTC),
                           realm=REALM, portal_url=stack.sidecar_url,
                           plan_of=lambda _row: None,  # type: ignore[arg-type,return-value]
                           after_activation=lambda *_args: None, index=index)
              for u, index in zip(users, indexes, strict=True)]
    contexts = [SimpleNamespace(keycloak=u, store=storage, settings_of=lambda _realm: settings,
                                index=index)
                for u, index in zip(users, indexes, strict=True)]

    def existing(rng: random.Random, investor: bool = False) -> ScalePerson:
        index = rng.randrange(loaded())
        if investor and index % 2:
            index -= 1
        return ScalePerson.of(index)

    def new_person(rng: random.Random) -> ScalePerson:
        # Beyond every size loaded: nobody has these identifiers yet.
        return ScalePerson.of(50_000_000 + rng.randrange(1_000_000))

    def duplicate_check(person: Callable[[random.Random], ScalePerson], expect: bool):
        def operation(i: int, rng: random.Random) -> None:
            owners, _own = makers[i % len(makers)]._accounts_with_these_identifiers(
                person(rng).plan())
            if bool(owners) != expect:
                raise RuntimeError(f"duplicate check found {len(owners)} owner(s)")
        return operation

    def forgot(identifier: Callable[[ScalePerson], str], expect_found: bool,
               investor: bool = False):
        def operation(i: int, rng: random.Random) -> None:
            person = existing(rng, investor)
            user = _resolve(contexts[i % len(contexts)], REALM,  # type: ignore[arg-type]
                            identifier(person))
            if (user is not None) != expect_found:
                raise RuntimeError("forgot password resolved "
                                   f"{'nobody' if user is None else 'an account'}")
            if user is not None and user.attributes.get("nik") != person.nik:
                raise RuntimeError("forgot password found someone else")
        return operation

    admin = [stack.admin_api(n) for n in range(len(stack.node_urls))]

    def attribute_search(name: str, value: Callable[[ScalePerson], str]):
        # The Admin API search the sidecar no longer makes, as it made it: `q=name:value`.
        def operation(i: int, rng: random.Random) -> None:
            wanted = value(existing(rng))
            hits = [u for u in admin[i % len(admin)].get(
                        f"/{REALM}/users", q=f"{name}:{wanted}", briefRepresentation="false",
                        max=50)
                    if wanted in (u.get("attributes") or {}).get(name, [])]
            if len(hits) != 1:
                raise RuntimeError(f"{name} search found {len(hits)}")
        return operation

    def email_search(i: int, rng: random.Random) -> None:
        if users[i % len(users)].find_by_email(REALM, existing(rng).email) is None:
            raise RuntimeError("email search found nobody")

    def blind_index_owners(i: int, rng: random.Random) -> None:
        person = existing(rng)
        with storage.transaction() as tx:
            owners = tx.identities.owners(realm=REALM, pairs=person.identifiers())
        if len(owners) != 1:
            raise RuntimeError(f"blind index found {len(owners)} owner(s)")

    def blind_index_find(kind: str, value: Callable[[ScalePerson], str]):
        def operation(i: int, rng: random.Random) -> None:
            with storage.transaction() as tx:
                found = tx.identities.find(realm=REALM, kind=kind, value=value(existing(rng)))
            if found is None:
                raise RuntimeError(f"blind index found no {kind}")
        return operation

    return [
        Lookup("registration duplicate check, new person", "Keycloak + sidecar DB",
               duplicate_check(new_person, expect=False)),
        Lookup("registration duplicate check, person with an account", "Keycloak + sidecar DB",
               duplicate_check(lambda rng: existing(rng), expect=True)),
        Lookup("forgot password by NIK", "Keycloak + sidecar DB",
               forgot(lambda p: p.nik, True)),
        Lookup("forgot password by SID", "Keycloak + sidecar DB",
               forgot(lambda p: p.sid or "", True, investor=True)),
        Lookup("forgot password by phone (no phone lookup: username search)", "Keycloak",
               forgot(lambda p: p.phone, False)),
        Lookup("Keycloak attribute search nik (no longer used)", "Keycloak",
               attribute_search("nik", lambda p: p.nik)),
        Lookup("Keycloak attribute search phoneNumber (no longer used)", "Keycloak",
               attribute_search("phoneNumber", lambda p: p.phone)),
        Lookup("Keycloak email search (exact)", "Keycloak", email_search),
        Lookup("blind index: owners of NIK/SID/phone/email", "sidecar DB", blind_index_owners),
        Lookup("blind index: one NIK", "sidecar DB", blind_index_find("nik", lambda p: p.nik)),
    ]


def measure(lookup: Lookup, samples: int, warmup: int, seed: int,
            log: Callable[[str], None]) -> Summary:
    """``warmup`` untimed then ``samples`` timed calls, one at a time."""
    rng = random.Random(seed)
    for i in range(warmup):
        lookup.operation(i, rng)
    latencies: list[float] = []
    failures = 0
    started = time.perf_counter()
    for i in range(warmup, warmup + samples):
        began = time.perf_counter()
        try:
            lookup.operation(i, rng)
        except Exception as exc:  # counted and reported, the run goes on
            failures += 1
            if failures <= 3:
                log(f"  {lookup.label} #{i} failed: {type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - began)
    if not latencies:
        raise RuntimeError(f"{lookup.label}: every call failed")
    return Summary(count=len(latencies), elapsed=time.perf_counter() - started,
                   latencies=tuple(latencies), failures=failures)


# --- the table ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    users: int
    import_rate: float
    index_rate: float
    results: dict[str, Summary]


def goal_verdict(p95s: Sequence[float], goal_p95: float = GOAL_P95,
                 goal_growth: float = GOAL_GROWTH, floor: float = GROWTH_FLOOR) -> str:
    """Whether one lookup meets the goals: every p95 within ``goal_p95`` and the last at most
    ``goal_growth`` times the first (growth only when more than one size was measured and the
    last p95 is above ``floor``)."""
    misses = []
    if max(p95s) > goal_p95:
        misses.append(f"p95 > {goal_p95 * 1000:.0f} ms")
    if len(p95s) > 1 and p95s[-1] > floor and ratio(p95s[-1], p95s[0]) > goal_growth:
        misses.append(f"growth > {goal_growth:.1f}×")
    return "met" if not misses else "not met: " + ", ".join(misses)


def table(steps: list[Step], labels: list[Lookup], nodes: int, samples: int) -> Table:
    first, last = steps[0], steps[-1]
    single = len(steps) == 1
    result = Table(title=f"Lookups at scale (akses realm, {nodes}-node production cluster on "
                         "PostgreSQL)",
                   gerbang_label=f"{first.users:,} users p95 (p50)",
                   baseline_label="not run" if single else f"{last.users:,} users p95 (p50)")

    def cell(summary: Summary) -> str:
        return f"{fmt_seconds(summary.p95)} ({fmt_seconds(summary.p50)})"

    misses: list[str] = []
    slow_keycloak: list[str] = []
    grew_keycloak: list[str] = []
    for lookup in labels:
        a, b = first.results[lookup.label], last.results[lookup.label]
        p95s = [step.results[lookup.label].p95 for step in steps]
        verdict = goal_verdict(p95s)
        if verdict != "met":
            misses.append(f"{lookup.label}: {verdict}")
            if lookup.where != "sidecar DB":
                slow_keycloak.append(lookup.label)
                if "growth" in verdict:
                    grew_keycloak.append(lookup.label)
        result.rows.append(Row(f"{lookup.label} [{lookup.where}]", cell(a),
                               "-" if single else cell(b),
                               "" if single else fmt_ratio(ratio(b.p95, a.p95))))
    result.rows.append(Row("partial import, users/s (this step)", f"{first.import_rate:.0f}",
                           "-" if single else f"{last.import_rate:.0f}"))
    result.rows.append(Row("identity index catching up after the import (reads the realm "
                           "whole), users/s", f"{first.index_rate:.0f}",
                           "-" if single else f"{last.index_rate:.0f}"))
    failures = sum(s.failures for step in steps for s in step.results.values())
    result.notes += [
        f"goal: p95 ≤ {GOAL_P95 * 1000:.0f} ms at every size and ≤ {GOAL_GROWTH:.1f}× growth "
        f"from the first size to the last (ratio column = last ÷ first p95; growth not judged "
        f"when the last p95 is within {GROWTH_FLOOR * 1000:.0f} ms, timer noise). "
        + ("Met by every lookup." if not misses else "Not met by: " + "; ".join(misses) + "."),
        f"{samples} sequential calls per lookup and size after a warm-up, each for a random "
        "person of those loaded (new people for the first row); calls alternate between the "
        f"{nodes} nodes; {failures} failed call(s) in all.",
        "[Keycloak] is the admin REST search (`q=name:value`, `email=…&exact=true`), "
        "[sidecar DB] a blind-index query on the sidecar's PostgreSQL, [Keycloak + sidecar DB] "
        "what the sidecar does: the identity index catching up (one admin-events read from "
        "its mark) beside the lookup itself: for the duplicate check (AccountMaker) Keycloak's "
        "exact username lookup and one blind-index query for NIK/SID/phone/email; for forgot "
        "password one blind-index query and the account by id.",
        "forgot password by phone: A7 has no phone lookup; a phone number is tried as a "
        "username (an exact username search) and finds nobody.",
        "the two attribute-search rows are what the duplicate check and forgot password used "
        "before they moved to the identity index; they stay as the measure of what was moved "
        "away from.",
    ]
    if slow_keycloak:
        result.notes.append(
            "slow: " + "; ".join(slow_keycloak) + ". The attribute searches are no longer on "
            "any path of the sidecar.")
    if grew_keycloak:
        result.notes.append(
            "why: Keycloak's attribute search (`q=nik:…`) filters on "
            "`lower(USER_ATTRIBUTE.VALUE) = ?`, which its (NAME, VALUE) index cannot serve; "
            "PostgreSQL walks every user of the realm and probes its attributes (EXPLAIN "
            "ANALYZE on a 100,000-user realm during development: 100,001 index probes, "
            "~470 ms for one NIK), so such searches grow with the realm (how fast depends on "
            "the plan PostgreSQL picks per attribute). The email and username searches use "
            "indexed columns.")
    return result


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=parse_users, default=DEFAULT_USERS,
                        help="realm sizes to measure at, increasing (default 10000,100000; "
                             "10000 alone takes a few minutes, 100000 about 15 more)")
    parser.add_argument("--samples", type=int, default=200,
                        help="timed calls per lookup and size (default 200)")
    parser.add_argument("--warmup", type=int, default=100,
                        help="untimed calls first (default 100: the nodes' JIT is cold at the "
                             "first size)")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="where to write the Markdown results (default bench/SCALE-RESULTS.md)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    def log(line: str) -> None:
        print(line, flush=True)

    logging.getLogger("gerbang_sidecar").setLevel(logging.WARNING)
    steps: list[Step] = []
    with running_cluster(log) as stack:
        database = stack.postgres.create_database()
        url = stack.postgres.url(database)
        upgrade(url)
        storage = Storage.create(url, StorageKeys.from_settings(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32)))
        try:
            loader = Loader(stack, storage, log)
            measured = lookups(stack, storage, lambda: loader.loaded)
            for size in args.users:
                log(f"partial import up to {size:,} users in {REALM} "
                    f"({IMPORT_BATCH} per request, {len(loader.apis)} streams) ...")
                rate = loader.grow_to(size)
                log(f"  {size:,} users; {rate:.0f} users/s; identity index catching up ...")
                index_rate = loader.index_catch_up()
                log(f"  identity index up to date: {index_rate:.0f} users/s")
                results = {}
                for n, lookup in enumerate(measured):
                    results[lookup.label] = measure(lookup, args.samples, args.warmup,
                                                    seed=size * 100 + n, log=log)
                    s = results[lookup.label]
                    log(f"  {lookup.label}: p95 {fmt_seconds(s.p95)}, p50 {fmt_seconds(s.p50)}")
                steps.append(Step(users=size, import_rate=rate, index_rate=index_rate,
                                  results=results))
        finally:
            storage.dispose()
        nodes = len(stack.node_urls)
    result = table(steps, measured, nodes, args.samples)
    print()
    print(render_text(result))
    minutes = (time.monotonic() - started) / 60
    preamble = [
        f"Measured by `make bench-scale` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: Keycloak "
        f"{KEYCLOAK_VERSION}, {nodes} nodes in production mode (`start --optimized`) on a "
        f"throw-away PostgreSQL, the sidecar's records on the same PostgreSQL, loopback, "
        f"{os.cpu_count()} CPU(s), Python {platform.python_version()}; whole run "
        f"{minutes:.1f} min; 1-minute load average {load_before:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "Sizes: " + ", ".join(f"{step.users:,}" for step in steps) + " users in the realm.",
    ]
    args.output.write_text(render_document([result], preamble), encoding="utf-8")
    print(f"\nwritten to {args.output} in {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
