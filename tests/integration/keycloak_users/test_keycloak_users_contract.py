"""Contract of the user-admin port: every case runs on FakeKeycloakUsers and on the real
Keycloak through HttpKeycloakUsers, so service tests on the fake mean something."""

from __future__ import annotations

import socket

import pytest
import requests

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret
from gerbang_sidecar.ports.keycloak import (
    KeycloakError,
    KeycloakUnavailable,
    KeycloakUsers,
    NewUser,
    PasswordRejected,
    UserAlreadyExists,
)

REALM = "akses"


def new_user(name: str, **attributes: str) -> NewUser:
    return NewUser(username=f"{name}@example.test", email=f"{name}@example.test",
                   first_name="Budi Santoso", attributes=attributes)


def nik_for(unique: str) -> str:
    """A 16-digit NIK unique to the test (the realm's user profile insists on the pattern)."""
    return str(int(unique[2:], 16))[:16].rjust(16, "3")


def test_create_then_get_returns_what_was_stored(users: KeycloakUsers, unique: str) -> None:
    nik = nik_for(unique)
    user_id = users.create_user(REALM, new_user(unique, nik=nik))

    record = users.get_user(REALM, user_id)

    assert record is not None
    assert record.username == f"{unique}@example.test"
    assert record.email == f"{unique}@example.test"
    assert record.first_name == "Budi Santoso"
    assert record.attributes["nik"] == nik
    assert record.enabled and not record.email_verified


def test_get_unknown_user_is_none(users: KeycloakUsers) -> None:
    assert users.get_user(REALM, "00000000-0000-0000-0000-000000000000") is None


def test_a5_duplicate_email_is_user_already_exists(users: KeycloakUsers, unique: str) -> None:
    users.create_user(REALM, new_user(unique))
    other = NewUser(username=f"other-{unique}", email=f"{unique}@example.test",
                    first_name="Siti")

    with pytest.raises(UserAlreadyExists):
        users.create_user(REALM, other)


def test_a5_duplicate_username_is_user_already_exists(users: KeycloakUsers, unique: str) -> None:
    users.create_user(REALM, new_user(unique))
    with pytest.raises(UserAlreadyExists):
        users.create_user(REALM, new_user(unique))


def test_c3_find_by_username_is_exact_and_accepts_the_email(users: KeycloakUsers,
                                                            unique: str) -> None:
    users.create_user(REALM, NewUser(username=f"{unique}x", email=f"{unique}x@example.test",
                                     first_name="Lain"))
    user_id = users.create_user(REALM, NewUser(username=unique, email=f"{unique}@mail.test",
                                               first_name="Budi"))

    assert users.find_by_username(REALM, unique).id == user_id  # type: ignore[union-attr]
    assert users.find_by_username(REALM, unique.upper()).id == user_id  # type: ignore[union-attr]
    assert users.find_by_username(REALM, f"{unique}@mail.test").id == user_id  # type: ignore[union-attr]
    assert users.find_by_username(REALM, unique[:-1]) is None
    # The duplicate check asks for the username alone: the email is in the identity index.
    assert users.find_by_username(REALM, f"{unique}@mail.test", email_too=False) is None
    assert users.find_by_username(REALM, unique, email_too=False).id == user_id  # type: ignore[union-attr]


def test_find_by_email_is_exact(users: KeycloakUsers, unique: str) -> None:
    user_id = users.create_user(REALM, new_user(unique))

    assert users.find_by_email(REALM, f"{unique}@example.test").id == user_id  # type: ignore[union-attr]
    assert users.find_by_email(REALM, f"{unique[:-1]}@example.test") is None
    assert users.find_by_email(REALM, f"{unique}@example.tes") is None


def test_a6_direct_roles_are_removed_by_name_and_group_roles_stay(
        users: KeycloakUsers, unique: str, roles) -> None:  # type: ignore[no-untyped-def]
    user_id = users.create_user(REALM, NewUser(
        username=f"{unique}@example.test", email=f"{unique}@example.test",
        first_name="Budi", groups=("investor",)))
    roles.grant(user_id, ["legacy-member"])
    assert roles.of(user_id) == {"investor", "legacy-member"}
    users.remove_realm_roles(REALM, user_id, ["legacy-member", "investor"])
    users.remove_realm_roles(REALM, user_id, ["legacy-member"])  # again: no error, no change
    assert roles.of(user_id) == {"investor"}


