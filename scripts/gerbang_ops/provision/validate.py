"""Offline checks that every reference in the realm files resolves."""

from __future__ import annotations

from pathlib import Path

from gerbang_ops.provision.files import Problem, RealmSpec, iter_flow_nodes

# Keycloak's own flows a realm may bind without declaring them.
BUILT_IN_FLOWS = {"browser", "direct grant", "registration", "reset credentials", "clients",
                  "first broker login", "docker auth"}
REALM_MANAGEMENT_ROLES = {
    "create-client", "impersonation", "manage-authorization", "manage-clients", "manage-events",
    "manage-identity-providers", "manage-realm", "manage-users", "query-clients", "query-groups",
    "query-realms", "query-users", "realm-admin", "view-authorization", "view-clients",
    "view-events", "view-identity-providers", "view-realm", "view-users",
}
# Roles that would let the sidecar change realm settings: never granted to a service account.
FORBIDDEN_SERVICE_ROLES = {"realm-admin", "manage-realm", "manage-clients",
                           "manage-authorization", "impersonation", "manage-identity-providers"}
BINDING_KEYS = ("browserFlow", "registrationFlow", "directGrantFlow", "resetCredentialsFlow",
                "clientAuthenticationFlow", "dockerAuthenticationFlow", "firstBrokerLoginFlow")
THEME_KEYS = {"loginTheme": "login", "emailTheme": "email", "accountTheme": "account"}


def check_references(spec: RealmSpec, themes_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    realm_file = Path(spec.source("realm"))
    flows = {f.get("alias") for f in spec.flows}
    roles = {r.get("name") for r in spec.roles}
    clients = {c.get("clientId"): c for c in spec.clients}

    for key, kind in THEME_KEYS.items():
        theme = spec.settings.get(key)
        if theme and not (themes_dir / theme / kind / "theme.properties").exists():
            problems.append(Problem(realm_file, f"$.{key}",
                                    f"theme {theme!r} has no {kind} part in {themes_dir}"))
    for key in BINDING_KEYS:
        alias = spec.settings.get(key)
        if alias and alias not in flows and alias not in BUILT_IN_FLOWS:
            problems.append(Problem(realm_file, f"$.{key}", f"flow {alias!r} is not declared"))

    for client_id, client in clients.items():
        source = Path(spec.source(f"client:{client_id}"))
        for binding, alias in (client.get("authenticationFlowBindingOverrides") or {}).items():
            if alias not in flows and alias not in BUILT_IN_FLOWS:
                problems.append(Problem(source, f"$.authenticationFlowBindingOverrides.{binding}",
                                        f"flow {alias!r} is not declared"))

    for flow in spec.flows:
        source = Path(spec.source(f"flow:{flow.get('alias')}"))
        for node in iter_flow_nodes(flow.get("executions", [])):
            config = (node.get("config") or {}).get("config", {})
            role = config.get("condUserRole")
            if role and role not in roles:
                problems.append(Problem(source, f"$..{node.get('authenticator')}.config",
                                        f"role {role!r} is not declared in roles.json"))

    sa_source = Path(spec.source("service-accounts"))
    for client_id, grants in spec.service_accounts.items():
        client = clients.get(client_id)
        if client is None or not client.get("serviceAccountsEnabled"):
            problems.append(Problem(sa_source, f"$.{client_id}",
                                    "no declared client with serviceAccountsEnabled"))
        for role in (grants.get("clientRoles") or {}).get("realm-management", []):
            if role not in REALM_MANAGEMENT_ROLES:
                problems.append(Problem(sa_source, f"$.{client_id}.clientRoles.realm-management",
                                        f"{role!r} is not a realm-management role"))
            elif role in FORBIDDEN_SERVICE_ROLES:
                problems.append(Problem(sa_source, f"$.{client_id}.clientRoles.realm-management",
                                        f"{role!r} is more than a service account may hold"))
        for role in grants.get("realmRoles", []):
            if role not in roles:
                problems.append(Problem(sa_source, f"$.{client_id}.realmRoles",
                                        f"role {role!r} is not declared in roles.json"))
    return problems
