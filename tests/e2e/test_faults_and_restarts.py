"""R4 and R9 (issue 8), X5: the parts really stopped and restarted mid-journey.

R4: Keycloak, the mail relay and the registries each stopped in the middle of a registration
or a password reset: the user is told what is happening (or nothing needs telling: the
account and its mail follow), nothing half-written stays, nothing accepted is lost, and the
journey completes once the part is back. R9: the sidecar and Keycloak restarted between the
steps of a registration and of a login: no state lost.

The sidecar "restart" builds a new app over the same instance folder and database after
stopping the old one's outbox thread (support/restartable_sidecar.py); Keycloak is the
session's real server, stopped and started again on its data folder; the mail relay is the
session's sink with its SMTP side closed; the registries are a fake registry server of this
test's own, shut down and started again on the same port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import requests

from gerbang_ops.mailsink import MailSink, MailSinkClient
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.config import RegistryUrls
from gerbang_sidecar.fake_registry.server import make_fake_registry_server
from support.akses_steps import activation_link
from support.forms import form
from support.loopback_session import LoopbackSession
from support.restartable_sidecar import RestartableSidecar

pytestmark = pytest.mark.keycloak

# docs/registries.md, "fault tests".
SRI = {"name": "Sri Handayani", "nik": "3171014407960019", "phone": "081355500041",
       "email": "sri.handayani@example.com"}
TEGUH = {"name": "Teguh Prakoso", "nik": "3273050512870020", "phone": "081355500042",
         "email": "teguh.prakoso@example.com"}
YULIA = {"name": "Yulia Pertiwi", "nik": "3471025009930021", "phone": "081355500043",
         "email": "yulia.pertiwi@example.com"}
ARIF = {"name": "Arif Budiman", "nik": "3578031803890022", "phone": "081355500044",
        "email": "arif.budiman@example.com"}
PASSWORD = "Tahan#Restart2025"
# The outbox retries after 1 s, 2 s, 4 s ... (OUTBOX_RETRY_SECONDS=1 in the test sidecar).
AFTER_A_RESTART = 150


@pytest.fixture
def restored(sidecar: RestartableSidecar) -> Iterator[RestartableSidecar]:
    """The sidecar, back on its usual settings after the test."""
    yield sidecar
    sidecar.restart()


def _selanjutnya(base: str, person: dict[str, str],
                 browser: requests.Session | None = None) -> tuple[requests.Session,
                                                                   requests.Response]:
    browser = browser or requests.Session()
    page = browser.get(f"{base}/akses/daftar/individu-lokal", timeout=20)
    data = {**form(page.text, "registration-form").fields, **person}
    return browser, browser.post(f"{base}/akses/daftar/individu-lokal", data=data, timeout=20)


def _aktivasi(base: str, browser: requests.Session,
              confirmation: requests.Response) -> requests.Response:
    activate = form(confirmation.text, "activate-form")
    return browser.post(f"{base}{urlparse(activate.action).path}", data=activate.fields,
                        timeout=20)


def _log_in(base: str, email: str) -> LoopbackSession:
    """The portal login as a browser makes it: the sidecar, Keycloak's form, the callback."""
    browser = LoopbackSession()
    page = browser.get(f"{base}/akses/masuk", timeout=20)
    login = form(page.text, "kc-form-login")
    answer = browser.post(login.action, data={**login.fields, "username": email,
                                              "password": PASSWORD}, timeout=20)
    assert answer.url.startswith(f"{base}/akses"), answer.url
    assert browser.get(f"{base}/akses/beranda", timeout=20,
                       allow_redirects=False).status_code == 200
    return browser


def test_r9_a_registration_survives_a_sidecar_restart(sidecar_server: str, sidecar,  # type: ignore[no-untyped-def]
                                                      mailbox: MailSinkClient) -> None:
    browser, confirmation = _selanjutnya(sidecar_server, SRI)
    assert confirmation.status_code == 200
    sidecar.restart()
    thanks = _aktivasi(sidecar_server, browser, confirmation)
    assert thanks.status_code == 200 and 'id="thanks"' in thanks.text
    assert activation_link(mailbox, SRI["email"])


