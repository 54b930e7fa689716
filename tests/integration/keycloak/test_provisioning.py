"""Realms as code against a real Keycloak: provision, no-op re-apply, drift, error reporting."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

import pyotp
import pytest

from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision import cli, provisioner
from gerbang_ops.provision.changes import seg
from gerbang_ops.provision.cli import load_and_check, provision
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import ApiError, KeycloakApi
from gerbang_ops.provision.validate import BINDING_KEYS, BUILT_IN_FLOWS
from support.oidc_login import BrowserLogin
from support.otp import otp_credential

pytestmark = pytest.mark.keycloak
PASSWORD = "Rahasia#2026"
REALMS = ["akses", "bsre", "insw", "oss"]
# Realms with their own email theme over the common one: BSrE's "[BSrE] Perbarui Akun Anda" (B6).
EMAIL_THEMES = {"bsre": "gerbang-bsre"}


def test_each_realm_provisions_with_common_settings(admin_api: KeycloakApi,
                                                    provisioned: list[RealmSpec]) -> None:
    assert sorted(s.name for s in provisioned) == REALMS
    for realm in REALMS:
        live = admin_api.get(f"/{realm}")
        assert live["defaultLocale"] == "id"
        assert sorted(live["supportedLocales"]) == ["en", "id"]
        assert live["loginTheme"] == f"gerbang-{realm}"
        assert live["emailTheme"] == EMAIL_THEMES.get(realm, "gerbang")
        assert live["registrationAllowed"] is False
        assert live["loginWithEmailAllowed"] is True
        assert live["verifyEmail"] is True
        assert live["bruteForceProtected"] is True
        assert (live["otpPolicyType"], live["otpPolicyDigits"], live["otpPolicyPeriod"],
                live["otpPolicyAlgorithm"]) == ("totp", 6, 30, "HmacSHA1")
        assert live["eventsEnabled"] and live["adminEventsEnabled"]
        assert "UPDATE_PASSWORD" in live["enabledEventTypes"]
        # Issue 8 items 6 and 7: no username in Keycloak's log, no user representation (NIK)
        # in admin events, which expire like user events.
        assert live["eventsListeners"] == ["email"]
        assert live["adminEventsDetailsEnabled"] is False
        assert live["attributes"]["adminEventsExpiration"] == "7776000"


def test_b6_bsre_admin_action_links_expire_in_one_hour(admin_api: KeycloakApi,
                                                       provisioned: list[RealmSpec]) -> None:
    assert admin_api.get("/bsre")["actionTokenGeneratedByAdminLifespan"] == 3600


def test_a1_akses_roles_and_clients(admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    roles = {r["name"] for r in admin_api.get("/akses/roles")}
    assert {"investor", "registered-user", "easy-shareholder"} <= roles
    clients = {c["clientId"] for c in admin_api.get("/akses/clients")}
    assert {"akses-portal", "easy", "gerbang-sidecar"} <= clients
    groups = {g["name"]: set(g.get("realmRoles") or [])
              for g in admin_api.get("/akses/groups", briefRepresentation="false")}
    assert groups == {"investor-wni": {"investor", "easy-shareholder"},
                      "investor": {"investor"}, "registered-user": {"registered-user"}}


def test_user_profile_keeps_verified_identifiers_admin_only(
        admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    attributes = {a["name"]: a for a in admin_api.get("/akses/users/profile")["attributes"]}
    for name in ("nik", "passport", "sid", "phoneNumber"):
        assert attributes[name]["permissions"]["edit"] == ["admin"], name
    assert attributes["nik"]["validations"]["pattern"]["pattern"] == "^[0-9]{16}$"


def test_second_apply_makes_zero_writes(keycloak, provisioned: list[RealmSpec]) -> None:
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    changes = provision(api, provisioned, apply=True, out=lambda _line: None)
    assert changes == []
    assert api.writes_made == 0
    assert api.requests_made > 0


def test_drift_shows_in_plan_and_apply_undoes_it(keycloak, admin_api: KeycloakApi,
                                                 provisioned: list[RealmSpec],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEYCLOAK_URL", keycloak.url)
    monkeypatch.setenv("KEYCLOAK_ADMIN_PASSWORD", keycloak.admin_password)
    # What an admin might do by hand in the console.
    admin_api.put("/akses", {"passwordPolicy": "length(4)"})
    admin_api.post("/akses/roles", {"name": "made-by-hand"})
    easy = admin_api.get("/akses/clients", clientId="easy")[0]
    admin_api.put(f"/akses/clients/{easy['id']}", {**easy, "redirectUris": ["https://evil.test/*"]})
    admin_api.post("/akses/groups", {"name": "made-by-hand-too"})
    registered = admin_api.get("/akses/groups", search="registered-user", exact="true")[0]
    admin_api.post(f"/akses/groups/{registered['id']}/role-mappings/realm",
                   [admin_api.get("/akses/roles/investor")])

    assert cli.main(["plan", "--realm", "akses"]) == cli.EXIT_PENDING
    plan = capsys.readouterr().out
    assert "passwordPolicy" in plan
    assert "made-by-hand" in plan and "(delete)" in plan
    assert "https://evil.test/*" in plan
    assert "made-by-hand-too" in plan
    assert "realmRoles: ['investor', 'registered-user'] -> ['registered-user']" in plan

    assert cli.main(["apply", "--realm", "akses"]) == cli.EXIT_OK
    capsys.readouterr()
    assert cli.main(["plan", "--realm", "akses"]) == cli.EXIT_OK
    assert "0 change(s) pending" in capsys.readouterr().out
    assert admin_api.get("/akses")["passwordPolicy"].startswith("length(8)")


def _kept_until_released(keycloak, provisioned: list[RealmSpec], kind: str, name: str,  # type: ignore[no-untyped-def]
                         release: Callable[[], None]) -> None:
    """Provisioning keeps (and reports) what accounts still hold; once ``release`` has
    taken it from them, it is removed like anything else made by hand."""
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    oss = [s for s in provisioned if s.name == "oss"]
    try:
        changes = provision(api, oss, apply=True, out=lambda _line: None)
        assert [(c.kind, c.name, c.action) for c in changes] == [(kind, name, "keep")]
    finally:
        release()
    changes = provision(api, oss, apply=True, out=lambda _line: None)
    assert [(c.kind, c.name, c.action) for c in changes] == [(kind, name, "delete")]


def test_a1_a_group_with_members_is_never_deleted_by_provisioning(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """Accounts hold their portal roles through their group: a group dropped from
    realm-config (a rename, say) must not take the roles of every member away."""
    admin_api.post("/oss/groups", {"name": "renamed-by-hand"})
    group = admin_api.get("/oss/groups", search="renamed-by-hand", exact="true")[0]
    admin_api.post("/oss/users", {"username": "anggota-grup", "enabled": True,
                                  "firstName": "Anggota", "groups": ["renamed-by-hand"]})
    user = admin_api.get("/oss/users", username="anggota-grup", exact="true")[0]

    def release() -> None:
        assert admin_api.get(f"/oss/groups/{group['id']}/members")
        admin_api.delete(f"/oss/users/{user['id']}")
    _kept_until_released(keycloak, provisioned, "group", "renamed-by-hand", release)


def test_a1_a_role_accounts_hold_is_never_deleted_by_provisioning(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """A role made by hand and given to accounts: deleting it on the next deploy would take
    it from all of them without a word."""
    admin_api.post("/oss/roles", {"name": "made-by-hand"})
    role = admin_api.get("/oss/roles/made-by-hand")
    admin_api.post("/oss/users", {"username": "pemegang-peran", "enabled": True,
                                  "firstName": "Pemegang"})
    user = admin_api.get("/oss/users", username="pemegang-peran", exact="true")[0]
    admin_api.post(f"/oss/users/{user['id']}/role-mappings/realm", [role])

    def release() -> None:
        assert "made-by-hand" in {r["name"] for r in admin_api.get(
            f"/oss/users/{user['id']}/role-mappings/realm")}
        admin_api.delete(f"/oss/users/{user['id']}")
    _kept_until_released(keycloak, provisioned, "role", "made-by-hand", release)


def test_a1_a_role_in_the_default_roles_is_never_deleted_by_provisioning(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """Every account holds the default roles: a role put in them by hand is held by all."""
    admin_api.post("/oss/roles", {"name": "for-everyone"})
    role = admin_api.get("/oss/roles/for-everyone")
    defaults = "/oss/roles/default-roles-oss/composites"
    admin_api.post(defaults, [role])
    _kept_until_released(keycloak, provisioned, "role", "for-everyone",
                         lambda: admin_api.delete(defaults, [role]))


def test_b13_unmanaged_attributes_switched_on_by_hand_are_switched_off(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """With the policy ENABLED a user could write any attribute through the account console,
    past the reviewed profile changes (B13)."""
    profile = admin_api.get("/oss/users/profile")
    admin_api.put("/oss/users/profile", {**profile, "unmanagedAttributePolicy": "ENABLED"})
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    oss = [s for s in provisioned if s.name == "oss"]
    changes = provision(api, oss, apply=True, out=lambda _line: None)
    assert [(c.kind, c.action) for c in changes] == [("user profile", "update")]
    assert "unmanagedAttributePolicy: 'ENABLED' -> (none)" in changes[0].details
    assert "unmanagedAttributePolicy" not in admin_api.get("/oss/users/profile")
    assert provision(api, oss, apply=False, out=lambda _line: None) == []


def _weaken(admin_api: KeycloakApi, realm: str, flow: str, provider: str) -> None:
    """Disable one step of a declared flow by hand: drift that provisioning must undo."""
    path = f"/{realm}/authentication/flows/{seg(flow)}/executions"
    step = next(e for e in admin_api.get(path) if e.get("providerId") == provider)
    admin_api.put(path, {**step, "requirement": "DISABLED"})


def test_changed_flow_is_replaced_and_stays_bound(keycloak, admin_api: KeycloakApi,
                                                  provisioned: list[RealmSpec]) -> None:
    _weaken(admin_api, "bsre", "bsre browser", "auth-otp-form")
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    bsre = [s for s in provisioned if s.name == "bsre"]
    changes = provision(api, bsre, apply=True, out=lambda _line: None)
    assert [(c.kind, c.action) for c in changes] == [("flow", "replace")]
    assert admin_api.get("/bsre")["browserFlow"] == "bsre browser"
    assert provision(api, bsre, apply=False, out=lambda _line: None) == []


def test_a8_a_replaced_client_flow_stays_the_clients_override(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    _weaken(admin_api, "akses", "easy browser", "deny-access-authenticator")
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    akses = [s for s in provisioned if s.name == "akses"]
    changes = provision(api, akses, apply=True, out=lambda _line: None)
    assert [(c.kind, c.name, c.action) for c in changes] == [("flow", "easy browser", "replace")]
    easy = admin_api.get("/akses/clients", clientId="easy")[0]
    flow_id = easy["authenticationFlowBindingOverrides"]["browser"]
    assert admin_api.get(f"/akses/authentication/flows/{flow_id}")["alias"] == "easy browser"
    assert provision(api, akses, apply=False, out=lambda _line: None) == []


class StopsAt(KeycloakApi):
    """The admin API as provisioning sees it, dying at one step of a flow replacement, and
    refusing any realm update that would bind a login to Keycloak's laxer built-in flows."""

    def __init__(self, keycloak, step: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(keycloak.url, keycloak.admin_user, keycloak.admin_password)
        self.step = step

    def put(self, path: str, body: object) -> object:
        if path == "/bsre" and isinstance(body, dict):
            assert not {body.get(k) for k in BINDING_KEYS} & set(BUILT_IN_FLOWS), body
        renaming = path.startswith("/bsre/authentication/flows/") and path.count("/") == 4
        if self.step == "rename" and renaming:
            raise ApiError("stopped before the rename")
        return super().put(path, body)

    def delete(self, path: str, body: object = None) -> object:
        if self.step == "delete" and path.startswith("/bsre/authentication/flows/"):
            raise ApiError("stopped before the old flow went")
        return super().delete(path, body)


def _civil_servant_with_a_device(admin_api: KeycloakApi) -> tuple[str, pyotp.TOTP]:
    username = f"asn.{secrets.token_hex(4)}@example.go.id"
    credential, app = otp_credential("HP")
    admin_api.post("/bsre/users", {
        "username": username, "email": username, "emailVerified": True, "enabled": True,
        "firstName": "Aparatur Uji", "credentials": [
            {"type": "password", "value": PASSWORD, "temporary": False}, credential]})
    return username, app


def _logs_in(keycloak, username: str, app: pyotp.TOTP, redirect: str) -> bool:  # type: ignore[no-untyped-def]
    login = BrowserLogin(keycloak.url, "bsre", "bsre-portal", redirect)
    asked = login.password(username, PASSWORD)
    if 'id="kc-otp-login-form"' not in asked.html:
        return False
    return login.submit(asked, "kc-otp-login-form", otp=app.now()).code is not None


@pytest.mark.parametrize("step", ["delete", "rename"])
def test_b8_a_flow_replacement_never_binds_a_laxer_flow_and_a_broken_one_heals(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec], step: str,
        sidecar_url: str) -> None:
    redirect = f"{sidecar_url}/bsre/oidc/callback"
    holder, app = _civil_servant_with_a_device(admin_api)
    _weaken(admin_api, "bsre", "bsre browser", "auth-otp-form")
    bsre = [s for s in provisioned if s.name == "bsre"]
    with pytest.raises(ApiError):
        provision(StopsAt(keycloak, step), bsre, apply=True, out=lambda _line: None)
    # Stopped half-way: the login is bound to the old flow or the staged new one, and the
    # staged one asks for the OTP code.
    bound = admin_api.get("/bsre")["browserFlow"]
    assert bound.startswith("bsre browser ~")
    assert any(e.get("providerId") == "auth-otp-form" and e["requirement"] == "REQUIRED"
               for e in admin_api.get(f"/bsre/authentication/flows/{seg(bound)}/executions"))
    # Bound to the staged tree, a civil servant with a device logs in as before (its "flow
    # executed" condition names its own staged sub-flow). Stopped between renaming the
    # configurations and the sub-flows, that condition finds nothing: refused, not let in.
    assert _logs_in(keycloak, holder, app, redirect) is (step == "delete")
    # The next run finishes the job and leaves nothing staged behind.
    healed = provision(StopsAt(keycloak, "none"), bsre, apply=True, out=lambda _line: None)
    assert ("flow", "bsre browser", "replace") in [(c.kind, c.name, c.action) for c in healed]
    assert admin_api.get("/bsre")["browserFlow"] == "bsre browser"
    assert not [f for f in admin_api.get("/bsre/authentication/flows") if " ~" in f["alias"]]
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    assert provision(api, bsre, apply=False, out=lambda _line: None) == []


