"""One portal table (gerbang_sidecar/portals.py): config, routes, health, ``make run`` and the
provisioning checks all read it, and no other list of realm names exists."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

import gerbang_ops
import gerbang_sidecar
from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision.cli import load_and_check
from gerbang_ops.provision.files import ConfigFileError
from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import Settings, documented_variables
from gerbang_sidecar.portals import PORTALS, REGISTRIES, helpdesk, portal_clients, realms

TABLE = Path(gerbang_sidecar.__file__).resolve().parent / "portals.py"
SOURCES = [Path(gerbang_sidecar.__file__).resolve().parent,
           Path(gerbang_ops.__file__).resolve().parent]
ENV = {"SMTP_HOST": "x", "SMTP_PORT": "25", "SMTP_FROM": "x", "SIDECAR_CLIENT_SECRET": "x",
       "SIDECAR_PUBLIC_URL": "https://sidecar.test",
       **{client.secret_variable: "x" for client in portal_clients()}}


def _literal_realm_lists(path: Path) -> list[int]:
    """Lines of list/tuple/set/dict literals naming two or more realms."""
    names = set(realms())
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        else:
            continue
        hits = {i.value for i in items if isinstance(i, ast.Constant) and i.value in names}
        if len(hits) >= 2:
            found.append(node.lineno)
    return found


def test_no_other_list_of_realm_names_exists_in_the_sidecar_or_the_scripts() -> None:
    files = [p for root in SOURCES for p in sorted(root.rglob("*.py")) if p != TABLE]
    assert len(files) > 100
    offenders = {str(p): lines for p in files if (lines := _literal_realm_lists(p))}
    assert offenders == {}
    assert _literal_realm_lists(TABLE) == [] and len(PORTALS) == 4  # one entry per portal


def test_the_realm_folders_are_the_portals_of_the_table() -> None:
    folders = sorted(p.name for p in REALM_CONFIG.iterdir()
                     if p.is_dir() and not p.name.startswith("_"))
    assert folders == sorted(realms())
    assert [s.name for s in load_and_check(REALM_CONFIG, THEMES, None, ENV)] == folders


def test_provisioning_refuses_realm_config_that_disagrees_with_the_table(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "realm-config"
    shutil.copytree(REALM_CONFIG, copy)
    realm_file = copy / "oss" / "realm.json"
    realm_file.write_text(realm_file.read_text().replace('"displayName": "OSS"',
                                                         '"displayName": "OSS Lama"'))
    shutil.rmtree(copy / "insw")
    with pytest.raises(ConfigFileError) as refused:
        load_and_check(copy, THEMES, None, ENV)
    found = [str(p) for p in refused.value.problems]
    assert any("oss/realm.json: $.displayName: the portal table says 'OSS'" in p for p in found)
    assert any("insw" in p and "folder is missing" in p for p in found)


def test_config_reads_every_portal_clients_secret() -> None:
    variables = documented_variables()
    for client in portal_clients():
        assert variables[f"portal_client_secrets.{client.client_id}"] == client.secret_variable


def test_login_routes_and_start_pages_follow_the_table(make_settings: Callable[..., Settings]
                                                      ) -> None:
    client = create_app(make_settings()).test_client()
    for portal in PORTALS:
        assert client.get(f"/{portal.realm}/").status_code == 200
        for login in portal.clients:
            answer = client.get(f"/{login.path}/masuk")
            assert answer.status_code == 302
            assert f"/realms/{portal.realm}/protocol/openid-connect/auth" in answer.location
            assert f"client_id={login.client_id}" in answer.location
    assert client.get("/nope/masuk").status_code == 404


def test_each_portal_names_known_registries_and_its_helpdesk() -> None:
    for portal in PORTALS:
        assert set(portal.registries) <= set(REGISTRIES), portal.realm
        assert helpdesk(THEMES, portal.realm, "id").email, portal.realm


@pytest.mark.parametrize("uris, logout", [
    (["{root}/oss/*"], "{root}/oss/"),  # a wildcard: any page of the path
    (["{root}/oss/", "{root}/oss/home", "{root}/oss/oidc/callback", "{root}/oss/x"],
     "{root}/oss/"),  # one page more than the sidecar returns to
    (["{root}/oss/", "{root}/oss/home", "{root}/oss/oidc/callback"], "{root}/oss/*"),
])
def test_issue2_redirect_uris_are_exactly_the_pages_the_sidecar_returns_to(
        tmp_path: Path, uris: list[str], logout: str) -> None:
    import json
    import shutil

    copy = tmp_path / "realm-config"
    shutil.copytree(REALM_CONFIG, copy)
    client_file = copy / "oss" / "clients" / "oss-portal.json"
    client = json.loads(client_file.read_text())
    client["redirectUris"] = [u.format(root="${SIDECAR_PUBLIC_URL}") for u in uris]
    client["attributes"]["post.logout.redirect.uris"] = logout.format(
        root="${SIDECAR_PUBLIC_URL}")
    client_file.write_text(json.dumps(client))
    with pytest.raises(ConfigFileError) as refused:
        load_and_check(copy, THEMES, None, ENV)
    [problem] = [str(p) for p in refused.value.problems]
    assert "oss-portal.json" in problem and ("redirectUris" in problem or "logout" in problem)


def test_issue2_keycloak_sends_action_emails_back_only_to_the_tables_pages() -> None:
    from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
    from gerbang_sidecar.ports.keycloak import KeycloakError, NewUser

    keycloak = FakeKeycloakUsers()
    user = keycloak.create_user("oss", NewUser(username="a@example.test", email="a@example.test",
                                               first_name="A"))
    root = "https://sidecar.example.test"
    keycloak.send_actions_email("oss", user, ["UPDATE_PASSWORD"], client_id="oss-portal",
                                redirect_uri=f"{root}/oss/home")
    for wrong in (f"{root}/oss/lupa-kata-sandi", f"{root}/insw/home", f"{root}/oss/home?x=1"):
        with pytest.raises(KeycloakError, match="Invalid redirect uri"):
            keycloak.send_actions_email("oss", user, ["UPDATE_PASSWORD"],
                                        client_id="oss-portal", redirect_uri=wrong)
