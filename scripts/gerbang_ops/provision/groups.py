"""Top-level groups: the declared ones are owned (description and realm role mappings); any
other top-level group is removed while it is empty. A group that still has members is kept
and reported: its members hold their roles through it, and a renamed group in groups.json
must not strip every account of its portal roles.

A group bundles the realm roles one kind of account gets, so the sidecar creates an account
and its roles in one request (Keycloak takes ``groups`` when it creates a user, not roles).
"""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def plan(api: KeycloakApi, spec: RealmSpec, exists: bool) -> list[Change]:
    base = f"/{seg(spec.name)}/groups"
    live: dict[str, dict[str, Any]] = {}
    if exists:
        live = {g["name"]: g for g in api.get(base, briefRepresentation="false")}
    changes = []
    for group in spec.groups:
        name = group["name"]
        source = spec.source(f"group:{name}")
        current = live.get(name)
        if current is None:
            changes.append(Change(spec.name, "group", name, "create", source,
                                  run=lambda g=group: _create(api, spec.name, g)))
            continue
        details = _differences(group, current)
        if details:
            changes.append(Change(spec.name, "group", name, "update", source, details=details,
                                  run=lambda g=group, c=current: _update(api, spec.name, g, c)))
    declared = {g["name"] for g in spec.groups}
    for name in sorted(set(live) - declared):
        group_id = live[name]["id"]
        if api.get(f"{base}/{seg(group_id)}/members", first="0", max="1",
                   briefRepresentation="true"):
            changes.append(Change(
                spec.name, "group", name, "keep", "", run=lambda: None,
                details=["not in realm-config, but accounts are members and hold their roles "
                         "through it: move them to a declared group, then delete it by hand"]))
            continue
        changes.append(Change(spec.name, "group", name, "delete", "",
                              details=["not in realm-config"],
                              run=lambda i=group_id: api.delete(f"{base}/{seg(i)}")))
    return changes


def _differences(group: dict[str, Any], live: dict[str, Any]) -> list[str]:
    found = []
    if (group.get("description") or "") != (live.get("description") or ""):
        found.append("description differs")
    wanted, held = set(group.get("realmRoles", [])), set(live.get("realmRoles") or [])
    if wanted != held:
        found.append(f"realmRoles: {sorted(held)} -> {sorted(wanted)}")
    return found


def _create(api: KeycloakApi, realm: str, group: dict[str, Any]) -> None:
    base = f"/{seg(realm)}/groups"
    api.post(base, {"name": group["name"], "description": group.get("description", "")})
    created = next(g for g in api.get(base, search=group["name"], exact="true")
                   if g["name"] == group["name"])
    _set_roles(api, realm, created["id"], set(group.get("realmRoles", [])), set())


def _update(api: KeycloakApi, realm: str, group: dict[str, Any], live: dict[str, Any]) -> None:
    group_id = live["id"]
    if (group.get("description") or "") != (live.get("description") or ""):
        api.put(f"/{seg(realm)}/groups/{seg(group_id)}",
                {**{k: v for k, v in live.items() if k not in ("realmRoles", "clientRoles")},
                 "description": group.get("description", "")})
    _set_roles(api, realm, group_id, set(group.get("realmRoles", [])),
               set(live.get("realmRoles") or []))


def _set_roles(api: KeycloakApi, realm: str, group_id: str, wanted: set[str],
               held: set[str]) -> None:
    mappings = f"/{seg(realm)}/groups/{seg(group_id)}/role-mappings/realm"

    def representations(names: set[str]) -> list[dict[str, Any]]:
        return [api.get(f"/{seg(realm)}/roles/{seg(n)}") for n in sorted(names)]

    if wanted - held:
        api.post(mappings, representations(wanted - held))
    if held - wanted:
        api.delete(mappings, representations(held - wanted))
