"""I4, X4: the INSW reviewer's queue and decisions -- reviewers only, the Surat Kuasa in a
sandbox, approval issuing the USER.YYYYMMDD.NN.NNNNN username and the account, rejection
mailing the reason, one decision per registration, overdue after 24 hours."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.models import (
    AuditEvent,
    Registration,
    RegistrationDocument,
)
from gerbang_sidecar.domain.insw.usernames import is_well_formed
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.web.security_headers import UPLOADED_DOCUMENT_CSP
from gerbang_sidecar.wiring import Services
from support.account_data import download_account_data
from support.clock import FakeClock

ORGANISATION = {"nib": "9120001234561", "npwp": "012345674073000", "nik": "3374023010750008"}
PERSON = {"name": "Agus Salim", "position": "Direktur Utama", "email": "agus@nusantara.id",
          "phone": "081234567890"}


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


@pytest.fixture
def registration_id(app, services: Services) -> int:  # type: ignore[no-untyped-def]
    """A registration waiting for review, made through the registrant's pages."""
    registrant = app.test_client()
    for path, data in (("/insw/daftar", ORGANISATION), ("/insw/daftar/data-diri", PERSON)):
        registrant.post(path, data={"csrf_token": _csrf(registrant.get(path).get_data(
            as_text=True)), **data})
    path = "/insw/daftar/surat-kuasa"
    answer = registrant.post(path, data={
        "csrf_token": _csrf(registrant.get(path).get_data(as_text=True)), "terms": "y",
        "surat_kuasa": (io.BytesIO(_pdf()), "sk.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert answer.status_code == 302
    with services.storage.session_factory() as s:
        return s.scalars(select(Registration.id)).one()


@pytest.fixture
def reviewer(client: FlaskClient, log_in: Callable[..., str]) -> FlaskClient:
    log_in(client, sub="reviewer-1", client_id="insw-portal", roles=("reviewer",))
    return client


def _work_outbox(services: Services) -> None:
    worker = services.outbox_worker()
    while worker.run_once().handled:
        pass


def test_i4_only_reviewers_see_the_queue(client: FlaskClient,
                                         log_in: Callable[..., str]) -> None:
    assert client.get("/insw/review").status_code == 302  # to the login
    log_in(client, sub="u2", client_id="insw-portal", roles=("pengguna-organisasi",))
    assert client.get("/insw/review").status_code == 403


def test_i4_a_reviewer_whose_role_is_taken_away_stops_at_once(
        reviewer: FlaskClient, services: Services) -> None:
    """The role is asked of Keycloak on every page, not read from the login's token."""
    assert reviewer.get("/insw/review").status_code == 200
    keycloak = services.keycloak
    assert isinstance(keycloak, FakeKeycloakUsers)
    keycloak.direct_roles[("insw", "reviewer-1")] = frozenset()  # what an admin does
    assert reviewer.get("/insw/review").status_code == 403


def test_i4_the_queue_shows_the_registration_and_its_document_in_a_sandbox(
        reviewer: FlaskClient, registration_id: int) -> None:
    queue = reviewer.get("/insw/review").get_data(as_text=True)
    assert "PT NUSANTARA DIGITAL NIAGA" in queue and "Agus Salim" in queue
    detail = reviewer.get(f"/insw/review/{registration_id}").get_data(as_text=True)
    assert "9120001234561" in detail and "Direktur Utama" in detail
    pdf = reviewer.get(f"/insw/review/{registration_id}/surat-kuasa.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Security-Policy"] == UPLOADED_DOCUMENT_CSP  # X8: no framing either


def test_i4_approval_issues_the_username_and_makes_the_account(
        reviewer: FlaskClient, registration_id: int, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    page = reviewer.get(f"/insw/review/{registration_id}").get_data(as_text=True)
    answer = reviewer.post(f"/insw/review/{registration_id}/setujui",
                           data={"csrf_token": _csrf(page)})
    assert answer.status_code == 302
    again = reviewer.post(f"/insw/review/{registration_id}/setujui",
                          data={"csrf_token": _csrf(page)})  # a double click, a second reviewer
    assert again.status_code == 302
    assert "sudah diputuskan" in reviewer.get("/insw/review").get_data(as_text=True)
    _work_outbox(services)
    [user] = [u for (realm, _), u in fake_keycloak.users.items() if realm == "insw"]
    assert is_well_formed(user.username) and user.username.upper().startswith("USER.")
    assert (user.email, user.attributes["nib"], user.attributes["reviewStatus"]) == (
        "agus@nusantara.id", "9120001234561", "disetujui")
    assert fake_keycloak.realm_roles_of("insw", user.id) == frozenset({"pengguna-organisasi"})
    [sent] = fake_keycloak.sent
    assert sent.redirect_uri.endswith("/insw/home")
    with services.storage.session_factory() as s:
        events = [e.event_type for e in s.scalars(select(AuditEvent))]
        assert "insw.registration.approved" in events  # X4


def test_i4_rejection_needs_a_reason_and_mails_it(
        reviewer: FlaskClient, registration_id: int, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    page = reviewer.get(f"/insw/review/{registration_id}").get_data(as_text=True)
    empty = reviewer.post(f"/insw/review/{registration_id}/tolak",
                          data={"csrf_token": _csrf(page), "reason": "  "})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.get_data(as_text=True)
    done = reviewer.post(f"/insw/review/{registration_id}/tolak", data={
        "csrf_token": _csrf(page), "reason": "Surat Kuasa tidak ditandatangani direksi."})
    assert done.status_code == 302
    _work_outbox(services)
    [mail] = services.mailer.to("agus@nusantara.id")  # type: ignore[attr-defined]
    assert "tidak ditandatangani direksi" in mail.text
    assert not [u for (realm, _), u in fake_keycloak.users.items() if realm == "insw"]
    with services.storage.session_factory() as s:
        # X3: the registration and its Surat Kuasa served the decision only.
        assert s.scalars(select(Registration)).all() == []
        assert s.scalars(select(RegistrationDocument)).all() == []
        events = [e.event_type for e in s.scalars(select(AuditEvent))]
        assert "insw.registration.rejected" in events  # X4: the decision stays on record


def test_i4_a_registration_waiting_over_24_hours_is_overdue(
        reviewer: FlaskClient, registration_id: int, clock: FakeClock,
        log_in: Callable[..., str]) -> None:
    assert "Lewat 1x24 jam" not in reviewer.get("/insw/review").get_data(as_text=True)
    clock.advance(hours=24, minutes=1)
    log_in(reviewer, sub="reviewer-1", client_id="insw-portal", roles=("reviewer",))  # next day
    assert "Lewat 1x24 jam" in reviewer.get("/insw/review").get_data(as_text=True)


def test_x3_an_approved_registration_declined_as_a_duplicate_keeps_no_surat_kuasa(
        reviewer: FlaskClient, registration_id: int, services: Services,
        fake_keycloak: FakeKeycloakUsers) -> None:
    """The worker declines when the email already has an account (its owner is told):
    nothing was made, so the uploaded letter does not stay either."""
    fake_keycloak.create_user("insw", NewUser(username="sudah.ada", email=PERSON["email"],
                                              first_name="Sudah Ada", email_verified=True))
    page = reviewer.get(f"/insw/review/{registration_id}").get_data(as_text=True)
    reviewer.post(f"/insw/review/{registration_id}/setujui", data={"csrf_token": _csrf(page)})
    _work_outbox(services)
    with services.storage.session_factory() as s:
        assert s.scalars(select(Registration.status)).one() == "declined"
        assert s.scalars(select(RegistrationDocument)).all() == []


def test_x10_the_approved_accounts_data_saya_holds_its_registration_and_surat_kuasa(
        app, reviewer: FlaskClient, registration_id: int, services: Services,  # type: ignore[no-untyped-def]
        fake_keycloak: FakeKeycloakUsers, log_in: Callable[..., str]) -> None:
    import base64
    import json

    page = reviewer.get(f"/insw/review/{registration_id}").get_data(as_text=True)
    reviewer.post(f"/insw/review/{registration_id}/setujui", data={"csrf_token": _csrf(page)})
    _work_outbox(services)
    [user] = [u for (realm, _), u in fake_keycloak.users.items() if realm == "insw"]
    owner = app.test_client()
    log_in(owner, sub=user.id, client_id="insw-portal", roles=("pengguna-organisasi",))
    document = json.loads(download_account_data(owner, "insw").get_data(as_text=True))
    [registration] = document["registrations"]
    [letter] = registration["documents"]
    assert (registration["status"], letter["kind"]) == ("activated", "surat_kuasa")
    assert base64.b64decode(letter["content_base64"]).startswith(b"%PDF")
