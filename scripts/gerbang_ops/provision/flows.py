"""Authentication flows: declared as trees, owned whole.

Keycloak has no call that updates a flow's structure in place, so a flow that differs is
replaced: its bindings (realm and client overrides) move to Keycloak's built-in flow for the
moment of the swap and come back to the new flow in the same change.
"""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_ops.provision.validate import BINDING_KEYS

BUILT_IN_FOR_BINDING = {
    "browserFlow": "browser", "registrationFlow": "registration",
    "directGrantFlow": "direct grant", "resetCredentialsFlow": "reset credentials",
    "clientAuthenticationFlow": "clients", "dockerAuthenticationFlow": "docker auth",
    "firstBrokerLoginFlow": "first broker login",
}


def live_flows(api: KeycloakApi, realm: str) -> list[dict[str, Any]]:
    return api.get(f"/{seg(realm)}/authentication/flows")


def plan(api: KeycloakApi, spec: RealmSpec, live: list[dict[str, Any]]) -> list[Change]:
    by_alias = {f["alias"]: f for f in live}
    changes = []
    for flow in spec.flows:
        alias = flow["alias"]
        source = spec.source(f"flow:{alias}")
        if alias not in by_alias:
            changes.append(Change(spec.name, "flow", alias, "create", source,
                                  run=lambda f=flow: create(api, spec.name, f)))
            continue
        current = [f"description: {by_alias[alias].get('description', '')}",
                   *outline_live(api, spec.name, alias)]
        wanted = [f"description: {flow.get('description', '')}",
                  *outline(flow.get("executions", []))]
        if current != wanted:
            details = [f"- {line}" for line in current if line not in wanted]
            details += [f"+ {line}" for line in wanted if line not in current]
            changes.append(Change(spec.name, "flow", alias, "replace", source, details=details,
                                  run=lambda f=flow, old=by_alias[alias]: replace(
                                      api, spec.name, old, f)))
    return changes


def plan_removals(api: KeycloakApi, spec: RealmSpec, live: list[dict[str, Any]]) -> list[Change]:
    """Flows made by hand; planned last so the realm no longer points at them."""
    declared = {f["alias"] for f in spec.flows}
    return [Change(spec.name, "flow", f["alias"], "delete", "", details=["not in realm-config"],
                   run=lambda i=f["id"]: api.delete(f"/{seg(spec.name)}/authentication/flows/{i}"))
            for f in live if not f.get("builtIn") and f["alias"] not in declared]


def outline(executions: list[dict[str, Any]], depth: int = 0) -> list[str]:
    """One line per execution, indented by depth; the form both sides are compared in."""
    lines = []
    for node in executions:
        pad = "  " * depth
        if "subFlow" in node:
            lines.append(f"{pad}[{node['subFlow']}] {node['requirement']}")
            lines += outline(node.get("executions", []), depth + 1)
        else:
            config = node.get("config")
            suffix = f" config {config['alias']} {sorted(config['config'].items())}" \
                if config else ""
            lines.append(f"{pad}{node['authenticator']} {node['requirement']}{suffix}")
    return lines


def outline_live(api: KeycloakApi, realm: str, alias: str) -> list[str]:
    lines = []
    for entry in api.get(f"/{seg(realm)}/authentication/flows/{seg(alias)}/executions"):
        pad = "  " * entry["level"]
        if entry.get("authenticationFlow"):
            lines.append(f"{pad}[{entry['displayName']}] {entry['requirement']}")
            continue
        suffix = ""
        if config_id := entry.get("authenticationConfig"):
            config = api.get(f"/{seg(realm)}/authentication/config/{config_id}")
            suffix = f" config {config['alias']} {sorted(config.get('config', {}).items())}"
        lines.append(f"{pad}{entry['providerId']} {entry['requirement']}{suffix}")
    return lines


def create(api: KeycloakApi, realm: str, flow: dict[str, Any]) -> None:
    api.post(f"/{seg(realm)}/authentication/flows", {
        "alias": flow["alias"], "description": flow.get("description", ""),
        "providerId": "basic-flow", "topLevel": True, "builtIn": False,
    })
    _add_executions(api, realm, flow["alias"], flow.get("executions", []))


def _add_executions(api: KeycloakApi, realm: str, parent: str,
                    executions: list[dict[str, Any]]) -> None:
    base = f"/{seg(realm)}/authentication/flows/{seg(parent)}/executions"
    for node in executions:
        if "subFlow" in node:
            api.post(f"{base}/flow", {"alias": node["subFlow"], "type": "basic-flow",
                                      "provider": "registration-page-form", "description": ""})
        else:
            api.post(f"{base}/execution", {"provider": node["authenticator"]})
        # The new execution is the last direct child of the parent.
        entry = [e for e in api.get(base) if e["level"] == 0][-1]
        api.put(base, {**entry, "requirement": node["requirement"]})
        if config := node.get("config"):
            api.post(f"/{seg(realm)}/authentication/executions/{entry['id']}/config", config)
        if "subFlow" in node:
            _add_executions(api, realm, node["subFlow"], node.get("executions", []))


def replace(api: KeycloakApi, realm: str, old: dict[str, Any], flow: dict[str, Any]) -> None:
    alias = flow["alias"]
    settings = api.get(f"/{seg(realm)}")
    realm_bindings = [k for k in BINDING_KEYS if settings.get(k) == alias]
    clients = [c for c in api.get(f"/{seg(realm)}/clients")
               if old["id"] in (c.get("authenticationFlowBindingOverrides") or {}).values()]
    if realm_bindings:
        api.put(f"/{seg(realm)}", {k: BUILT_IN_FOR_BINDING[k] for k in realm_bindings})
    for client in clients:
        # Keycloak drops an override only when it is sent empty, not when it is left out.
        unbound = {k: ("" if v == old["id"] else v)
                   for k, v in client["authenticationFlowBindingOverrides"].items()}
        api.put(f"/{seg(realm)}/clients/{client['id']}",
                {**client, "authenticationFlowBindingOverrides": unbound})
    api.delete(f"/{seg(realm)}/authentication/flows/{old['id']}")
    create(api, realm, flow)
    new_id = next(f["id"] for f in live_flows(api, realm) if f["alias"] == alias)
    if realm_bindings:
        api.put(f"/{seg(realm)}", dict.fromkeys(realm_bindings, alias))
    for client in clients:
        overrides = {k: (new_id if v == old["id"] else v)
                     for k, v in client["authenticationFlowBindingOverrides"].items()}
        api.put(f"/{seg(realm)}/clients/{client['id']}",
                {**client, "authenticationFlowBindingOverrides": overrides})