def test_unreachable_keycloak_is_one_clear_line(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                realm_env: dict[str, str]) -> None:
    for name, value in realm_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEYCLOAK_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KEYCLOAK_ADMIN_PASSWORD", "whatever")
    assert cli.main(["plan"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "cannot reach Keycloak at http://127.0.0.1:9" in err
    assert "Traceback" not in err


def test_bad_admin_credential_is_one_clear_line(keycloak, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                realm_env: dict[str, str]) -> None:
    for name, value in realm_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEYCLOAK_URL", keycloak.url)
    monkeypatch.setenv("KEYCLOAK_ADMIN_PASSWORD", "not-the-password")
    assert cli.main(["plan"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "refused the admin login" in err
    assert "Traceback" not in err


def test_specs_load_from_repository(realm_env: dict[str, str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in realm_env.items():
        monkeypatch.setenv(name, value)
    assert [s.name for s in load_and_check(REALM_CONFIG, THEMES, None)] == REALMS


def test_b8_flow_override_added_by_hand_is_drift_and_removed(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """A client bound by hand to a login without OTP would bypass B8."""
    portal = admin_api.get("/bsre/clients", clientId="bsre-portal")[0]
    browser_flow = next(f for f in admin_api.get("/bsre/authentication/flows")
                        if f["alias"] == "browser")
    admin_api.put(f"/bsre/clients/{portal['id']}", {
        **portal, "authenticationFlowBindingOverrides": {"browser": browser_flow["id"]}})
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    bsre = [s for s in provisioned if s.name == "bsre"]
    changes = provision(api, bsre, apply=True, out=lambda _line: None)
    assert [(c.kind, c.name) for c in changes] == [("client", "bsre-portal")]
    overrides = admin_api.get(f"/bsre/clients/{portal['id']}")["authenticationFlowBindingOverrides"]
    assert not any(overrides.values())
    assert provision(api, bsre, apply=False, out=lambda _line: None) == []


def test_issue11_provisioning_logs_in_as_its_own_least_privileged_client(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """Not the bootstrap admin, which Keycloak calls temporary: a client that may create
    realms and manage the portal realms, and nothing else of the server."""
    secret = secrets.token_urlsafe(24)
    provisioner.ensure(admin_api, [s.name for s in provisioned], secret)
    api = KeycloakApi(keycloak.url, provisioner.CLIENT_ID, client_secret=secret)
    assert provision(api, provisioned, apply=False, out=lambda _line: None) == []
    # Drift of every kind it owns, undone by it: settings, flows, clients, the sidecar's
    # service-account roles (an admin role it must hold to give).
    _weaken(admin_api, "bsre", "bsre browser", "auth-otp-form")
    admin_api.put("/akses", {"passwordPolicy": "length(4)"})
    [sidecar] = admin_api.get("/oss/clients", clientId="gerbang-sidecar")
    user = admin_api.get(f"/oss/clients/{sidecar['id']}/service-account-user")
    [management] = admin_api.get("/oss/clients", clientId="realm-management")
    admin_api.delete(f"/oss/users/{user['id']}/role-mappings/clients/{management['id']}",
                     [admin_api.get(f"/oss/clients/{management['id']}/roles/view-events")])
    changes = provision(api, provisioned, apply=True, out=lambda _line: None)
    assert {(c.realm, c.kind) for c in changes} == {
        ("bsre", "flow"), ("akses", "realm settings"), ("oss", "service account roles")}
    assert provision(api, provisioned, apply=False, out=lambda _line: None) == []
    # A realm it creates is its own to manage.
    oss = next(s for s in provisioned if s.name == "oss")
    new = replace(oss, name="uji-baru", settings={**oss.settings, "realm": "uji-baru"})
    try:
        provision(api, [new], apply=True, out=lambda _line: None)
        assert provision(api, [new], apply=False, out=lambda _line: None) == []
    finally:
        admin_api.delete("/uji-baru")
    # The rest of the server is not its business.
    for path in ("/master/users", "/master/clients"):
        with pytest.raises(ApiError, match="403"):
            api.get(path)


def test_issue11_the_cli_bootstraps_the_provisioning_client_then_plans_without_the_admin(
        keycloak, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        realm_env: dict[str, str], provisioned: list[RealmSpec]) -> None:
    for name, value in realm_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEYCLOAK_URL", keycloak.url)
    monkeypatch.setenv("KEYCLOAK_ADMIN_USER", keycloak.admin_user)
    monkeypatch.setenv("KEYCLOAK_ADMIN_PASSWORD", keycloak.admin_password)
    assert cli.main(["bootstrap-provisioner"]) == cli.EXIT_ERROR  # no secret given
    assert "KEYCLOAK_PROVISIONER_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("KEYCLOAK_PROVISIONER_SECRET", secrets.token_urlsafe(24))
    assert cli.main(["bootstrap-provisioner"]) == cli.EXIT_OK
    capsys.readouterr()
    # From here on the admin's password is not needed, nor given.
    monkeypatch.delenv("KEYCLOAK_ADMIN_PASSWORD")
    assert cli.main(["plan"]) == cli.EXIT_OK
    assert "0 change(s) pending" in capsys.readouterr().out
    monkeypatch.setenv("KEYCLOAK_PROVISIONER_SECRET", "not-the-secret")
    assert cli.main(["plan"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "KEYCLOAK_PROVISIONER_SECRET" in err and "Traceback" not in err


def test_issue2_a_rotated_smtp_password_reaches_keycloak(keycloak, admin_api: KeycloakApi,
                                                  provisioned: list[RealmSpec]) -> None:
    """Keycloak shows a stored SMTP password as a mask: the fingerprint in a realm attribute
    is what tells provisioning that SMTP_PASSWORD changed (rule 4: rotate secrets)."""
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    [oss] = [s for s in provisioned if s.name == "oss"]

    def with_password(password: str) -> RealmSpec:
        # A relay with a login: Keycloak keeps the password only then.
        smtp = {**oss.settings["smtpServer"], "auth": "true", "user": "relay",
                "password": password}
        return replace(oss, settings={**oss.settings, "smtpServer": smtp})

    try:
        assert provision(api, [with_password("Sandi#Lama1")], apply=True,
                         out=lambda _line: None)
        assert provision(api, [with_password("Sandi#Lama1")], apply=False,
                         out=lambda _line: None) == []
        rotated = provision(api, [with_password("Sandi#Baru2")], apply=True,
                            out=lambda _line: None)
        assert [c.kind for c in rotated] == ["realm settings"]
        assert all("Sandi" not in line for c in rotated for line in c.details)
        assert provision(api, [with_password("Sandi#Baru2")], apply=False,
                         out=lambda _line: None) == []
    finally:
        admin_api.put("/oss", {"smtpServer": oss.settings["smtpServer"]})


def test_a8_a_portal_role_added_to_the_default_roles_is_drift_and_goes(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """Every account holds the default roles: easy-shareholder put there by hand would open
    eASY to everyone (the ops review). Portal roles come through groups only."""
    api = KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)
    [akses] = [s for s in provisioned if s.name == "akses"]
    composites = "/akses/roles/default-roles-akses/composites"
    admin_api.post(composites, [admin_api.get("/akses/roles/easy-shareholder")])
    try:
        [drift] = provision(api, [akses], apply=False, out=lambda _line: None)
        assert (drift.kind, drift.details) == (
            "default roles", ["- easy-shareholder (every account would hold it)"])
        provision(api, [akses], apply=True, out=lambda _line: None)
        held = {r["name"] for r in admin_api.get(f"{composites}/realm")}
        assert "easy-shareholder" not in held and "offline_access" in held
        assert provision(api, [akses], apply=False, out=lambda _line: None) == []
    finally:
        left = [r for r in admin_api.get(f"{composites}/realm") if r["name"] == "easy-shareholder"]
        if left:
            admin_api.delete(composites, left)


def test_issue2_an_identity_provider_added_by_hand_is_reported_for_removal(
        keycloak, admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> None:
    """A "masuk dengan ..." provider lets people in past every registration check (and, by
    account linking, into others' accounts): the least-privileged provisioner sees it and
    reports it; taking it from the accounts that use it is the operator's decision."""
    secret = secrets.token_urlsafe(24)
    provisioner.ensure(admin_api, [s.name for s in provisioned], secret)
    api = KeycloakApi(keycloak.url, provisioner.CLIENT_ID, client_secret=secret)
    [oss] = [s for s in provisioned if s.name == "oss"]
    admin_api.post("/oss/identity-provider/instances", {
        "alias": "masuk-lain", "providerId": "oidc", "enabled": True,
        "config": {"clientId": "x", "clientSecret": "y",
                   "authorizationUrl": "https://idp.example.test/auth",
                   "tokenUrl": "https://idp.example.test/token"}})
    try:
        [drift] = provision(api, [oss], apply=True, out=lambda _line: None)
        assert (drift.kind, drift.name, drift.action) == (
            "identity provider", "masuk-lain", "keep")
        assert "registration checks" in drift.describe()
        assert [p["alias"] for p in admin_api.get("/oss/identity-provider/instances")] == [
            "masuk-lain"]  # reported, not removed
    finally:
        admin_api.delete("/oss/identity-provider/instances/masuk-lain")
    assert provision(api, [oss], apply=False, out=lambda _line: None) == []
