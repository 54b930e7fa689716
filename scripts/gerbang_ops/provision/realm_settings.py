"""Realm settings: only the keys realm.json declares are owned."""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def read(api: KeycloakApi, realm: str) -> dict[str, Any] | None:
    return api.get_or_none(f"/{seg(realm)}")


def plan_create(api: KeycloakApi, spec: RealmSpec) -> Change:
    return Change(spec.name, "realm", spec.name, "create", spec.source("realm"),
                  run=lambda: api.post("", {"realm": spec.name, "enabled": True}))


def plan_settings(api: KeycloakApi, spec: RealmSpec, live: dict[str, Any] | None) -> list[Change]:
    diffs = differences(spec.settings, live or {})
    if not diffs:
        return []
    return [Change(spec.name, "realm settings", spec.name, "update", spec.source("realm"),
                   run=lambda: api.put(f"/{seg(spec.name)}", spec.settings),
                   details=diffs if live else [])]
