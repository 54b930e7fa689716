"""Issue 11 item 2, the sidecar half: two sidecars under gunicorn on one PostgreSQL database
are one sidecar. Every piece of state a journey leaves behind (the registration, the reset
link, rate-limit windows, one-time codes and their attempts, portal logins) lives in the
database, so whichever sidecar the balancer picks for the next request carries on.

The "browser" is support.routed_session's: requests for the portals' public address go to the
sidecar the test picks, as a load balancer without sticky sessions would send them; Keycloak's
pages are reached at the cluster's public address (node 1). Mails go to the cluster's mail
sink, SMS to the fake gateway. The outbox is delivered by ``python -m gerbang_sidecar outbox``
processes, as in docker-compose.yml.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import signal
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import requests
from sqlalchemy import func, select, update

from gerbang_ops.import_legacy_members import Importer, parse_row
from gerbang_ops.keycloak.production import KeycloakCluster
from gerbang_ops.mailsink import MailSink, MailSinkClient
from gerbang_ops.postgres import PostgresServer
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.adapters.mail import redelivery_id
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import OutboxMessage
from support.cluster_sidecars import (
    Process,
    SidecarCluster,
    prepare_database,
    sidecar_environment,
    start_outbox,
    wait_for,
)
from support.forms import form
from support.gateway import first_link, wait_for_sms
from support.oidc_login import BrowserLogin
from support.routed_session import RoutedSession

REALM = "akses"
TIMEOUT = 120  # per request; generous, the machine may be busy. Nothing here is timed.
PASSWORD = "Kluster#Sandi2025"
NEW_PASSWORD = "Kluster#Baru2026"
# A seeded Dukcapil identity (docs/registries.md); the cluster's Keycloak and database are
# fresh for every session, so it is free.
SITI = {"name": "Siti Rahmawati", "nik": "3171015203900001", "phone": "0812-3456-7890",
        "email": "siti.rahmawati@example.com"}


# --- a browser behind the balancer --------------------------------------------------------


class Browser:
    """A RoutedSession that follows redirects itself, resolving relative ones against the
    public address (so every hop goes through the balancer's choice of the moment)."""

    def __init__(self, public_url: str, backend: str):
        self.public_url = public_url
        self.session = RoutedSession(public_url, backend)

    def route_to(self, backend: str) -> None:
        self.session.route_to(backend)

    def go(self, url: str, data: dict[str, str] | None = None,
           stop_at: str | None = None) -> requests.Response:
        """GET (or POST ``data``) and follow redirects until a page, or until one leads to
        ``stop_at``; the last response keeps the URL it was asked for in ``.asked``."""
        url = urljoin(self.public_url + "/", url)
        response = (self.session.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)
                    if data is not None else
                    self.session.get(url, allow_redirects=False, timeout=TIMEOUT))
        while response.is_redirect:
            nxt = urljoin(url, response.headers["Location"])
            if stop_at and nxt.startswith(stop_at):
                break
            url = nxt
            response = self.session.get(url, allow_redirects=False, timeout=TIMEOUT)
        response.asked = url  # type: ignore[attr-defined]
        return response

    def submit(self, page: requests.Response, form_id: str, **values: str) -> requests.Response:
        found = form(page.text, form_id)
        action = urljoin(page.asked, found.action or page.asked)  # type: ignore[attr-defined]
        return self.go(action, data={**found.fields, **values})

    def backends_since(self, start: int) -> set[str]:
        return {backend for backend, _path in self.session.routed[start:]}

    def log_in_on_keycloak(self, page: requests.Response, username: str,
                           password: str) -> requests.Response:
        """Keycloak's login form (served by a node) -> back through the portal's callback."""
        assert 'id="kc-form-login"' in page.text, page.text[:1000]
        return self.submit(page, "kc-form-login", username=username, password=password)


