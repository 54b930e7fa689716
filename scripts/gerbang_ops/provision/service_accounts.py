"""Role mappings of service-account users: exactly the declared roles, nothing more.

The realm's default role, which Keycloak gives every user, is left alone.
"""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def plan(api: KeycloakApi, spec: RealmSpec, live_clients: list[dict[str, Any]]) -> list[Change]:
    by_client_id = {c["clientId"]: c for c in live_clients}
    changes = []
    for client_id, grants in sorted(spec.service_accounts.items()):
        wanted = _wanted(spec, grants)
        current = (_current(api, spec.name, by_client_id, client_id)
                   if client_id in by_client_id else {})
        add = sorted(wanted - set(current))
        remove = sorted(set(current) - wanted)
        if not add and not remove:
            continue
        details = [f"+ {r}" for r in add] + [f"- {r}" for r in remove]
        changes.append(Change(
            spec.name, "service account roles", client_id,
            "update" if client_id in by_client_id else "create",
            spec.source("service-accounts"), details=details,
            run=lambda c=client_id, a=add, r=remove: _apply(api, spec.name, c, a, r)))
    return changes


def _wanted(spec: RealmSpec, grants: dict[str, Any]) -> set[str]:
    wanted = {f"realm:{r}" for r in grants.get("realmRoles", [])}
    for container, roles in (grants.get("clientRoles") or {}).items():
        wanted |= {f"{container}:{r}" for r in roles}
    return wanted


def _current(api: KeycloakApi, realm: str, by_client_id: dict[str, Any],
                 client_id: str) -> dict[str, dict[str, Any]]:
    """Mapped roles as 'container:name' -> role representation."""
    user = api.get(f"/{seg(realm)}/clients/{by_client_id[client_id]['id']}/service-account-user")
    mappings = api.get(f"/{seg(realm)}/users/{user['id']}/role-mappings")
    current = {f"realm:{r['name']}": r for r in mappings.get("realmMappings", [])
               if r["name"] != f"default-roles-{realm}"}
    for container, entry in (mappings.get("clientMappings") or {}).items():
        current |= {f"{container}:{r['name']}": r for r in entry["mappings"]}
    return current


def _apply(api: KeycloakApi, realm: str, client_id: str, add: list[str],
           remove: list[str]) -> None:
    r = seg(realm)
    clients = {c["clientId"]: c for c in api.get(f"/{r}/clients")}
    user = api.get(f"/{r}/clients/{clients[client_id]['id']}/service-account-user")
    base = f"/{r}/users/{user['id']}/role-mappings"
    for action, keys in (("add", add), ("remove", remove)):
        by_container: dict[str, list[str]] = {}
        for key in keys:
            container, name = key.split(":", 1)
            by_container.setdefault(container, []).append(name)
        for container, names in by_container.items():
            if container == "realm":
                path = f"{base}/realm"
                reps = [api.get(f"/{r}/roles/{seg(n)}") for n in names]
            else:
                cid = clients[container]["id"]
                path = f"{base}/clients/{cid}"
                reps = [api.get(f"/{r}/clients/{cid}/roles/{seg(n)}") for n in names]
            if action == "add":
                api.post(path, reps)
            else:
                api.delete(path, reps)