def test_b1_i4_held_realm_roles_are_read_now_directly_and_through_groups(
        users: KeycloakUsers, unique: str, roles) -> None:  # type: ignore[no-untyped-def]
    """What privileged pages ask on every request (BSrE Verifikator and RA, B1; INSW
    reviewers, I4)."""
    user_id = users.create_user(REALM, NewUser(
        username=f"{unique}@example.test", email=f"{unique}@example.test",
        first_name="Budi", groups=("investor",)))
    asked = {"investor", "legacy-member", "no-such-role"}
    assert users.held_realm_roles(REALM, user_id, asked) == {"investor"}
    roles.grant(user_id, ["legacy-member"])
    assert users.held_realm_roles(REALM, user_id, asked) == {"investor", "legacy-member"}
    users.remove_realm_roles(REALM, user_id, ["legacy-member"])
    assert users.held_realm_roles(REALM, user_id, {"legacy-member"}) == frozenset()
    users.delete_user(REALM, user_id)
    assert users.held_realm_roles(REALM, user_id, asked) == frozenset()


def test_update_user_merges_attributes_and_changes_email(users: KeycloakUsers,
                                                         unique: str) -> None:
    nik = nik_for(unique)
    user_id = users.create_user(REALM, new_user(unique, nik=nik))

    users.update_user(REALM, user_id, email=f"{unique}@baru.test", email_verified=True,
                      attributes={"investorType": "individu-lokal"})

    record = users.get_user(REALM, user_id)
    assert record is not None
    assert record.email == f"{unique}@baru.test" and record.email_verified
    assert record.attributes["nik"] == nik
    assert record.attributes["investorType"] == "individu-lokal"


def test_update_user_to_a_taken_email_is_user_already_exists(users: KeycloakUsers,
                                                             unique: str) -> None:
    users.create_user(REALM, new_user(unique))
    other = users.create_user(REALM, new_user(f"{unique}b"))
    with pytest.raises(UserAlreadyExists):
        users.update_user(REALM, other, email=f"{unique}@example.test")


@pytest.mark.parametrize(("password", "reason"), [
    ("Ab1!", "invalidPasswordMinLengthMessage"),
    ("abcdefg1!", "invalidPasswordMinUpperCaseCharsMessage"),
    ("ABCDEFG1!", "invalidPasswordMinLowerCaseCharsMessage"),
    ("Abcdefgh!", "invalidPasswordMinDigitsMessage"),
    ("Abcdefgh1", "invalidPasswordMinSpecialCharsMessage"),
])
def test_c1_password_policy_refusals_name_the_rule(users: KeycloakUsers, unique: str,
                                                   password: str, reason: str) -> None:
    user_id = users.create_user(REALM, new_user(unique))
    with pytest.raises(PasswordRejected) as refused:
        users.set_password(REALM, user_id, password)
    assert refused.value.reason == reason


def test_c1_a_strong_password_is_accepted(users: KeycloakUsers, unique: str) -> None:
    user_id = users.create_user(REALM, new_user(unique))
    users.set_password(REALM, user_id, "Sandi-Kuat-2025")


def test_x10_has_password_tells_a_used_account_from_an_untouched_one(users: KeycloakUsers,
                                                                     unique: str) -> None:
    """What the sweep of accounts nobody activated asks before removing one."""
    user_id = users.create_user(REALM, new_user(unique))
    assert users.has_password(REALM, user_id) is False
    users.set_password(REALM, user_id, "Sandi-Kuat-2025")
    assert users.has_password(REALM, user_id) is True
    users.delete_user(REALM, user_id)
    assert users.has_password(REALM, user_id) is False


def test_b11_remove_password_leaves_the_account_without_one(users: KeycloakUsers,
                                                              unique: str) -> None:
    """An approved Reset Authenticator: the taker's password goes with the devices."""
    user_id = users.create_user(REALM, new_user(unique))
    users.set_password(REALM, user_id, "Sandi-Kuat-2025")
    users.remove_password(REALM, user_id)
    assert users.has_password(REALM, user_id) is False
    users.remove_password(REALM, user_id)  # none left: no error
    assert users.get_user(REALM, user_id) is not None


def test_issue2_an_actions_email_back_to_a_page_the_client_does_not_name_is_refused(
        users: KeycloakUsers, unique: str, sidecar_url: str) -> None:
    """Redirect URIs are exact (the portal table's pages): a wildcard's pages are refused."""
    user_id = users.create_user(REALM, new_user(unique))
    with pytest.raises(KeycloakError):
        users.send_actions_email(REALM, user_id, ["UPDATE_PASSWORD"], client_id="akses-portal",
                                 redirect_uri=f"{sidecar_url}/akses/lupa-kata-sandi",
                                 lifespan_seconds=3600)