def keycloak_set_password(browser: Browser, link: str, password: str) -> requests.Response:
    """A Keycloak action-token link (C1): its info page, if any, then the new password."""
    page = browser.go(link)
    if "password-new" not in page.text:
        onward = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', page.text)
                  if "login-actions" in href or "action-token" in href]
        assert onward, page.text[:2000]
        page = browser.go(onward[0])
    assert "password-new" in page.text, page.text[:2000]
    found = form(page.text)
    action = urljoin(page.asked, found.action)  # type: ignore[attr-defined]
    return browser.go(action, data={**found.fields, "password-new": password,
                                    "password-confirm": password})


def mailbox(sink: MailSink) -> MailSinkClient:
    return MailSinkClient(sink.http_url)


# --- (1) journeys that change sidecar half-way ------------------------------------------


def test_a5_registration_started_on_sidecar_1_is_activated_and_finished_on_sidecar_2(
        sidecar_cluster: SidecarCluster, keycloak_cluster: KeycloakCluster,
        cluster_mail_sink: MailSink, cluster_admin_api: KeycloakApi) -> None:
    """A5 across sidecars: the form and "Selanjutnya" on sidecar 1; "Aktivasi", the thank-you
    page and, after the mailed link (C1), Beranda on sidecar 2. The form's CSRF token, the
    registration token in the signed cookie and the registration row are honoured there."""
    one, two = sidecar_cluster.sidecars
    browser = Browser(sidecar_cluster.public_url, one.url)
    page = browser.go("/akses/daftar/individu-lokal")
    assert page.status_code == 200 and 'id="registration-form"' in page.text
    confirmation = browser.submit(page, "registration-form", **SITI)
    assert confirmation.status_code == 200 and 'id="confirmation"' in confirmation.text, \
        confirmation.text[:2000]
    assert browser.backends_since(0) == {one.url}

    browser.route_to(two.url)
    on_two = len(browser.session.routed)
    thanks = browser.submit(confirmation, "activate-form")  # "Aktivasi", then the thank-you page
    assert thanks.status_code == 200, thanks.text[:2000]
    assert f"Terima kasih sudah melakukan pendaftaran, {SITI['name']}" in thanks.text

    # The outbox worker makes the account and mails the link (Keycloak's action token).
    mail = mailbox(cluster_mail_sink).wait_for(SITI["email"], timeout=TIMEOUT)
    [link] = mailbox(cluster_mail_sink).links(mail, containing="action-token")[:1]
    updated = keycloak_set_password(browser, link, PASSWORD)
    assert "Akun Anda telah diperbarui" in updated.text, updated.text[:2000]
    # "Kembali ke Aplikasi": Beranda on the portal, which logs the user in (A5's last step).
    [back] = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', updated.text)
              if href.startswith(sidecar_cluster.public_url)][:1]
    beranda = browser.go(back)
    if 'id="kc-form-login"' in beranda.text:
        beranda = browser.log_in_on_keycloak(beranda, SITI["email"], PASSWORD)
    assert beranda.status_code == 200 and 'id="welcome"' in beranda.text, beranda.text[:2000]
    assert SITI["name"] in beranda.text
    assert browser.backends_since(on_two) == {two.url}
    [user] = cluster_admin_api.get(f"/{REALM}/users", email=SITI["email"], exact="true")
    assert user["enabled"] and user["emailVerified"]


