"""The declarative user profile: attributes are owned as a whole list."""

from __future__ import annotations

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

POLICY = "unmanagedAttributePolicy"


def plan(api: KeycloakApi, spec: RealmSpec, exists: bool) -> list[Change]:
    if spec.user_profile is None:
        return []
    path = f"/{seg(spec.name)}/users/profile"
    live = api.get(path) if exists else {}
    diffs = differences(spec.user_profile, live)
    # Owned too, though absent from the files: switched on by hand it would let users write
    # any attribute they like through the account console.
    if POLICY not in spec.user_profile and live.get(POLICY):
        diffs.append(f"{POLICY}: {live[POLICY]!r} -> (none)")
    if not diffs:
        return []

    def run() -> None:
        # Keep what we do not declare (attribute groups), except an unmanaged-attribute policy.
        current = api.get(path)
        if POLICY not in spec.user_profile:
            current.pop(POLICY, None)
        api.put(path, {**current, **spec.user_profile})

    return [Change(spec.name, "user profile", spec.name, "update" if exists else "create",
                   spec.source("user-profile"), run=run, details=diffs if exists else [])]
