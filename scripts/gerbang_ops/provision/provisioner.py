"""The provisioning Job's own login: a confidential client of the master realm whose service
account may create realms and manage the portal realms -- and nothing else of the server --
so the bootstrap admin, which Keycloak itself calls temporary, can be deleted.

``provision bootstrap-provisioner`` makes it (as an admin, once, and again after a new
portal realm); ``plan`` and ``apply`` then log in as it when ``KEYCLOAK_PROVISIONER_SECRET``
is set. A realm the client creates is its own to manage (Keycloak grants a realm's creator
all of that realm's admin roles -- wider than the grants below, which only the realms that
existed before need).
"""

from __future__ import annotations

from typing import Any

from gerbang_ops.provision.changes import seg
from gerbang_ops.provision.keycloak_api import KeycloakApi

CLIENT_ID = "gerbang-provisioner"
# What provisioning touches in a portal realm: its settings, flows, roles and user profile
# (realm), clients and their service accounts (clients), groups and the service accounts'
# role mappings (users). The sidecar's grants (manage-users, view-users, query-users,
# view-events) must be held to be given. Identity providers it only sees (to report one
# added by hand, identity_providers.py).
REALM_ROLES = ("manage-realm", "manage-clients", "manage-users", "view-realm", "view-clients",
               "view-users", "view-events", "view-identity-providers", "query-clients",
               "query-groups", "query-users")


def ensure(api: KeycloakApi, realms: list[str], secret: str,
           client_id: str = CLIENT_ID) -> None:
    """Make (or update) the client, with ``secret`` as its secret from now on, and give its
    service account what provisioning needs in the realms that exist."""
    client = _client(api, client_id)
    body = {"clientId": client_id, "name": "Gerbang provisioning (service account)",
            "protocol": "openid-connect", "publicClient": False,
            "clientAuthenticatorType": "client-secret", "secret": secret,
            "serviceAccountsEnabled": True, "standardFlowEnabled": False,
            "implicitFlowEnabled": False, "directAccessGrantsEnabled": False,
            "fullScopeAllowed": True}
    if client is None:
        api.post("/master/clients", body)
        client = _client(api, client_id)
        assert client is not None
    else:
        api.put(f"/master/clients/{client['id']}", {**client, **body})
    user = api.get(f"/master/clients/{client['id']}/service-account-user")
    mappings = f"/master/users/{user['id']}/role-mappings"
    api.post(f"{mappings}/realm", [api.get("/master/roles/create-realm")])
    for realm in realms:
        [management] = api.get("/master/clients", clientId=f"{realm}-realm") or [None]
        if management is None:
            continue  # not made yet: the client will create it, and own it
        roles = [api.get(f"/master/clients/{management['id']}/roles/{seg(r)}")
                 for r in REALM_ROLES]
        api.post(f"{mappings}/clients/{management['id']}", roles)


def _client(api: KeycloakApi, client_id: str) -> dict[str, Any] | None:
    found = api.get("/master/clients", clientId=client_id)
    return found[0] if found else None