def _member(admin_api: KeycloakApi, *, phone_verified: bool) -> dict[str, str]:
    email = f"klaster.{uuid.uuid4().hex[:10]}@example.com"
    member = {"username": email, "email": email, "name": "Sari Pemulihan",
              "nik": f"317101520390{secrets.randbelow(9000) + 1000}",
              "phone": f"+62812{secrets.randbelow(10**8):08d}"}
    admin_api.post(f"/{REALM}/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": member["name"],
        "attributes": {"nik": [member["nik"]], "phoneNumber": [member["phone"]],
                       "phoneNumberVerified": ["true" if phone_verified else "false"]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    return member


def _can_log_in(keycloak_url: str, public_url: str, username: str, password: str) -> bool:
    login = BrowserLogin(keycloak_url, REALM, "akses-portal", f"{public_url}/akses/oidc/callback")
    return login.password(username, password).code is not None


def test_a7_forgot_password_asked_on_sidecar_1_its_link_opened_on_sidecar_2(
        sidecar_cluster: SidecarCluster, keycloak_cluster: KeycloakCluster,
        cluster_admin_api: KeycloakApi) -> None:
    """A7 across sidecars: "Proses" on sidecar 1; the link the outbox sent (by SMS: the
    sidecar's own set-password page) opened on sidecar 2 by another device, the new password
    (C1) set there; Keycloak takes it, the link is then spent on either sidecar."""
    one, two = sidecar_cluster.sidecars
    member = _member(cluster_admin_api, phone_verified=True)
    asking = Browser(sidecar_cluster.public_url, one.url)
    page = asking.go("/akses/lupa-kata-sandi")
    sent = asking.submit(page, "forgot-password", identifier=member["nik"], channel="sms",
                         action="process")
    assert sent.status_code == 200 and "/lupa-kata-sandi/terkirim/" in sent.asked  # type: ignore[attr-defined]
    assert asking.backends_since(0) == {one.url}

    link = first_link(wait_for_sms(sidecar_cluster.registry_url, member["phone"],
                                   timeout=TIMEOUT))
    assert link.startswith(f"{sidecar_cluster.public_url}/akses/lupa-kata-sandi/atur/")
    phone = Browser(sidecar_cluster.public_url, two.url)
    set_page = phone.go(link)
    assert set_page.status_code == 200 and 'id="set-password"' in set_page.text
    changed = phone.submit(set_page, "set-password", password=NEW_PASSWORD,
                           password_confirm=NEW_PASSWORD)
    assert changed.status_code == 200 and 'id="changed-text"' in changed.text, \
        changed.text[:2000]
    assert phone.backends_since(0) == {two.url}
    node_b = keycloak_cluster.nodes[1]
    assert _can_log_in(node_b.url, sidecar_cluster.public_url, member["username"], NEW_PASSWORD)
    # Single use across the cluster: sidecar 1 no longer accepts the link either.
    phone.route_to(one.url)
    assert phone.go(link).status_code == 410


# --- (2) two outbox workers, one killed ------------------------------------------------------

MESSAGES = 1000
OTP_EMAIL = "one_time_code.email"  # its handler only mails (services/notifications.py)


def _message_ids(sink: MailSink) -> Counter[str]:
    """Mails at the sink by Message-ID's left part: the same for every delivery of an outbox
    key (``redelivery_id``)."""
    counted: Counter[str] = Counter()
    for message in sink.store.list():
        for name, value in message.headers:
            if name.lower() == "message-id":
                counted[value.strip().strip("<>").split("@")[0]] += 1
    return counted


def _statuses(storage: Storage) -> Counter[str]:
    with storage.session_factory() as session:
        return Counter(dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def _in_flight(storage: Storage) -> list[tuple[int, datetime]]:
    with storage.session_factory() as session:
        return list(session.execute(select(OutboxMessage.id, OutboxMessage.claimed_at).where(
            OutboxMessage.status == "in_flight")).all())


def _handed_over(storage: Storage, ids: list[int]) -> set[int]:
    with storage.session_factory() as session:
        return set(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.id.in_(ids), OutboxMessage.handed_over_at.is_not(None))))


def _claimed_after(storage: Storage, moment: datetime) -> int:
    with storage.session_factory() as session:
        return int(session.scalar(select(func.count()).where(
            OutboxMessage.claimed_at > moment)) or 0)


def test_x2_two_outbox_workers_deliver_1000_messages_once_and_survive_a_sigkill(
        tmp_path: Path, cluster_postgres: PostgresServer, sidecar_cluster: SidecarCluster,
        ) -> None:
    """Two ``python -m gerbang_sidecar outbox`` processes on one database drain 1,000
    queued mails. Claims are ``FOR UPDATE SKIP LOCKED``: no mail reaches the sink twice.
    Worker A is killed (SIGKILL) while it holds a claimed batch (frozen with SIGSTOP first,
    until B's next claim shows which rows in flight are A's): worker B delivers everything
    else, and once A's lease has run out B takes A's claims over: those A never handed to
    its handler are delivered by B (nothing claimed is lost); those A was delivering may
    have been sent already -- mail is at most once by design (outbox_worker.py) -- so B
    parks them ``dead`` with "outcome unknown" for a person, rather than risk a second mail.
    Every message ends ``sent`` (and is at the sink exactly once) or is one of the few A was
    delivering when it died; nothing stays pending or in flight.

    The lease is five minutes and no setting shortens it (config.py has none): the test
    makes A's leases run out by moving their ``claim_expires_at`` into the past, which is
    what the clock does to them five minutes after the crash."""
    database = cluster_postgres.create_database()
    with MailSink(max_messages=5 * MESSAGES) as sink:
        env = sidecar_environment(
            database_url=cluster_postgres.url(database),
            keycloak_url=sidecar_cluster.env["KEYCLOAK_URL"],
            keycloak_public_url=sidecar_cluster.env["KEYCLOAK_PUBLIC_URL"],
            public_url=sidecar_cluster.public_url, registry_url=sidecar_cluster.registry_url,
            smtp_host=sink.smtp_host, smtp_port=sink.smtp_port,
            realm_env={**sidecar_cluster.env, "SMTP_FROM": "no-reply@gerbang.test"},
            shared_secrets={name: sidecar_cluster.env[name] for name in (
                "GERBANG_SECRET_KEY", "GERBANG_PII_KEY", "GERBANG_BLIND_INDEX_KEY",
                "GERBANG_CA_KEK")},
            instance_path=tmp_path / "instance")
        prepare_database(env, tmp_path)
        storage = Storage.create(env["DATABASE_URL"], StorageKeys.from_settings(
            env["GERBANG_PII_KEY"], env["GERBANG_BLIND_INDEX_KEY"]))
        workers: list[Process] = []
        try:
            keys = [f"cluster-{uuid.uuid4().hex}" for _ in range(MESSAGES)]
            now = datetime.now(UTC)
            with storage.transaction() as tx:  # the sidecar's own Store API
                for index, key in enumerate(keys):
                    assert tx.outbox.enqueue(kind=OTP_EMAIL, idempotency_key=key, now=now,
                                             payload={"realm": REALM, "locale": "id",
                                                      "destination": f"kode{index}@example.test",
                                                      "code": f"{index % 100000:05d}",
                                                      "ttl_minutes": 10})
            worker_a = start_outbox("outbox-a", env, tmp_path)
            workers.append(worker_a)
            worker_b = start_outbox("outbox-b", env, tmp_path)
            workers.append(worker_b)

            # Both at work: a fifth of the mails out, then freeze A while it holds a claim.
            wait_for("a fifth of the mails",
                     lambda: sum(_message_ids(sink).values()) >= MESSAGES // 5, timeout=300)
            a_claims: list[int] = []
            for _try in range(50):
                worker_a.signal(signal.SIGSTOP)
                frozen_at = datetime.now(UTC)
                # B claims again only after finishing its batch: then every row still in
                # flight from before the freeze is A's.
                wait_for("worker B's next claim", lambda moment=frozen_at: (
                    _claimed_after(storage, moment) > 0
                    or _statuses(storage)["pending"] == 0), timeout=300)
                assert _claimed_after(storage, frozen_at) > 0, "the queue ran dry first"
                a_claims = [i for i, claimed in _in_flight(storage) if claimed <= frozen_at]
                if a_claims:
                    break
                # A was between two batches: let both go on a little, then try again.
                worker_a.signal(signal.SIGCONT)
                assert _statuses(storage)["pending"] > 0, "B drained the queue alone"
                sent_so_far = sum(_message_ids(sink).values())
                wait_for("more mails", lambda before=sent_so_far: sum(
                    _message_ids(sink).values()) > before, timeout=300)
            assert a_claims, "worker A never held a claim when frozen"
            worker_a.kill()  # mid-batch: it holds a_claims
            a_started = _handed_over(storage, a_claims)

            # B delivers everything else ...
            wait_for("worker B to drain the queue", lambda: (
                _statuses(storage)["pending"] == 0
                and {i for i, _ in _in_flight(storage)} == set(a_claims)) or None, timeout=300)
            # ... then A's lease runs out and B takes A's claims over.
            with storage.session_factory() as session:
                session.execute(update(OutboxMessage).where(
                    OutboxMessage.id.in_(a_claims)).values(
                    claim_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
                session.commit()
            wait_for("worker B to take over A's claims",
                     lambda: not _in_flight(storage) or None, timeout=120)
            assert worker_b.running, worker_b.log_tail()

            statuses = _statuses(storage)
            delivered = _message_ids(sink)
            with storage.session_factory() as session:
                rows = {key: (status, error) for key, status, error in session.execute(select(
                    OutboxMessage.idempotency_key, OutboxMessage.status,
                    OutboxMessage.last_error))}
                dead_ids = set(session.scalars(select(OutboxMessage.id).where(
                    OutboxMessage.status == "dead")))
        finally:
            for worker in workers:
                worker.kill()
            storage.dispose()

    ids = {redelivery_id(key): key for key in keys}
    delivered = Counter({ids.get(mail_id, mail_id): n for mail_id, n in delivered.items()})
    assert set(delivered) <= set(keys)
    assert max(delivered.values()) == 1, [k for k, n in delivered.items() if n > 1][:5]
    assert statuses == Counter({"sent": MESSAGES - len(a_started), "dead": len(a_started)})
    # Only what A was delivering when it died; the rest of its claims were sent by B.
    assert dead_ids == a_started
    for key in keys:
        status, error = rows[key]
        if status == "sent":
            assert delivered[key] == 1, key  # sent means at the sink, exactly once
        else:
            assert "outcome unknown" in (error or ""), (key, error)
            assert delivered[key] <= 1  # sent just before the kill, or not at all


# --- (3) limits, codes and logins hold across both sidecars -------------------------------


def test_x2_a_rate_limit_counts_requests_to_both_sidecars_together(
        sidecar_cluster: SidecarCluster) -> None:
    """X2: forgot password allows 5 requests per identifier per hour, from any address. Sent
    alternately to sidecar 1 and 2, the sixth is refused (429): the window is counted in the
    shared database, not per process (each sidecar alone would have allowed 5)."""
    sidecars = sidecar_cluster.sidecars
    browser = Browser(sidecar_cluster.public_url, sidecars[0].url)
    page = browser.go("/akses/lupa-kata-sandi")
    identifier = f"tidak.ada.{uuid.uuid4().hex[:8]}@example.com"
    statuses = []
    for attempt in range(7):
        browser.route_to(sidecars[attempt % 2].url)
        answer = browser.session.post(
            f"{sidecar_cluster.public_url}/akses/lupa-kata-sandi", allow_redirects=False,
            timeout=TIMEOUT, data={**form(page.text, "forgot-password").fields,
                                   "identifier": identifier, "channel": "email",
                                   "action": "process"})
        statuses.append(answer.status_code)
    assert statuses == [303] * 5 + [429, 429]
    assert browser.backends_since(0) == {sidecar.url for sidecar in sidecars}


def _old_hash(password: str) -> str:
    """A password hash as the previous AKSes version stored it (the legacy import's format)."""
    salt = secrets.token_bytes(16)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 27500, 32)
    return (f"pbkdf2-sha256$27500${base64.b64encode(salt).decode()}$"
            f"{base64.b64encode(derived).decode()}")


def test_x2_x9_a6_code_attempts_and_a_portal_login_hold_across_both_sidecars(
        sidecar_cluster: SidecarCluster, keycloak_cluster: KeycloakCluster,
        cluster_admin_api: KeycloakApi, cluster_mail_sink: MailSink) -> None:
    """A legacy member (A6) logs in through sidecar 1; the portal login is honoured by
    sidecar 2 (X9: it lives in the database). The 5-digit code sent from sidecar 2 is guessed
    wrongly alternately on both: the attempts left count down across them and the fifth
    wrong guess locks the code (X2: 5 attempts), so even the right code is refused then, on
    either sidecar. Logging out on sidecar 2 ends the login on sidecar 1 too (X9)."""
    one, two = sidecar_cluster.sidecars
    user_id = f"Lama{uuid.uuid4().hex[:8]}"
    email = f"lama.{uuid.uuid4().hex[:8]}@example.com"
    row = {"user_id": user_id, "name": "Bambang Lama",
           "nik": f"317101520390{secrets.randbelow(9000) + 1000}", "sid": "",
           "password_hash": _old_hash(PASSWORD)}
    parse_row(row)
    assert Importer(cluster_admin_api, REALM, out=lambda _l: None).run([row]).imported == 1

    browser = Browser(sidecar_cluster.public_url, one.url)
    login_page = browser.go("/akses/daftarkan-email")
    page = browser.log_in_on_keycloak(login_page, user_id, PASSWORD)
    assert page.status_code == 200 and 'id="email-form"' in page.text, page.text[:2000]
    assert one.url in browser.backends_since(0) and two.url not in browser.backends_since(0)

    browser.route_to(two.url)  # the same login, the other sidecar
    page = browser.go("/akses/daftarkan-email")
    assert page.status_code == 200 and 'id="email-form"' in page.text
    page = browser.submit(page, "email-form", **{"e-email": email, "action": "send"})
    assert page.status_code == 200 and 'id="code-form"' in page.text, page.text[:2000]
    mail = mailbox(cluster_mail_sink).wait_for(email, subject_contains="Kode OTP",
                                               timeout=TIMEOUT)
    code = re.search(r"\b(\d{5})\b", mail["text"]).group(1)  # type: ignore[union-attr]
    wrong = "00000" if code != "00000" else "11111"

    answers = []
    for attempt in range(5):
        browser.route_to((one, two)[attempt % 2].url)
        page = browser.submit(page, "code-form", **{"c-code": wrong, "action": "verify"})
        answers.append(page.text)
    for answer, left in zip(answers[:4], (4, 3, 2, 1), strict=True):
        assert f"Sisa percobaan: {left}." in answer
    assert "Terlalu banyak percobaan yang salah" in answers[4]
    for sidecar in (two, one):
        browser.route_to(sidecar.url)
        page = browser.submit(page, "code-form", **{"c-code": code, "action": "verify"})
        assert "Terlalu banyak percobaan yang salah" in page.text
        assert 'id="welcome"' not in page.text

    # X9: "Keluar" on sidecar 2 ends the login that sidecar 1 made.
    browser.route_to(two.url)
    home = browser.go("/akses/")
    assert 'id="signed-in"' in home.text, home.text[:2000]
    logout = browser.session.post(f"{sidecar_cluster.public_url}/akses/keluar",
                                  data={"csrf_token": _csrf(home.text)}, allow_redirects=False,
                                  timeout=TIMEOUT)
    assert logout.is_redirect, logout.status_code
    browser.route_to(one.url)
    after = browser.session.get(f"{sidecar_cluster.public_url}/akses/daftarkan-email",
                                allow_redirects=False, timeout=TIMEOUT)
    assert after.is_redirect and "/daftarkan-email" not in after.headers["Location"], \
        (after.status_code, after.headers.get("Location"))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, html[:2000]
    return found.group(1)
