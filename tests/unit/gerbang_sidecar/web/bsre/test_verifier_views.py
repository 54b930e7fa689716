"""Issue 10 item 1, B1: the Verifikator's users -- scoped to their instansi on the server
(another instansi's user is a 404, like a user that does not exist), an RA sees all; the
invitation form, the link's state, "Kirim Ulang" only once the link has expired."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.wiring import Services
from support.clock import FakeClock

from .conftest import AGUS, BALI, csrf, post_form, work_outbox


def _registration_id(verifier: FlaskClient) -> int:
    page = verifier.get("/bsre/verifikator").get_data(as_text=True)
    return int(re.findall(r'id="user-(\d+)"', page)[0])


def test_item1_only_officers_open_the_verifier_pages(
        app: Flask, log_in: Callable[..., str], officer_login: Callable[..., str]) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/bsre/verifikator").status_code == 302  # to Keycloak's login
    holder = app.test_client()
    log_in(holder, sub="holder-1", client_id="bsre-portal", roles=("pengguna",))
    assert holder.get("/bsre/verifikator").status_code == 403
    # A Verifikator whom nobody gave an instansi sees nobody.
    unplaced = app.test_client()
    officer_login(unplaced, instansi=None, name="unplaced")
    assert unplaced.get("/bsre/verifikator").status_code == 403


def test_item1_a_verifier_whose_role_is_taken_away_stops_at_once(
        app: Flask, officer_login: Callable[..., str], fake_keycloak: FakeKeycloakUsers) -> None:
    """The role is asked of Keycloak on every request, not read from the login's token
    (which would keep it for up to eight hours)."""
    client = app.test_client()
    user_id = officer_login(client, name="leaving")
    assert client.get("/bsre/verifikator").status_code == 200
    fake_keycloak.remove_realm_roles("bsre", user_id, ["verifikator"])
    assert client.get("/bsre/verifikator").status_code == 403


def test_item1_a_verifier_of_another_instansi_gets_404_for_every_page_and_action(
        app: Flask, verifier: FlaskClient, invite: Callable[[dict[str, str]], str],
        officer_login: Callable[..., str]) -> None:
    invite(AGUS)
    registration_id = _registration_id(verifier)
    other = app.test_client()
    officer_login(other, instansi=BALI, name="bali")
    token = csrf(other.get("/bsre/verifikator/daftarkan").get_data(as_text=True))
    assert 'id="users-empty"' in other.get("/bsre/verifikator").get_data(as_text=True)
    for path in (f"/bsre/verifikator/{registration_id}",
                 f"/bsre/verifikator/{registration_id}/foto-diri.jpg"):
        assert other.get(path).status_code == 404
    for action in ("kirim-ulang", "setujui", "tolak"):
        answer = other.post(f"/bsre/verifikator/{registration_id}/{action}",
                            data={"csrf_token": token, "reason": "x"})
        assert answer.status_code in (302, 404)
        if answer.status_code == 302:  # setujui/tolak answer "already decided", nothing more
            assert "not_waiting" not in answer.location
    assert other.get(f"/bsre/verifikator/{registration_id + 999}").status_code == 404
    # The RA sees every instansi.
    ra = app.test_client()
    officer_login(ra, instansi=None, role="ra", name="ra")
    assert ra.get(f"/bsre/verifikator/{registration_id}").status_code == 200
    assert "Agus Wijaya" in ra.get("/bsre/verifikator").get_data(as_text=True)


def test_b1_the_invitation_form_refuses_bad_input_beside_the_field(
        verifier: FlaskClient, services: Services) -> None:
    answer = post_form(verifier, "/bsre/verifikator/daftarkan",
                       {"name": "Dr. Agus", "nik": "123", "email": "not-an-email"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    for field in ("name", "nik", "email"):
        assert f'id="{field}-error"' in html
    work_outbox(services)
    assert services.mailer.sent == []  # type: ignore[attr-defined]


def test_b1_the_link_state_and_a_resend_only_after_expiry(
        app: Flask, verifier: FlaskClient, services: Services, clock: FakeClock,
        invite: Callable[[dict[str, str]], str], officer_login: Callable[..., str]) -> None:
    first = invite(AGUS)
    registration_id = _registration_id(verifier)
    detail = verifier.get(f"/bsre/verifikator/{registration_id}").get_data(as_text=True)
    assert "Tautan terkirim" in detail and 'id="resend"' not in detail
    token = csrf(verifier.get("/bsre/verifikator/daftarkan").get_data(as_text=True))
    early = verifier.post(f"/bsre/verifikator/{registration_id}/kirim-ulang",
                          data={"csrf_token": token})
    assert early.status_code == 302
    work_outbox(services)
    assert len(services.mailer.to(AGUS["email"])) == 1  # type: ignore[attr-defined]
    clock.advance(days=3, minutes=1)
    verifier = app.test_client()  # three days on: a colleague of the same instansi
    officer_login(verifier, name="colleague")
    detail = verifier.get(f"/bsre/verifikator/{registration_id}").get_data(as_text=True)
    assert "Tautan kedaluwarsa" in detail and 'id="resend"' in detail
    assert "Tautan kedaluwarsa" in verifier.get(
        "/bsre/verifikator?status=expired").get_data(as_text=True)
    verifier.post(f"/bsre/verifikator/{registration_id}/kirim-ulang",
                  data={"csrf_token": csrf(detail)})
    work_outbox(services)
    mails = services.mailer.to(AGUS["email"])  # type: ignore[attr-defined]
    assert len(mails) == 2
    second = re.search(r"https?://\S+/bsre/aktivasi/t/\S+", mails[-1].text)
    assert second and second.group(0) != first
    assert app.test_client().get(urlsplit(first).path).status_code == 404
    assert app.test_client().get(urlsplit(second.group(0)).path).status_code == 302


def test_b1_the_list_pages_twenty_at_a_time(
        verifier: FlaskClient, services: Services) -> None:
    for n in range(23):
        post_form(verifier, "/bsre/verifikator/daftarkan", {
            "name": "Pegawai Contoh", "nik": AGUS["nik"], "email": f"p{n}@bssn.go.id"})
    first = verifier.get("/bsre/verifikator").get_data(as_text=True)
    assert first.count('id="user-') == 20 and "Halaman 1 dari 2 (23 pengguna)" in first
    second = verifier.get("/bsre/verifikator?page=2").get_data(as_text=True)
    assert second.count('id="user-') == 3
    assert verifier.get("/bsre/verifikator?status=active").get_data(as_text=True).count(
        'id="user-') == 0


def test_b1_the_verifier_finds_an_invitation_by_exact_nik_or_email_or_by_name(
        verifier: FlaskClient, invite: Callable[[dict[str, str]], str]) -> None:
    invite(AGUS)
    post_form(verifier, "/bsre/verifikator/daftarkan", {
        "name": "Pegawai Lain", "nik": "3174041503800099", "email": "lain@bssn.go.id"})
    by_nik = verifier.get(f"/bsre/verifikator?q={AGUS['nik']}").get_data(as_text=True)
    assert by_nik.count('id="user-') == 1 and "Agus Wijaya" in by_nik
    by_email = verifier.get("/bsre/verifikator?q=lain@bssn.go.id").get_data(as_text=True)
    assert by_email.count('id="user-') == 1 and "Pegawai Lain" in by_email
    # Names are stored encrypted: found by words of the name, whatever their case.
    by_name = verifier.get("/bsre/verifikator?q=aGUS+wij").get_data(as_text=True)
    assert by_name.count('id="user-') == 1 and "Agus Wijaya" in by_name
    assert 'id="search-partial"' not in by_name
    for nothing in ("agus+lain", "a", "31740415"):  # not both words; one letter; half a NIK
        assert 'id="users-empty"' in verifier.get(f"/bsre/verifikator?q={nothing}").get_data(
            as_text=True)


def test_b1_a_name_search_says_when_it_read_only_the_newest_invitations(
        verifier: FlaskClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gerbang_sidecar.services.bsre import invitations

    monkeypatch.setattr(invitations, "NAME_SEARCH_ROWS", 2)
    for n, name in enumerate(("Pegawai Satu", "Pegawai Dua", "Pegawai Tiga")):
        post_form(verifier, "/bsre/verifikator/daftarkan", {
            "name": name, "nik": AGUS["nik"], "email": f"p{n}@bssn.go.id"})
    page = verifier.get("/bsre/verifikator?q=pegawai").get_data(as_text=True)
    assert page.count('id="user-') == 2 and 'id="search-partial"' in page
    assert "hanya membaca 2 undangan terbaru" in page
    assert "Pegawai Satu" not in page  # the oldest was not read