def test_c2_actions_email_is_sent(users: KeycloakUsers, unique: str, sidecar_url: str,
                                  request: pytest.FixtureRequest) -> None:
    # Taken first: the mailbox fixture empties the shared sink.
    mailbox: MailSinkClient | None = (request.getfixturevalue("mailbox")
                                      if isinstance(users, HttpKeycloakUsers) else None)
    user_id = users.create_user(REALM, new_user(unique))
    users.send_actions_email(REALM, user_id, ["VERIFY_EMAIL", "UPDATE_PASSWORD"],
                             client_id="akses-portal",
                             redirect_uri=f"{sidecar_url}/akses/", lifespan_seconds=3600)
    if isinstance(users, FakeKeycloakUsers):
        assert users.sent[-1].actions == ["VERIFY_EMAIL", "UPDATE_PASSWORD"]
    else:
        assert mailbox is not None
        mail = mailbox.wait_for(f"{unique}@example.test")
        # The actions listed as words in both parts, the username in bold in the HTML one
        # (the theme once printed FreeMarker's "markupOutput(...)" there).
        assert "markupOutput" not in mail["html"] and "markupOutput" not in mail["text"]
        assert "Verifikasi Email" in mail["text"] and "Verifikasi Email" in mail["html"]
        assert f"<b>{unique}@example.test</b>" in mail["html"]


def test_delete_user_removes_it_and_tolerates_a_second_delete(users: KeycloakUsers,
                                                              unique: str) -> None:
    user_id = users.create_user(REALM, new_user(unique))
    users.delete_user(REALM, user_id)
    users.delete_user(REALM, user_id)
    assert users.get_user(REALM, user_id) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("kind", ["fake", "http"])
def test_unreachable_keycloak_is_keycloak_unavailable(kind: str) -> None:
    users: KeycloakUsers
    if kind == "fake":
        users = FakeKeycloakUsers(down=True)
    else:
        users = HttpKeycloakUsers(f"http://127.0.0.1:{_closed_port()}", "gerbang-sidecar",
                                  "secret", timeout=2)
    with pytest.raises(KeycloakUnavailable):
        users.find_by_email(REALM, "someone@example.test")
    with pytest.raises(KeycloakUnavailable):
        users.create_user(REALM, new_user("nobody"))


# ---- least privilege: only the real server can prove it -------------------------------------

def _token_response(keycloak: KeycloakServer, realm: str, secret: str) -> requests.Response:
    return requests.post(
        f"{keycloak.url}/realms/{realm}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "gerbang-sidecar",
              "client_secret": secret}, timeout=10)


def _service_account_token(keycloak: KeycloakServer, sidecar_secret: str) -> str:
    response = _token_response(keycloak, REALM, realm_client_secret(sidecar_secret, REALM))
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.mark.keycloak
def test_rule4_a_realm_s_sidecar_secret_opens_no_other_realm(
        keycloak: KeycloakServer, provisioned: list[RealmSpec],
        realm_env: dict[str, str]) -> None:
    """Keycloak shows a client's secret to the realm's administrators: what an ``oss``
    administrator can read there must not let them act as the sidecar in ``akses`` or
    ``bsre``, and the sidecar's own secret is in no realm."""
    sidecar_secret = realm_env["SIDECAR_CLIENT_SECRET"]
    oss_secret = realm_client_secret(sidecar_secret, "oss")
    assert _token_response(keycloak, "oss", oss_secret).status_code == 200
    for realm in ("akses", "bsre", "insw"):
        assert _token_response(keycloak, realm, oss_secret).status_code == 401, realm
        assert _token_response(keycloak, realm, sidecar_secret).status_code == 401, realm


@pytest.mark.keycloak
def test_service_account_may_manage_users_but_not_the_realm(
        keycloak: KeycloakServer, http_users: HttpKeycloakUsers, realm_env: dict[str, str],
        unique: str) -> None:
    # It can do its job...
    user_id = http_users.create_user(REALM, NewUser(
        username=f"{unique}@example.test", email=f"{unique}@example.test",
        first_name="Budi", groups=("registered-user",)))
    http_users.remove_realm_roles(REALM, user_id, ["registered-user"])
    # ...and nothing more: realm settings, clients and roles are out of reach.
    token = _service_account_token(keycloak, realm_env["SIDECAR_CLIENT_SECRET"])
    headers = {"Authorization": f"Bearer {token}"}
    admin = f"{keycloak.url}/admin/realms/{REALM}"
    put_realm = requests.put(admin, json={"registrationAllowed": True}, headers=headers,
                             timeout=10)
    assert put_realm.status_code == 403
    new_role = requests.post(f"{admin}/roles", json={"name": f"r-{unique}"}, headers=headers,
                             timeout=10)
    assert new_role.status_code == 403
    clients = requests.get(f"{admin}/clients", headers=headers, timeout=10)
    assert clients.status_code == 403


