"""A production-mode Keycloak cluster with the realms of realm-config/ provisioned.

``make run PROFILE=production``, the cluster tests and the scale benchmarks all start the
cluster the same way: the realm files are loaded and checked first (a broken file should not
cost a Keycloak start), node 1 starts, and the realms are provisioned through it while the
other nodes join. This lives apart from ``production.py`` so that the process layer there
stays free of the provisioning code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from gerbang_ops.keycloak.production import KeycloakCluster, ProductionKeycloakServer
from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision.cli import load_and_check, provision
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def _silent(_line: str) -> None:
    pass


def start_provisioned_cluster(
        work_dir: Path, size: int, *, db_url: str, db_username: str, db_password: str,
        admin_password: str,
        realm_env: Mapping[str, str], environment: dict[str, str] | None = None,
        http_port: int = 0, management_port: int = 0,
        log: Callable[[str], None] = _silent, report_changes: bool = False,
        after_provisioning: Callable[[KeycloakApi], None] | None = None,
) -> KeycloakCluster:
    """``size`` nodes (``KeycloakCluster.on_loopback``) started with the realms provisioned
    from ``realm_env`` through node 1 while the others join; ``after_provisioning(api)`` runs
    next, still while they join. ``report_changes`` logs how many changes were applied.
    Every node is stopped when this fails; stopping a returned cluster is the caller's."""
    specs = load_and_check(REALM_CONFIG, THEMES, None, realm_env)
    cluster = KeycloakCluster.on_loopback(
        work_dir, size, db_url=db_url, db_username=db_username, db_password=db_password,
        admin_password=admin_password, environment=environment,
        http_port=http_port, management_port=management_port)

    def provision_realms(first: ProductionKeycloakServer) -> None:
        joining = " while the other node(s) join" if size > 1 else ""
        log(f"{first.node_name} ready at {first.url}{joining}:")
        api = provision_realm_config(first, specs, log=log, report_changes=report_changes)
        if after_provisioning is not None:
            after_provisioning(api)

    return cluster.start(while_joining=provision_realms)


def provision_realm_config(server: KeycloakServer, specs: list[RealmSpec], *,
                           log: Callable[[str], None] = _silent,
                           report_changes: bool = False) -> KeycloakApi:
    """Apply the realm files (``load_and_check``'s specs) through ``server``'s admin API;
    the API, for what comes next (demo accounts)."""
    log(f"provisioning {', '.join(s.name for s in specs)} from realm-config/ ...")
    api = KeycloakApi(server.url, server.admin_user, server.admin_password)
    changes = provision(api, specs, apply=True, out=_silent)
    if report_changes:
        log(f"  {len(changes)} change(s) applied")
    return api
