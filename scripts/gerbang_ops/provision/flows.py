"""Authentication flows: declared as trees, owned whole.

Keycloak has no call that updates a flow's structure in place, so a flow that differs is
replaced -- without a moment on a laxer flow (a bsre login without OTP, an eASY login
without its role check): the new tree is built beside the old one under staged aliases
(``<alias> ~<tag>``, for its sub-flows and authenticator configurations too), the realm and
client bindings move to it, the old flow goes and the staged aliases are renamed to the
declared ones. A "flow executed" condition (bsre's and insw's) names a sub-flow of its own
tree: staged, it names the staged sub-flow, so the staged tree works as the declared one
would. A run that dies on the way leaves the realm bound to the old or the staged tree, both
strict; the next run sees the staged leftovers and replaces again. Only a run that dies
between renaming the configurations and the sub-flows leaves a condition naming a sub-flow
that is not there: it refuses (closed, not open) until the next run.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.files import RealmSpec, iter_flow_nodes
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_ops.provision.validate import BINDING_KEYS, STAGED

STAGED_TAG = re.compile(re.escape(STAGED) + "[0-9a-f]{6}")  # secrets.token_hex(3) after it


def live_flows(api: KeycloakApi, realm: str) -> list[dict[str, Any]]:
    return api.get(f"/{seg(realm)}/authentication/flows")


def plan(api: KeycloakApi, spec: RealmSpec, live: list[dict[str, Any]]) -> list[Change]:
    by_alias = {f["alias"]: f for f in live}
    changes = []
    for flow in spec.flows:
        alias = flow["alias"]
        source = spec.source(f"flow:{alias}")
        leftovers = staged_leftovers(live, alias)
        if alias not in by_alias and not leftovers:
            changes.append(Change(spec.name, "flow", alias, "create", source,
                                  run=lambda f=flow: create(api, spec.name, f)))
            continue
        current = [f"description: {by_alias[alias].get('description', '')}",
                   *outline_live(api, spec.name, alias)] if alias in by_alias else []
        wanted = [f"description: {flow.get('description', '')}",
                  *outline(flow.get("executions", []))]
        if current != wanted or leftovers:
            details = [f"- {line}" for line in current if line not in wanted]
            details += [f"+ {line}" for line in wanted if line not in current]
            details += [f"left by an unfinished replacement: {f['alias']}" for f in leftovers]
            outgoing = [f for f in (by_alias.get(alias), *leftovers) if f]
            changes.append(Change(spec.name, "flow", alias, "replace", source, details=details,
                                  run=lambda f=flow, out=outgoing: replace(
                                      api, spec.name, out, f)))
    return changes


def plan_removals(api: KeycloakApi, spec: RealmSpec, live: list[dict[str, Any]]) -> list[Change]:
    """Flows made by hand; planned last so the realm no longer points at them. Staged
    leftovers of a declared flow are its replacement's to remove."""
    declared = {f["alias"] for f in spec.flows}
    staged = {f["alias"] for d in declared for f in staged_leftovers(live, d)}
    return [Change(spec.name, "flow", f["alias"], "delete", "", details=["not in realm-config"],
                   run=lambda i=f["id"]: api.delete(f"/{seg(spec.name)}/authentication/flows/{i}"))
            for f in live if not f.get("builtIn") and f["alias"] not in declared | staged]


def staged_leftovers(live: list[dict[str, Any]], alias: str) -> list[dict[str, Any]]:
    return [f for f in live if f["alias"].startswith(alias)
            and STAGED_TAG.fullmatch(f["alias"][len(alias):])]


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


def replace(api: KeycloakApi, realm: str, outgoing: list[dict[str, Any]],
            flow: dict[str, Any]) -> None:
    """Build, rebind, remove, rename -- in that order (see the module's docstring)."""
    tag = f"{STAGED}{secrets.token_hex(3)}"
    create(api, realm, _staged(flow, tag))
    staged_alias = flow["alias"] + tag
    staged_id = next(f["id"] for f in live_flows(api, realm) if f["alias"] == staged_alias)
    _move_bindings(api, realm, outgoing, staged_alias, staged_id)
    for old in outgoing:
        api.delete(f"/{seg(realm)}/authentication/flows/{old['id']}")
    entries = api.get(f"/{seg(realm)}/authentication/flows/{seg(staged_alias)}/executions")
    for config_id in [e["authenticationConfig"] for e in entries if e.get("authenticationConfig")]:
        path = f"/{seg(realm)}/authentication/config/{config_id}"
        current = api.get(path)
        api.put(path, {**current, "alias": current["alias"].removesuffix(tag),
                       "config": {k: v.removesuffix(tag) if isinstance(v, str) else v
                                  for k, v in (current.get("config") or {}).items()}})
    for flow_id in [*(e["flowId"] for e in entries if e.get("authenticationFlow")), staged_id]:
        path = f"/{seg(realm)}/authentication/flows/{flow_id}"
        current = api.get(path)
        api.put(path, {**current, "alias": current["alias"].removesuffix(tag)})


def _staged(flow: dict[str, Any], tag: str) -> dict[str, Any]:
    """The same tree with every alias Keycloak wants unique in a realm tagged -- the flow's,
    each sub-flow's, each authenticator configuration's -- and each configuration value that
    names one of its sub-flows (a "flow executed" condition), so the staged tree checks its
    own sub-flow while the old one still stands."""
    sub_flows = {n["subFlow"] for n in iter_flow_nodes(flow.get("executions", []))
                 if "subFlow" in n}

    def node(n: dict[str, Any]) -> dict[str, Any]:
        if "subFlow" in n:
            return {**n, "subFlow": n["subFlow"] + tag,
                    "executions": [node(c) for c in n.get("executions", [])]}
        if "config" in n:
            values = {k: v + tag if v in sub_flows else v
                      for k, v in n["config"].get("config", {}).items()}
            return {**n, "config": {"alias": n["config"]["alias"] + tag, "config": values}}
        return n
    return {**flow, "alias": flow["alias"] + tag,
            "executions": [node(n) for n in flow.get("executions", [])]}


def _move_bindings(api: KeycloakApi, realm: str, outgoing: list[dict[str, Any]],
                   alias: str, flow_id: str) -> None:
    """Every realm binding and client override of the outgoing flows, to the new one: the
    realm's in one update, then each client's (the old flow still stands meanwhile)."""
    old_aliases = {f["alias"] for f in outgoing}
    old_ids = {f["id"] for f in outgoing}
    settings = api.get(f"/{seg(realm)}")
    bound = [k for k in BINDING_KEYS if settings.get(k) in old_aliases]
    if bound:
        api.put(f"/{seg(realm)}", dict.fromkeys(bound, alias))
    for client in api.get(f"/{seg(realm)}/clients"):
        overrides = client.get("authenticationFlowBindingOverrides") or {}
        if old_ids & set(overrides.values()):
            api.put(f"/{seg(realm)}/clients/{client['id']}", {
                **client, "authenticationFlowBindingOverrides": {
                    k: (flow_id if v in old_ids else v) for k, v in overrides.items()}})
