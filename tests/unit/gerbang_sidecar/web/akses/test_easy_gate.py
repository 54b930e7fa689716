"""A8: eASY for local individuals holding a SID -- Keycloak's flow decides at login, and the
page asks Keycloak again on every request (a role taken away ends eASY at once); A6's legacy
members register an email first here too."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import NewUser


def _shareholder(fake_keycloak: FakeKeycloakUsers) -> str:
    return fake_keycloak.create_user("akses", NewUser(
        username="siti@example.test", email="siti@example.test", first_name="Siti",
        email_verified=True, attributes={"sid": "IDD0103H7890123"}))


def test_a8_a_shareholder_reaches_easy_until_the_role_is_taken_away(
        client: FlaskClient, fake_keycloak: FakeKeycloakUsers,
        log_in: Callable[..., str]) -> None:
    user_id = _shareholder(fake_keycloak)
    log_in(client, sub=user_id, client_id="easy", roles=("investor", "easy-shareholder"))
    assert client.get("/easy/").status_code == 200
    fake_keycloak.direct_roles[("akses", user_id)] = frozenset({"investor"})  # an admin
    refused = client.get("/easy/")
    assert refused.status_code == 403
    assert "memiliki SID" in refused.get_data(as_text=True)


def test_a8_a_login_without_the_role_does_not_open_easy(
        client: FlaskClient, fake_keycloak: FakeKeycloakUsers,
        log_in: Callable[..., str]) -> None:
    user_id = _shareholder(fake_keycloak)
    log_in(client, sub=user_id, client_id="easy", roles=("registered-user",))
    assert client.get("/easy/?lang=en").status_code == 403


def test_a6_a_legacy_member_registers_an_email_before_easy(
        client: FlaskClient, fake_keycloak: FakeKeycloakUsers,
        log_in: Callable[..., str]) -> None:
    user_id = _shareholder(fake_keycloak)
    log_in(client, sub=user_id, client_id="easy", roles=("legacy-member", "easy-shareholder"))
    answer = client.get("/easy/")
    assert answer.status_code == 302 and "daftarkan-email" in answer.location
