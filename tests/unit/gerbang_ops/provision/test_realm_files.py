"""realm-config/ reading and validation, offline: every problem names file, JSON path, reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision import cli
from gerbang_ops.provision.cli import load_and_check
from gerbang_ops.provision.files import (
    ConfigFileError,
    deep_merge,
    environment_variables,
    load_realms,
)
from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret

ENV = {name: "x" for name in (
    "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SIDECAR_CLIENT_SECRET", "SIDECAR_PUBLIC_URL",
    "AKSES_PORTAL_CLIENT_SECRET", "EASY_CLIENT_SECRET", "OSS_PORTAL_CLIENT_SECRET",
    "BSRE_PORTAL_CLIENT_SECRET", "INSW_PORTAL_CLIENT_SECRET")}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    copy = tmp_path / "realm-config"
    shutil.copytree(REALM_CONFIG, copy)
    return copy


def problems(config: Path, env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(ConfigFileError) as raised:
        load_and_check(config, THEMES, None, env)
    return [str(p) for p in raised.value.problems]


def test_repository_realm_files_are_valid() -> None:
    specs = load_and_check(REALM_CONFIG, THEMES, None, ENV)
    assert [s.name for s in specs] == ["akses", "bsre", "insw", "oss"]


def test_invalid_json_names_file_line_and_reason(config: Path) -> None:
    (config / "akses" / "roles.json").write_text('{"roles": [}\n')
    found = problems(config)
    assert found == [f"{config}/akses/roles.json: line 1 column 12: not valid JSON: "
                     "Expecting value"]


def test_unset_placeholder_names_file_and_json_path(config: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "EASY_CLIENT_SECRET"}
    assert problems(config, env) == [
        f"{config}/akses/clients/easy.json: $.secret: placeholder ${{EASY_CLIENT_SECRET}} "
        "is not set in the environment"]


def test_empty_placeholder_counts_as_unset(config: Path) -> None:
    assert any("SMTP_HOST" in p for p in problems(config, {**ENV, "SMTP_HOST": ""}))


def test_keycloak_message_keys_are_not_placeholders() -> None:
    spec = next(s for s in load_realms(REALM_CONFIG, ENV) if s.name == "akses")
    username = next(a for a in spec.user_profile["attributes"] if a["name"] == "username")
    assert username["displayName"] == "${username}"


def test_a8_unknown_flow_reference_is_refused(config: Path) -> None:
    client = config / "akses" / "clients" / "easy.json"
    data = json.loads(client.read_text())
    data["authenticationFlowBindingOverrides"] = {"browser": "no such flow"}
    client.write_text(json.dumps(data))
    assert problems(config) == [f"{client}: $.authenticationFlowBindingOverrides.browser: "
                                "flow 'no such flow' is not declared"]


def test_b8_a_flow_description_longer_than_keycloak_keeps_is_refused(config: Path) -> None:
    """Keycloak would answer the create with a bare 500 (its column holds 255)."""
    flow = config / "insw" / "flows" / "insw-browser.json"
    data = json.loads(flow.read_text())
    data["description"] = "x" * 256
    flow.write_text(json.dumps(data))
    assert problems(config) == [
        f"{flow}: $.description: longer than Keycloak keeps (255 characters)"]


def _edit_bsre_browser(config: Path, change) -> Path:  # type: ignore[no-untyped-def]
    flow = config / "bsre" / "flows" / "bsre-browser.json"
    data = json.loads(flow.read_text())
    change(data["executions"][1]["executions"])
    flow.write_text(json.dumps(data))
    return flow


def test_b8_a_flow_executed_condition_must_name_its_own_sub_flow_and_a_real_result(
        config: Path) -> None:
    """Keycloak reads any check_result but 'not-executed' as 'executed': a typo would let
    the users without a device in and keep those with one out."""
    def typo(forms):  # type: ignore[no-untyped-def]
        condition = forms[2]["executions"][0]["config"]["config"]
        condition["check_result"] = "not_executed"
        condition["flow_to_check"] = "bsre reset existing otp"  # another flow's sub-flow
    flow = _edit_bsre_browser(config, typo)
    where = f"{flow}: $..conditional-sub-flow-executed.config"
    assert problems(config) == [
        f"{where}: check_result must be 'executed' or 'not-executed'",
        f"{where}: flow_to_check 'bsre reset existing otp' is not a sub-flow of this flow"]


def test_b8_flow_aliases_are_unique_in_a_realm_and_free_of_the_staging_mark(
        config: Path) -> None:
    def clash(forms):  # type: ignore[no-untyped-def]
        forms[1]["subFlow"] = "bsre reset existing otp"  # the reset flow's sub-flow
        forms[2]["executions"][0]["config"]["config"]["flow_to_check"] = \
            "bsre reset existing otp"
        forms[2]["executions"][1]["config"]["alias"] = "temp ~abc123"
    flow = _edit_bsre_browser(config, clash)
    found = problems(config)
    assert any("sub-flow alias 'bsre reset existing otp' is used twice in the realm" in p
               for p in found), found
    assert f"{flow}: $: configuration alias 'temp ~abc123' contains ' ~', provisioning's " \
           "staging mark" in found


def test_service_account_may_not_hold_realm_admin(config: Path) -> None:
    grants = config / "_common" / "service-accounts.json"
    grants.write_text(json.dumps({"gerbang-sidecar": {
        "clientRoles": {"realm-management": ["manage-users", "realm-admin"]}}}))
    assert f"{grants}: $.gerbang-sidecar.clientRoles.realm-management: 'realm-admin' is more " \
           "than a service account may hold" in problems(config)


def test_missing_theme_is_refused(config: Path) -> None:
    realm = config / "oss" / "realm.json"
    realm.write_text(json.dumps({**json.loads(realm.read_text()), "loginTheme": "nope"}))
    assert any("$.loginTheme: theme 'nope' has no login part" in p for p in problems(config))


def test_common_files_merge_under_each_realm() -> None:
    spec = next(s for s in load_realms(REALM_CONFIG, ENV) if s.name == "bsre")
    assert spec.settings["passwordPolicy"].startswith("length(8)")  # from _common
    assert spec.settings["smtpServer"]["fromDisplayName"] == "BSrE AMS"  # the realm's own
    assert spec.settings["smtpServer"]["host"] == "x"  # _common's, kept beside it
    names = [a["name"] for a in spec.user_profile["attributes"]]
    assert names[:2] == ["username", "email"] and "nip" in names
    assert sorted(c["clientId"] for c in spec.clients) == ["admin-cli", "bsre-portal",
                                                          "gerbang-sidecar"]


def test_named_lists_merge_by_name_and_others_are_replaced() -> None:
    base = {"attributes": [{"name": "a", "x": 1}, {"name": "b"}], "locales": ["id", "en"]}
    override = {"attributes": [{"name": "a", "y": 2}, {"name": "c"}], "locales": ["id"]}
    assert deep_merge(base, override) == {
        "attributes": [{"name": "b"}, {"name": "a", "x": 1, "y": 2}, {"name": "c"}],
        "locales": ["id"]}


def test_validate_cli_exit_codes(config: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["validate", "--config-dir", str(config)]) == cli.EXIT_OK
    (config / "insw" / "realm.json").write_text("{")
    assert cli.main(["validate", "--config-dir", str(config)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert f"{config}/insw/realm.json: line 1 column 2" in err and "Traceback" not in err


@pytest.mark.parametrize(("rel", "content", "expected"), [
    ("akses/roles.json", {"roles": ["investor"]}, "$.roles[0]: must be a JSON object"),
    ("akses/roles.json", {"roles": [{"description": "no name"}]},
     "$.roles[0].name: must be a non-empty string"),
    ("akses/clients/easy.json", [], "$: must be a JSON object"),
    ("akses/clients/easy.json", {"name": "no clientId"}, "$.clientId: must be a non-empty string"),
    ("akses/realm.json", ["akses"], "$: must be a JSON object"),
    ("bsre/flows/bsre-browser.json",
     {"alias": "bsre browser", "executions": [{"requirement": "REQUIRED"}]},
     "$.executions[0]: needs exactly one of authenticator or subFlow"),
    ("bsre/flows/bsre-browser.json",
     {"alias": "bsre browser", "executions": [{"authenticator": "auth-otp-form",
                                                "requirement": "REQUIRD"}]},
     "$.executions[0].requirement: must be one of"),
    ("bsre/flows/bsre-browser.json",
     {"alias": "bsre browser", "executions": [{"authenticator": "auth-otp-form",
                                                "requirement": "REQUIRED", "config": "x"}]},
     "$.executions[0].config: must be"),
    ("_common/service-accounts.json", {"gerbang-sidecar": ["manage-users"]},
     "$.gerbang-sidecar: must be a JSON object"),
])
def test_malformed_files_are_one_line_each_never_a_traceback(
        config: Path, rel: str, content: object, expected: str) -> None:
    (config / rel).write_text(json.dumps(content))
    found = problems(config)
    assert any(p.startswith(f"{config}/{rel}: {expected}") for p in found), found


@pytest.mark.parametrize(("overrides", "refused"), [
    ({}, False),  # SMTP_STARTTLS unset: the realm files default to STARTTLS
    ({"SMTP_STARTTLS": "false"}, True),
    ({"SMTP_STARTTLS": "false", "ALLOW_PLAINTEXT_OUTBOUND": "true"}, False),
    ({"SMTP_STARTTLS": "false", "SMTP_HOST": "127.0.0.1"}, False),
])
def test_x3_keycloak_mails_links_to_another_host_only_over_tls(
        overrides: dict[str, str], refused: bool) -> None:
    env = {**ENV, **overrides}
    if refused:
        found = problems(REALM_CONFIG, env)
        assert found and all("smtpServer.starttls" in p and "SMTP_STARTTLS=true" in p
                             for p in found)
    else:
        assert load_and_check(REALM_CONFIG, THEMES, None, env)


def test_rule4_each_realm_file_gets_its_own_sidecar_client_secret() -> None:
    """``${SIDECAR_REALM_CLIENT_SECRET}`` is derived per realm from SIDECAR_CLIENT_SECRET,
    the value the sidecar derives when it logs in to that realm."""
    env = {**ENV, "SIDECAR_CLIENT_SECRET": "the-sidecar-secret"}
    secrets = {spec.name: next(c["secret"] for c in spec.clients
                               if c["clientId"] == "gerbang-sidecar")
               for spec in load_realms(REALM_CONFIG, env)}
    assert secrets == {realm: realm_client_secret("the-sidecar-secret", realm)
                       for realm in ("akses", "bsre", "insw", "oss")}


def test_rule4_an_unset_sidecar_secret_is_named_for_the_derived_placeholder(config: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "SIDECAR_CLIENT_SECRET"}
    assert problems(config, env) == [
        f"{config}/_common/clients/gerbang-sidecar.json: $.secret: SIDECAR_CLIENT_SECRET, "
        "which placeholder ${SIDECAR_REALM_CLIENT_SECRET} is derived from, is not set in the "
        "environment"]


def test_rule4_environment_variables_name_the_sources_of_derived_placeholders() -> None:
    names = environment_variables(REALM_CONFIG)
    assert "SIDECAR_CLIENT_SECRET" in names
    assert "SIDECAR_REALM_CLIENT_SECRET" not in names
