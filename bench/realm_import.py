"""The baseline for provisioning: the same realms as ONE Keycloak realm import each.

``POST /admin/realms`` with a full realm representation is what Keycloak itself offers for
"create this realm as described" (partial import cannot carry flows or the user profile). The
representation is built from the same ``RealmSpec`` the provisioner applies:

* settings as they are; roles under ``roles.realm``; groups with their realm roles;
* our flows flattened into Keycloak's export shape (a sub-flow is a separate non-top-level
  flow referenced by alias), with ids we choose so client flow overrides can point at them;
* Keycloak's built-in flows and their configs copied from a throw-away realm's export --
  an import that lists flows gets no defaults, and the realm needs them (browser, direct
  grant, ...);
* the service-account user with its client roles; the declarative user profile as the
  component Keycloak stores it in.

Import only creates: it is no answer to "re-apply with nothing changed" or to drift, which is
why the provisioner exists; the benchmark reports the create path side by side only.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import replace
from typing import Any

from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

OVERRIDES = "authenticationFlowBindingOverrides"
USER_PROFILE_PROVIDER = "org.keycloak.userprofile.UserProfileProvider"



class Defaults:
    """What a realm gets from Keycloak when it is created empty: built-in flows, their
    configs, and the user profile's own parts (groups, unmanaged-attribute policy)."""

    def __init__(self, flows: list[dict[str, Any]], configs: list[dict[str, Any]],
                 user_profile: dict[str, Any]) -> None:
        self.flows = flows
        self.configs = configs
        self.user_profile = user_profile

    @classmethod
    def read(cls, api: KeycloakApi, scratch_realm: str) -> Defaults:
        export = api.post(f"/{scratch_realm}/partial-export", None).json()
        return cls(flows=_without_ids(export.get("authenticationFlows", [])),
                   configs=_without_ids(export.get("authenticatorConfig", [])),
                   user_profile=api.get(f"/{scratch_realm}/users/profile"))


def renamed(spec: RealmSpec, name: str) -> RealmSpec:
    """The same realm under another name, so both sides can live on one server."""
    return replace(spec, name=name, settings={**spec.settings, "realm": name})


def realm_representation(spec: RealmSpec, defaults: Defaults) -> dict[str, Any]:
    flows, configs, flow_ids = _flows(spec, defaults)
    rep: dict[str, Any] = copy.deepcopy(spec.settings)
    rep["realm"] = spec.name
    rep["roles"] = {"realm": copy.deepcopy(spec.roles)}
    rep["groups"] = [{"name": g["name"], "description": g.get("description", ""),
                      "realmRoles": list(g.get("realmRoles", []))} for g in spec.groups]
    rep["authenticationFlows"] = flows
    rep["authenticatorConfig"] = configs
    rep["clients"] = [_client(c, flow_ids) for c in spec.clients]
    rep["users"] = [_service_account_user(spec, client_id, grants)
                    for client_id, grants in sorted(spec.service_accounts.items())]
    if spec.user_profile is not None:
        profile = {**defaults.user_profile, **spec.user_profile}
        rep["components"] = {USER_PROFILE_PROVIDER: [{
            "providerId": "declarative-user-profile", "subComponents": {},
            "config": {"kc.user.profile.config": [json.dumps(profile)]}}]}
    return rep


def _flows(spec: RealmSpec, defaults: Defaults,
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    flows = copy.deepcopy(defaults.flows)
    configs = copy.deepcopy(defaults.configs)
    flow_ids: dict[str, str] = {}
    for flow in spec.flows:
        flow_ids[flow["alias"]] = str(uuid.uuid4())
        _flatten(flow["alias"], flow.get("description", ""), flow.get("executions", []),
                 top_level=True, flow_id=flow_ids[flow["alias"]], flows=flows, configs=configs)
    return flows, configs, flow_ids


def _flatten(alias: str, description: str, executions: list[dict[str, Any]], *,
             top_level: bool, flows: list[dict[str, Any]], configs: list[dict[str, Any]],
             flow_id: str | None = None) -> None:
    entries = []
    for priority, node in enumerate(executions, start=1):
        entry: dict[str, Any] = {"requirement": node["requirement"], "priority": priority * 10,
                                 "userSetupAllowed": False}
        if "subFlow" in node:
            entry |= {"flowAlias": node["subFlow"], "authenticatorFlow": True}
            _flatten(node["subFlow"], "", node.get("executions", []), top_level=False,
                     flows=flows, configs=configs)
        else:
            entry |= {"authenticator": node["authenticator"], "authenticatorFlow": False}
            if config := node.get("config"):
                entry["authenticatorConfig"] = config["alias"]
                configs.append({"alias": config["alias"], "config": config["config"]})
        entries.append(entry)
    flow: dict[str, Any] = {"alias": alias, "description": description,
                            "providerId": "basic-flow", "topLevel": top_level,
                            "builtIn": False, "authenticationExecutions": entries}
    if flow_id:
        flow["id"] = flow_id
    flows.append(flow)


def _client(client: dict[str, Any], flow_ids: dict[str, str]) -> dict[str, Any]:
    result = copy.deepcopy(client)
    if result.get(OVERRIDES):
        result[OVERRIDES] = {k: flow_ids[v] for k, v in result[OVERRIDES].items()}
    return result


def _service_account_user(spec: RealmSpec, client_id: str,
                          grants: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": f"service-account-{client_id}", "enabled": True,
        "serviceAccountClientId": client_id,
        "realmRoles": [f"default-roles-{spec.name}", *grants.get("realmRoles", [])],
        "clientRoles": copy.deepcopy(grants.get("clientRoles") or {}),
    }


def _without_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Export ids belong to the scratch realm; each import gets fresh ones."""
    return [{k: v for k, v in item.items() if k != "id"} for item in items]
