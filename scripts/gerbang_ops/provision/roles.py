"""Realm roles: the declared ones are owned; any other, except Keycloak's own, is removed --
unless accounts, groups or a composite role (the default roles) hold it: deleting it would
take it from them silently."""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def built_in(realm: str) -> set[str]:
    return {"offline_access", "uma_authorization", f"default-roles-{realm}"}


def plan(api: KeycloakApi, spec: RealmSpec, exists: bool) -> list[Change]:
    base = f"/{seg(spec.name)}/roles"
    live: dict[str, dict[str, Any]] = {}
    if exists:
        live = {r["name"]: r for r in api.get(base, briefRepresentation="false")}
    changes = []
    for role in spec.roles:
        name = role["name"]
        source = spec.source(f"role:{name}")
        if name not in live:
            changes.append(Change(spec.name, "role", name, "create", source,
                                  run=lambda r=role: api.post(base, r)))
        elif diffs := differences(role, live[name]):
            changes.append(Change(spec.name, "role", name, "update", source, details=diffs,
                                  run=lambda r=role: api.put(f"{base}/{seg(r['name'])}", r)))
    declared = {r["name"] for r in spec.roles}
    composites = _composites(api, base, live)
    changes += _declared_roles_in_the_default_roles(
        api, spec, base, declared, composites.get(f"default-roles-{spec.name}", []))
    undeclared = sorted(set(live) - declared - built_in(spec.name))
    in_composites = {r["name"] for held in composites.values() for r in held}
    for name in undeclared:
        if name in in_composites or _held(api, f"{base}/{seg(name)}"):
            changes.append(Change(
                spec.name, "role", name, "keep", "", run=lambda: None,
                details=["not in realm-config, but accounts, groups or a composite role (the "
                         "default roles, say) hold it: take it from them (or declare it), "
                         "then delete it by hand"]))
            continue
        changes.append(Change(spec.name, "role", name, "delete", "",
                              details=["not in realm-config"],
                              run=lambda n=name: api.delete(f"{base}/{seg(n)}")))
    return changes


def _declared_roles_in_the_default_roles(api: KeycloakApi, spec: RealmSpec, base: str,
                                         declared: set[str], default_composites: list[Any]
                                         ) -> list[Change]:
    """Every account holds the default roles' composites: a portal role put there by hand
    (easy-shareholder, reviewer, verifikator) would be every account's. realm-config gives
    portal roles through groups only, so any one found there is drift, and goes."""
    default_roles = f"{base}/{seg(f'default-roles-{spec.name}')}/composites"
    found = [r for r in default_composites if r["name"] in declared]
    if not found:
        return []
    return [Change(spec.name, "default roles", f"default-roles-{spec.name}", "update",
                   spec.source("realm"),
                   details=[f"- {r['name']} (every account would hold it)" for r in found],
                   run=lambda: api.delete(f"{default_roles}", found))]


def _held(api: KeycloakApi, role_path: str) -> bool:
    return bool(api.get(f"{role_path}/users", first="0", max="1", briefRepresentation="true")
                or api.get(f"{role_path}/groups", first="0", max="1",
                           briefRepresentation="true"))


def _composites(api: KeycloakApi, base: str, live: dict[str, dict[str, Any]]
                ) -> dict[str, list[Any]]:
    """The realm roles each composite role holds (every account holds the default roles'),
    read once for both checks above."""
    return {name: api.get(f"{base}/{seg(name)}/composites/realm") or []
            for name, role in live.items() if role.get("composite")}
