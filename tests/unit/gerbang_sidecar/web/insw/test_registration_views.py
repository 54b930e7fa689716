"""INSW "Buat Akun" (I1–I3, X5) over the real service, the OSS twin and the PDF inspector:
the three steps, OSS mismatches named by kind, the Surat Kuasa's checks, and the registration
stored encrypted and waiting for review."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import select, text

from gerbang_sidecar.adapters.storage.models import Registration, RegistrationDocument
from gerbang_sidecar.wiring import Services
from support.clock import FakeClock

# docs/registries.md, businesses: PT NUSANTARA DIGITAL NIAGA.
ORGANISATION = {"nib": "9120001234561", "npwp": "01.234.567.4-073.000",
                "nik": "3374023010750008"}
PERSON = {"name": "Agus Salim", "position": "Direktur Utama", "email": "agus@nusantara.id",
          "phone": "081234567890"}


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _csrf(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


def _post(client: FlaskClient, path: str, data: dict, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": _csrf(client, path), **data}, **kwargs)


def _steps_1_and_2(client: FlaskClient) -> None:
    assert _post(client, "/insw/daftar", ORGANISATION).location.endswith("/data-diri")
    assert _post(client, "/insw/daftar/data-diri", PERSON).location.endswith("/surat-kuasa")


def test_i1_i2_i3_three_steps_end_in_review(client: FlaskClient, services: Services) -> None:
    _steps_1_and_2(client)
    pdf = _pdf()
    answer = _post(client, "/insw/daftar/surat-kuasa", {
        "surat_kuasa": (io.BytesIO(pdf), "surat-kuasa.pdf", "application/pdf"),
        "terms": "y"}, content_type="multipart/form-data")
    assert answer.status_code == 302 and answer.location.endswith("/terima-kasih")
    thanks = client.get("/insw/daftar/terima-kasih").get_data(as_text=True)
    assert "1x24 jam" in thanks and "PT NUSANTARA DIGITAL NIAGA" in thanks
    with services.storage.session_factory() as s:
        [row] = s.scalars(select(Registration)).all()
        assert (row.realm, row.registration_type, row.status) == ("insw", "organisasi",
                                                                  "in_review")
        assert row.data["organisation"]["npwp"] == "012345674073000"
        [doc] = s.scalars(select(RegistrationDocument)).all()
        assert (doc.content, doc.size, doc.kind) == (pdf, len(pdf), "surat_kuasa")
        raw = s.execute(text("SELECT content_encrypted FROM registration_documents")).scalar()
        assert b"%PDF" not in raw  # X3: encrypted at rest


def test_i1_an_oss_mismatch_names_the_kind_of_data_and_keeps_the_form(
        client: FlaskClient) -> None:
    answer = _post(client, "/insw/daftar", {**ORGANISATION, "nik": "3171015203900001"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="nik-error"' in page and "Perbaiki data melalui OSS" in page
    assert "3374023010750008" not in page  # nothing of the OSS record shown
    assert 'value="9120001234561"' in page  # X5


def test_i3_the_surat_kuasa_is_checked_beside_its_field(client: FlaskClient,
                                                        services: Services) -> None:
    _steps_1_and_2(client)
    cases = [(b"%PDF-1.7\n" + b"x" * (1024 * 1024 + 10), "terlalu besar"),
             (b"\x89PNG\r\n\x1a\n" + b"0" * 64, "bukan PDF"),
             (b"", "Pilih berkas")]
    for content, message in cases:
        answer = _post(client, "/insw/daftar/surat-kuasa", {
            "surat_kuasa": (io.BytesIO(content), "x.pdf", "application/pdf"),
            "terms": "y"}, content_type="multipart/form-data")
        assert answer.status_code == 422, message
        assert message in answer.get_data(as_text=True)
    unticked = _post(client, "/insw/daftar/surat-kuasa", {
        "surat_kuasa": (io.BytesIO(_pdf()), "x.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert unticked.status_code == 422
    with services.storage.session_factory() as s:
        assert s.scalars(select(RegistrationDocument)).all() == []
        assert s.scalars(select(Registration)).one().status == "pending_confirmation"


def test_x5_kembali_shows_every_step_as_typed(client: FlaskClient) -> None:
    _steps_1_and_2(client)
    step1 = client.get("/insw/daftar").get_data(as_text=True)
    assert 'value="9120001234561"' in step1
    step2 = client.get("/insw/daftar/data-diri").get_data(as_text=True)
    assert 'value="Direktur Utama"' in step2


def test_steps_cannot_be_skipped(client: FlaskClient) -> None:
    assert client.get("/insw/daftar/surat-kuasa").location.endswith("/insw/daftar")
    assert client.get("/insw/daftar/terima-kasih").location.endswith("/insw/daftar")


def _journey(app: Flask, person: dict[str, str]) -> list[tuple[int, str, str]]:
    """Status, redirect and page of every step, with what the registrant typed taken out."""
    client = app.test_client()
    seen = []
    for path, data, extra in (
            ("/insw/daftar", ORGANISATION, {}),
            ("/insw/daftar/data-diri", person, {}),
            ("/insw/daftar/surat-kuasa", {"surat_kuasa": (io.BytesIO(_pdf()), "sk.pdf",
                                                          "application/pdf"), "terms": "y"},
             {"content_type": "multipart/form-data"})):
        answer = _post(client, path, data, **extra)
        seen.append((answer.status_code, answer.location or "", ""))
    thanks = client.get("/insw/daftar/terima-kasih").get_data(as_text=True)
    seen.append((200, "", thanks.replace(person["name"], "[name]")))
    return seen


def test_x1_an_email_and_phone_with_an_account_get_the_same_steps(
        app: Flask, services: Services, clock: FakeClock) -> None:
    """INSW's steps look nothing up by email or phone (the worker declines a duplicate after
    the review and tells the address's owner): a registrant cannot tell a held address."""
    with services.storage.transaction() as tx:
        tx.identities.add_all(realm="insw", pairs=[("email", PERSON["email"]),
                                                   ("phone", "+6281234567890")],
                              created_at=clock(), subject_id="existing-account")
    held = _journey(app, PERSON)
    free = _journey(app, {**PERSON, "name": "Budi Santoso", "email": "budi@nusantara.id",
                          "phone": "081298765432"})
    assert held == free
    assert held[2][1].endswith("/terima-kasih")