def test_r4_r9_keycloak_stopped_mid_registration_mid_reset_and_mid_login(
        sidecar_server: str, restored: RestartableSidecar, keycloak, admin_api: KeycloakApi,  # type: ignore[no-untyped-def]
        mailbox: MailSinkClient) -> None:
    # A member who resets a password, and one logged in to the portal, before the outage.
    member = "anggota.pulih@example.com"
    admin_api.post("/akses/users", {
        "username": member, "email": member, "emailVerified": True, "enabled": True,
        "firstName": "Anggota Pulih",
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    # Every page asks Keycloak whether the login still holds (X9 with no grace).
    restored.restart(portal_session_recheck_seconds=0)
    logged_in = _log_in(sidecar_server, member)
    browser, confirmation = _selanjutnya(sidecar_server, TEGUH)

    keycloak.stop()
    try:
        # Aktivasi is accepted: the page does not need Keycloak, the account follows.
        thanks = _aktivasi(sidecar_server, browser, confirmation)
        assert thanks.status_code == 200 and 'id="thanks"' in thanks.text
        # Forgot password is accepted too; its lookups and mail wait in the outbox.
        forgetful = requests.Session()
        page = forgetful.get(f"{sidecar_server}/akses/lupa-kata-sandi", timeout=20)
        sent = forgetful.post(f"{sidecar_server}/akses/lupa-kata-sandi", timeout=20, data={
            **form(page.text, "forgot-password").fields, "identifier": member,
            "channel": "email", "action": "process"})
        assert sent.status_code == 200 and 'id="sent-text"' in sent.text
        # A login confirmed a moment ago holds through a short outage (the grace period of
        # services/portal_sessions.py); past it the user would have to log in again.
        assert logged_in.get(f"{sidecar_server}/akses/beranda", timeout=20,
                             allow_redirects=False).status_code == 200
        assert mailbox.messages(to=TEGUH["email"]) == []
    finally:
        keycloak.start()

    # R9: the login made before the restart still holds (Keycloak keeps its sessions).
    assert logged_in.get(f"{sidecar_server}/akses/beranda", timeout=20,
                         allow_redirects=False).status_code == 200
    # Nothing accepted was lost: the account and both mails arrive once Keycloak is back.
    mailbox.wait_for(TEGUH["email"], timeout=AFTER_A_RESTART)
    assert activation_link(mailbox, TEGUH["email"])
    assert mailbox.wait_for(member, subject_contains="Tindakan diperlukan",
                            timeout=AFTER_A_RESTART)
    assert len(admin_api.get("/akses/users", q=f"nik:{TEGUH['nik']}")) == 1


def test_r4_mail_relay_stopped_at_aktivasi(sidecar_server: str, mail_sink: MailSink,
                                           mailbox: MailSinkClient,
                                           admin_api: KeycloakApi) -> None:
    browser, confirmation = _selanjutnya(sidecar_server, YULIA)
    mail_sink.pause_smtp()
    try:
        thanks = _aktivasi(sidecar_server, browser, confirmation)
        assert thanks.status_code == 200 and 'id="thanks"' in thanks.text
        # The account is made; its mail cannot leave yet.
        deadline = time.monotonic() + 60
        while not admin_api.get("/akses/users", q=f"nik:{YULIA['nik']}") \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(admin_api.get("/akses/users", q=f"nik:{YULIA['nik']}")) == 1
        assert mailbox.messages(to=YULIA["email"]) == []
    finally:
        mail_sink.resume_smtp()
    assert mailbox.wait_for(YULIA["email"], timeout=AFTER_A_RESTART)


def test_r4_mail_relay_stopped_mid_reset(sidecar_server: str, mail_sink: MailSink,
                                         mailbox: MailSinkClient,
                                         admin_api: KeycloakApi) -> None:
    """Forgot password while the relay is down: Keycloak cannot send the link, the outbox
    keeps asking it to, and the link arrives once the relay is back."""
    member = "relay.reset@example.com"
    admin_api.post("/akses/users", {
        "username": member, "email": member, "emailVerified": True, "enabled": True,
        "firstName": "Relay Reset",
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    mail_sink.pause_smtp()
    try:
        forgetful = requests.Session()
        page = forgetful.get(f"{sidecar_server}/akses/lupa-kata-sandi", timeout=20)
        sent = forgetful.post(f"{sidecar_server}/akses/lupa-kata-sandi", timeout=20, data={
            **form(page.text, "forgot-password").fields, "identifier": member,
            "channel": "email", "action": "process"})
        assert sent.status_code == 200 and 'id="sent-text"' in sent.text
        assert mailbox.messages(to=member) == []
    finally:
        mail_sink.resume_smtp()
    assert mailbox.wait_for(member, subject_contains="Tindakan diperlukan",
                            timeout=AFTER_A_RESTART)


def test_r9_a_login_survives_a_sidecar_restart_between_its_steps(
        sidecar_server: str, sidecar, admin_api: KeycloakApi) -> None:  # type: ignore[no-untyped-def]
    """The sidecar restarts while the user is on Keycloak's login page: the callback reaches
    the new process, which finishes the login (the pending login travels in the signed
    cookie, the login itself lives in the database)."""
    member = "login.restart@example.com"
    admin_api.post("/akses/users", {
        "username": member, "email": member, "emailVerified": True, "enabled": True,
        "firstName": "Login Restart",
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    browser = LoopbackSession()
    page = browser.get(f"{sidecar_server}/akses/masuk", timeout=20)
    login = form(page.text, "kc-form-login")
    sidecar.restart()
    answer = browser.post(login.action, data={**login.fields, "username": member,
                                              "password": PASSWORD}, timeout=20)
    assert answer.url.startswith(f"{sidecar_server}/akses"), answer.url
    sidecar.restart()
    assert browser.get(f"{sidecar_server}/akses/beranda", timeout=20,
                       allow_redirects=False).status_code == 200


def test_r4_registries_stopped_at_selanjutnya(sidecar_server: str,
                                              restored: RestartableSidecar) -> None:
    registry = make_fake_registry_server()
    port = registry.port
    urls = RegistryUrls(**{name: f"http://127.0.0.1:{port}/{path}" for name, path in (
        ("dukcapil", "dukcapil"), ("oss", "oss"), ("ksei", "ksei"), ("bkn", "bkn"),
        ("sipp", "sipp"), ("message_gateway", "gateway"))})
    restored.restart(registries=urls)
    registry.server_close()  # stopped before it ever answered

    browser, refused = _selanjutnya(sidecar_server, ARIF)
    assert refused.status_code == 503
    for value in ARIF.values():  # X5: everything typed is still in the form
        assert f'value="{value}"' in refused.text
    assert "Gangguan sementara" in refused.text  # told, in the page's language

    back = make_fake_registry_server(port=port)
    thread = threading.Thread(target=back.serve_forever, daemon=True)
    thread.start()
    try:
        _, confirmation = _selanjutnya(sidecar_server, ARIF, browser)
        assert confirmation.status_code == 200 and 'id="confirmation"' in confirmation.text
    finally:
        back.shutdown()
        thread.join(timeout=5)
