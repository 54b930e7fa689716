"""``make run``'s demo accounts on the real Keycloak: each realm's user profile accepts the
whole profile they are given (a value its validators refused would stop ``make run`` with a
400), and they get their roles. The accounts are made under names of this test's own and
removed after, so the other tests' realms keep their users."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace

import pytest

from gerbang_ops import demo_accounts
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

pytestmark = pytest.mark.keycloak
PASSWORD = "Demo#Sandi2025"


@pytest.fixture
def accounts(admin_api: KeycloakApi) -> Iterator[tuple[demo_accounts.DemoAccount, ...]]:
    tag = secrets.token_hex(4)
    mine = tuple(replace(a, username=f"demo-{tag}-{a.username}")
                 for a in demo_accounts.DEMO_ACCOUNTS)
    yield mine
    for account in mine:
        for user in admin_api.get(f"/{account.realm}/users", username=account.username,
                                  exact="true"):
            admin_api.delete(f"/{account.realm}/users/{user['id']}")


def test_make_run_demo_accounts_are_accepted_whole_by_each_realms_user_profile(
        admin_api: KeycloakApi, provisioned: list[RealmSpec],
        accounts: tuple[demo_accounts.DemoAccount, ...]) -> None:
    demo_accounts.ensure_demo_accounts(admin_api, PASSWORD, secrets.token_hex(10), accounts)
    for account in accounts:
        (user,) = admin_api.get(f"/{account.realm}/users", username=account.username,
                                exact="true")
        held = {k: v[0] for k, v in user.get("attributes", {}).items()}
        assert {k: held.get(k) for k in account.attributes} == account.attributes, account
        roles = {r["name"] for r in admin_api.get(
            f"/{account.realm}/users/{user['id']}/role-mappings/realm")}
        assert set(account.roles) <= roles
        credentials = {c["type"] for c in admin_api.get(
            f"/{account.realm}/users/{user['id']}/credentials")}
        assert credentials == ({"password", "otp"} if account.otp_device else {"password"})
