"""The declarative user profile: attributes are owned as a whole list."""

from __future__ import annotations

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def plan(api: KeycloakApi, spec: RealmSpec, exists: bool) -> list[Change]:
    if spec.user_profile is None:
        return []
    path = f"/{seg(spec.name)}/users/profile"
    live = api.get(path) if exists else {}
    diffs = differences(spec.user_profile, live)
    if not diffs:
        return []

    def run() -> None:
        # Keep what we do not declare (attribute groups, unmanaged-attribute policy).
        api.put(path, {**api.get(path), **spec.user_profile})

    return [Change(spec.name, "user profile", spec.name, "update" if exists else "create",
                   spec.source("user-profile"), run=run, details=diffs if exists else [])]
