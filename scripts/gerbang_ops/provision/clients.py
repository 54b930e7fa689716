"""Clients: the declared ones are owned by clientId; others, except Keycloak's own, are removed.

Flow overrides are written by alias in the files and by id in Keycloak; both sides are
compared as aliases and translated to ids only when writing.
"""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.flows import live_flows
from gerbang_ops.provision.keycloak_api import KeycloakApi

BUILT_IN = {"account", "account-console", "admin-cli", "broker", "realm-management",
            "security-admin-console"}
OVERRIDES = "authenticationFlowBindingOverrides"


def live_clients(api: KeycloakApi, realm: str) -> list[dict[str, Any]]:
    return api.get(f"/{seg(realm)}/clients")


def plan(api: KeycloakApi, spec: RealmSpec, live: list[dict[str, Any]],
         flows: list[dict[str, Any]]) -> list[Change]:
    base = f"/{seg(spec.name)}/clients"
    alias_of = {f["id"]: f["alias"] for f in flows}
    by_client_id = {c["clientId"]: c for c in live}
    changes = []
    for client in spec.clients:
        client_id = client["clientId"]
        source = spec.source(f"client:{client_id}")
        current = by_client_id.get(client_id)
        if current is None and client_id in BUILT_IN and not live:
            # The realm is being created: Keycloak makes its built-in clients with it.
            changes.append(Change(
                spec.name, "client", client_id, "update", source,
                details=[f"{k}: {v!r}" for k, v in client.items() if k != "clientId"],
                run=lambda c=client: _update_built_in(api, spec, c)))
            continue
        if current is None:
            changes.append(Change(
                spec.name, "client", client_id, "create", source,
                run=lambda c=client: api.post(base, _with_flow_ids(api, spec, c))))
            continue
        live_overrides = {k: alias_of.get(v, v)
                          for k, v in (current.get(OVERRIDES) or {}).items() if v}
        # An override added by hand (e.g. a login flow without OTP) is drift too.
        extra = sorted(set(live_overrides) - set(client.get(OVERRIDES) or {}))
        diffs = differences(client, {**current, OVERRIDES: live_overrides})
        diffs += [f"{OVERRIDES}.{k}: {live_overrides[k]!r} -> (none)" for k in extra]
        if diffs:
            changes.append(Change(
                spec.name, "client", client_id, "update", source, details=diffs,
                run=lambda c=client, cur=current, x=extra: api.put(
                    f"{base}/{cur['id']}", {**cur, **_with_flow_ids(api, spec, c, x)})))
    declared = {c["clientId"] for c in spec.clients}
    for client_id, current in sorted(by_client_id.items()):
        if client_id not in declared | BUILT_IN:
            changes.append(Change(spec.name, "client", client_id, "delete", "",
                                  details=["not in realm-config"],
                                  run=lambda i=current["id"]: api.delete(f"{base}/{i}")))
    return changes


def _with_flow_ids(api: KeycloakApi, spec: RealmSpec, client: dict[str, Any],
                   remove: list[str] | None = None) -> dict[str, Any]:
    # Keycloak drops an override only when it is sent empty, not when it is left out.
    cleared = dict.fromkeys(remove or [], "")
    if not client.get(OVERRIDES):
        return {**client, OVERRIDES: cleared} if cleared else client
    id_of = {f["alias"]: f["id"] for f in live_flows(api, spec.name)}
    return {**client, OVERRIDES: {**cleared,
                                  **{k: id_of[v] for k, v in client[OVERRIDES].items()}}}


def _update_built_in(api: KeycloakApi, spec: RealmSpec, client: dict[str, Any]) -> None:
    base = f"/{seg(spec.name)}/clients"
    current = api.get(base, clientId=client["clientId"])[0]
    api.put(f"{base}/{current['id']}", {**current, **_with_flow_ids(api, spec, client)})