@pytest.mark.keycloak
def test_health_probe_sees_the_realm(http_users: HttpKeycloakUsers) -> None:
    assert http_users.realm_answers(REALM)
    assert not http_users.realm_answers("no-such-realm")


def test_a7_end_sessions_is_accepted_for_a_user_without_sessions(users: KeycloakUsers,
                                                                 unique: str) -> None:
    user_id = users.create_user(REALM, new_user(unique))
    users.end_sessions(REALM, user_id)


def test_a5_actions_email_to_an_unknown_user_is_refused_not_unavailable(
        users: KeycloakUsers) -> None:
    with pytest.raises(KeycloakError) as refused:
        users.send_actions_email(REALM, "00000000-0000-0000-0000-000000000000", ["VERIFY_EMAIL"])
    assert not isinstance(refused.value, KeycloakUnavailable)


def test_a1_a_user_created_in_a_group_holds_its_roles(users: KeycloakUsers,
                                                      unique: str, roles) -> None:  # type: ignore[no-untyped-def]
    user_id = users.create_user(REALM, NewUser(
        username=f"{unique}@example.test", email=f"{unique}@example.test",
        first_name="Siti", groups=("investor-wni",)))
    assert roles.of(user_id) == {"investor", "easy-shareholder"}
    with pytest.raises(KeycloakError):
        users.create_user(REALM, NewUser(username=f"x{unique}", email=None, first_name="X",
                                         groups=("no-such-group",)))


def test_x1_account_changes_name_made_changed_and_deleted_accounts(users: KeycloakUsers,
                                                                   unique: str) -> None:
    # Issue 11 item 4: what the identity index follows instead of searching attributes.
    before = users.latest_account_change(REALM)
    made = users.create_user(REALM, new_user(unique, nik=nik_for(unique)))
    changed = users.create_user(REALM, new_user(f"{unique}b"))
    users.update_user(REALM, changed, attributes={"nik": nik_for(f"{unique}b")})
    users.delete_user(REALM, made)

    changes = users.account_changes(REALM, since_ms=before, limit=100)

    named = [user_id for user_id, _ in changes.changed]
    assert {made, changed} <= set(named)
    assert len(named) == len(set(named))
    assert changes.complete
    assert changes.until_ms >= max(time for _, time in changes.changed) >= before
    assert users.latest_account_change(REALM) >= changes.until_ms


def test_x1_account_changes_over_the_limit_say_incomplete(users: KeycloakUsers,
                                                          unique: str) -> None:
    before = users.latest_account_change(REALM)
    for n in range(3):
        users.create_user(REALM, new_user(f"{unique}{n}"))
    assert not users.account_changes(REALM, since_ms=before, limit=2).complete


def test_x1_list_users_pages_through_the_realm(users: KeycloakUsers, unique: str) -> None:
    made = {users.create_user(REALM, new_user(f"{unique}{n}")) for n in range(3)}
    seen: list[str] = []
    first = 0
    while page := users.list_users(REALM, first=first, count=2):
        assert len(page) <= 2
        seen.extend(u.id for u in page)
        first += len(page)
    assert made <= set(seen)
    assert len(seen) == len(set(seen))


@pytest.mark.keycloak
def test_x1_a_partial_import_shows_in_account_changes(http_users: HttpKeycloakUsers,
                                                      admin_api, unique: str) -> None:
    # The way bench-scale and a bulk migration load accounts: the index must hear of them.
    before = http_users.latest_account_change(REALM)
    result = admin_api.post(f"/{REALM}/partialImport", {
        "ifResourceExists": "FAIL",
        "users": [{"username": f"{unique}@example.test", "email": f"{unique}@example.test",
                   "enabled": True, "firstName": "Budi Santoso",
                   "attributes": {"nik": [nik_for(unique)]}}]}).json()
    [imported] = [r["id"] for r in result["results"] if r["resourceType"] == "USER"]
    changes = http_users.account_changes(REALM, since_ms=before, limit=100)
    assert imported in {user_id for user_id, _ in changes.changed}
