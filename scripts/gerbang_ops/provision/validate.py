"""Offline checks that every reference in the realm files resolves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gerbang_ops.provision.files import Problem, RealmSpec, iter_flow_nodes
from gerbang_sidecar.config import ConfigError, is_loopback_host, parse_flag
from gerbang_sidecar.portals import PORTALS, PortalClient, find_portal

# Provisioning's staging mark (flows.py, which imports this module).
STAGED = " ~"

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
# Keycloak's column for a flow's description; a longer one fails the create with a bare 500.
DESCRIPTION_LIMIT = 255
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

    problems += _check_flow_aliases(spec)
    for flow in spec.flows:
        source = Path(spec.source(f"flow:{flow.get('alias')}"))
        if len(flow.get("description", "")) > DESCRIPTION_LIMIT:
            problems.append(Problem(source, "$.description",
                                    f"longer than Keycloak keeps ({DESCRIPTION_LIMIT} characters)"))
        sub_flows = {n["subFlow"] for n in iter_flow_nodes(flow.get("executions", []))
                     if "subFlow" in n}
        for node in iter_flow_nodes(flow.get("executions", [])):
            config = (node.get("config") or {}).get("config", {})
            where = f"$..{node.get('authenticator')}.config"
            if node.get("authenticator") == "conditional-sub-flow-executed":
                # Keycloak reads anything but "not-executed" as "executed": a typo inverts it.
                if config.get("check_result") not in ("executed", "not-executed"):
                    problems.append(Problem(source, where, "check_result must be 'executed' or "
                                            "'not-executed'"))
                if config.get("flow_to_check") not in sub_flows:
                    problems.append(Problem(source, where, f"flow_to_check "
                                            f"{config.get('flow_to_check')!r} is not a "
                                            "sub-flow of this flow"))
            role = config.get("condUserRole")
            if role and role not in roles:
                problems.append(Problem(source, where,
                                        f"role {role!r} is not declared in roles.json"))

    for group in spec.groups:
        for role in group.get("realmRoles", []):
            if role not in roles:
                problems.append(Problem(Path(spec.source(f"group:{group.get('name')}")),
                                        f"$..{group.get('name')}.realmRoles",
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


PLAINTEXT_ALLOWED = "ALLOW_PLAINTEXT_OUTBOUND"


def check_mail_transport(spec: RealmSpec, environ: Mapping[str, str]) -> list[Problem]:
    """Keycloak's mails carry set-password and reset links: to a relay on another host only
    over TLS, unless staging says its Mailpit has none (the sidecar's own rule, config.py)."""
    smtp = spec.settings.get("smtpServer") or {}
    host = str(smtp.get("host", ""))
    encrypted = "true" in (str(smtp.get("starttls", "")).lower(), str(smtp.get("ssl", "")).lower())
    try:
        allowed = parse_flag(PLAINTEXT_ALLOWED, environ.get(PLAINTEXT_ALLOWED) or "false")
    except ConfigError as error:
        return [Problem(Path(spec.source("realm")), "$.smtpServer", str(error))]
    if not host or encrypted or allowed or is_loopback_host(host):
        return []
    return [Problem(Path(spec.source("realm")), "$.smtpServer.starttls",
                    f"mail to {host} would travel unencrypted: set SMTP_STARTTLS=true "
                    "(ALLOW_PLAINTEXT_OUTBOUND=true for staging's Mailpit, which has no TLS)")]


def check_portal_table(specs: list[RealmSpec], config_dir: Path) -> list[Problem]:
    """realm-config/ and the sidecar's portal table (gerbang_sidecar/portals.py) describe the
    same portals: one realm folder per portal, and each portal's display name, login theme
    and OIDC clients as the table declares them."""
    problems: list[Problem] = []
    folders = {spec.name for spec in specs}
    for portal in PORTALS:
        if portal.realm not in folders:
            problems.append(Problem(config_dir / portal.realm, "$",
                                    "the portal table names this realm; its folder is missing"))
    for spec in specs:
        portal = find_portal(spec.name)
        realm_file = Path(spec.source("realm"))
        if portal is None:
            problems.append(Problem(realm_file, "$", f"realm {spec.name!r} is not in the "
                                    "portal table (gerbang_sidecar/portals.py)"))
            continue
        for key, wanted in (("displayName", portal.name), ("loginTheme", portal.theme)):
            if spec.settings.get(key) != wanted:
                problems.append(Problem(realm_file, f"$.{key}",
                                        f"the portal table says {wanted!r}"))
        clients = {c.get("clientId"): c for c in spec.clients}
        for client in portal.clients:
            declared = clients.get(client.client_id)
            if declared is None:
                problems.append(Problem(realm_file, "$", f"client {client.client_id!r} of the "
                                        "portal table is not declared in clients/"))
                continue
            problems += _check_redirects(Path(spec.source(f"client:{client.client_id}")),
                                         client, declared)
    return problems


def _check_redirects(source: Path, client: PortalClient, declared: dict[str, Any]
                     ) -> list[Problem]:
    """The client's redirect URIs are exactly the sidecar's pages Keycloak sends browsers back
    to (no wildcard: a code or an action token's return could otherwise be aimed at any page
    of the path), and logout returns only to the portal's start page; all under the client's
    root URL (``${SIDECAR_PUBLIC_URL}``)."""
    base = f"{str(declared.get('rootUrl', '')).rstrip('/')}/{client.path}/"
    wanted = sorted(base + page for page in client.redirect_paths)
    problems: list[Problem] = []
    if sorted(declared.get("redirectUris", [])) != wanted:
        problems.append(Problem(source, "$.redirectUris",
                                f"must be exactly {wanted} (the portal table's pages)"))
    logout = (declared.get("attributes") or {}).get("post.logout.redirect.uris")
    if logout != base:
        problems.append(Problem(source, '$.attributes["post.logout.redirect.uris"]',
                                f"must be {base!r}, the page the sidecar's logout returns to"))
    return problems


def _check_flow_aliases(spec: RealmSpec) -> list[Problem]:
    """Flow, sub-flow and configuration aliases are unique in a realm (Keycloak answers a
    second one with 409 half-way through an apply), and free of the staging mark that
    provisioning gives a flow while it replaces it (flows.py)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for flow in spec.flows:
        source = Path(spec.source(f"flow:{flow.get('alias')}"))
        nodes = list(iter_flow_nodes(flow.get("executions", [])))
        aliases = [("flow", flow.get("alias", "")),
                   *(("sub-flow", n["subFlow"]) for n in nodes if "subFlow" in n),
                   *(("configuration", n["config"].get("alias", "")) for n in nodes
                     if n.get("config"))]
        for kind, alias in aliases:
            if STAGED in alias:
                problems.append(Problem(source, "$", f"{kind} alias {alias!r} contains "
                                        f"{STAGED!r}, provisioning's staging mark"))
            if (kind, alias) in seen or (kind == "sub-flow" and ("flow", alias) in seen):
                problems.append(Problem(source, "$", f"{kind} alias {alias!r} is used twice "
                                        "in the realm"))
            seen.add(("flow" if kind == "sub-flow" else kind, alias))
    return problems