def _submit(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Step 3's "Daftar", with the session's CSRF token read off step 1 (step 3's page is
    gone once the registration is sent)."""
    return client.post("/insw/daftar/surat-kuasa", data={
        "csrf_token": _csrf(client, "/insw/daftar"),
        "surat_kuasa": (io.BytesIO(_pdf()), "sk.pdf", "application/pdf"), "terms": "y"},
        content_type="multipart/form-data")


def test_i3_a_second_click_on_daftar_shows_the_thank_you_page(client: FlaskClient,
                                                              services: Services) -> None:
    _steps_1_and_2(client)
    with client.session_transaction() as before:
        cookie_of_the_first_click = dict(before)
    assert _submit(client).location.endswith("/terima-kasih")
    with client.session_transaction() as session:  # the second click's request, sent before
        session.clear()                             # the first one's answer came back
        session.update(cookie_of_the_first_click)
    again = _submit(client)
    assert again.status_code == 302 and again.location.endswith("/terima-kasih")
    assert "1x24 jam" in client.get("/insw/daftar/terima-kasih").get_data(as_text=True)
    with services.storage.session_factory() as s:
        assert len(s.scalars(select(Registration)).all()) == 1


def test_x5_after_sending_a_new_registration_starts_empty(client: FlaskClient) -> None:
    """A shared computer's next user finds no earlier organisation in the form; the
    thank-you page of the one sent stays until a new registration starts."""
    _steps_1_and_2(client)
    _submit(client)
    first_step = client.get("/insw/daftar").get_data(as_text=True)
    assert ORGANISATION["nib"] not in first_step
    assert "PT NUSANTARA DIGITAL NIAGA" in client.get("/insw/daftar/terima-kasih").get_data(
        as_text=True)
    assert _submit(client).location.endswith("/terima-kasih")  # "Daftar" again, back button
    assert _post(client, "/insw/daftar", ORGANISATION).location.endswith("/data-diri")
    assert client.get("/insw/daftar/terima-kasih").location.endswith("/insw/daftar")


def test_x2_a_nib_is_one_count_for_everyone_because_step_1_is_a_registry_oracle(
        app: Flask) -> None:
    """Step 1 tells whether a NIK is the responsible person's for a NIB and NPWP (I1): the
    NIB's tries are counted for everyone, from any address, so guessing NIKs stays at 10 an
    hour however many addresses guess (per-site counting made it 40; README says why)."""
    from gerbang_sidecar.web.insw.registration import IDENTIFIER_LIMIT

    def step_1_from(address: str, nik: str) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return _post(client, "/insw/daftar", {**ORGANISATION, "nik": nik}).status_code

    guesses = [step_1_from(f"192.0.2.{n}", f"31710152039{n:05d}")
               for n in range(IDENTIFIER_LIMIT + 1)]
    assert guesses == [422] * IDENTIFIER_LIMIT + [429]
