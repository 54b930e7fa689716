"""Identity providers: realm-config declares none. Every account of a portal comes through
its registration, which proves the identifiers against the registries (A5, O2, B1, I1) --
or is made by an officer who checked them. A provider added by hand in the console (a
"masuk dengan ..." button) would let people in without those checks and, with Keycloak's
account linking by email, into someone else's account.

Provisioning reports each one as drift to remove by hand ("keep"): the accounts that logged
in through it would lose that way in, an operator's decision; and the provisioner is given
no right to manage identity providers, only to see them (``view-identity-providers``). A
provisioner made before it had that right says so instead of failing the whole plan.
"""

from __future__ import annotations

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import ApiError, KeycloakApi


def plan(api: KeycloakApi, spec: RealmSpec, exists: bool) -> list[Change]:
    if not exists:
        return []
    try:
        live = api.get(f"/{seg(spec.name)}/identity-provider/instances")
    except ApiError as error:
        if error.status != 403:
            raise
        return [Change(spec.name, "identity providers", "(not visible)", "keep", "",
                       run=lambda: None,
                       details=["the provisioner may not see them: run `provision "
                                "bootstrap-provisioner` again to give it view-identity-"
                                "providers"])]
    return [Change(spec.name, "identity provider", provider["alias"], "keep", "",
                   run=lambda: None,
                   details=["not in realm-config: it lets people in without the portal's "
                            "registration checks; remove it in the admin console (Identity "
                            "providers) once its users have another way in"])
            for provider in sorted(live, key=lambda p: str(p["alias"]))]
