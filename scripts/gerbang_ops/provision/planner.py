"""Plan one realm: read the live state once, compare every resource type, order the changes."""

from __future__ import annotations

from gerbang_ops.provision import (
    clients,
    flows,
    groups,
    identity_providers,
    realm_settings,
    roles,
    service_accounts,
    user_profile,
)
from gerbang_ops.provision.changes import Change
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def plan_realm(api: KeycloakApi, spec: RealmSpec) -> list[Change]:
    """Changes in the order they must run: flows before the clients and realm that bind them."""
    live_settings = realm_settings.read(api, spec.name)
    exists = live_settings is not None
    live_flows = flows.live_flows(api, spec.name) if exists else []
    live_clients = clients.live_clients(api, spec.name) if exists else []
    changes = [] if exists else [realm_settings.plan_create(api, spec)]
    changes += roles.plan(api, spec, exists)
    changes += groups.plan(api, spec, exists)
    changes += flows.plan(api, spec, live_flows)
    changes += clients.plan(api, spec, live_clients, live_flows)
    changes += service_accounts.plan(api, spec, live_clients)
    changes += user_profile.plan(api, spec, exists)
    changes += realm_settings.plan_settings(api, spec, live_settings)
    changes += flows.plan_removals(api, spec, live_flows)
    changes += identity_providers.plan(api, spec, exists)
    return changes
