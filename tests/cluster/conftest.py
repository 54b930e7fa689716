"""The cluster tests (issue 11): Keycloak in production mode, two nodes on one PostgreSQL.

``make test-cluster`` (part of ``make test``) runs this folder in a pytest process of its own;
every test here is marked ``cluster``. Nothing here touches the dev-mode servers of
tests/conftest.py (its Keycloak on H2, mail sink, sidecar): the fixtures below have names of
their own and start their own servers.

Session-scoped fixtures, started on first use and shared by every test of the folder (the
two-sidecar tests included), stopped and removed at the end even when a test failed:

``cluster_postgres``
    A throw-away PostgreSQL cluster (gerbang_ops.postgres). Every user makes its own
    database on it with ``create_database()``: Keycloak has one; the sidecars get theirs.
``cluster_mail_sink``
    A mail sink of the cluster's own (the realms' SMTP settings point to it).
``cluster_sidecar_socket`` / ``cluster_sidecar_url``
    The public address of the portals, bound for the whole session so nothing else takes
    the port: the realms' redirect URIs and e-mail links are built from it
    (``SIDECAR_PUBLIC_URL``). Nothing serves it until the sidecar tests put their sidecars
    behind it (or route to them, see support/routed_session.py).
``cluster_realm_env``
    The realm files' placeholders (client secrets, SMTP, SIDECAR_PUBLIC_URL) for this
    cluster; a sidecar needs ``SIDECAR_CLIENT_SECRET`` and the portal client secrets from it.
``keycloak_cluster``
    Two nodes (node-1, node-2) built once for PostgreSQL (``kc.sh build``, cached in
    .cache/keycloak/) and started with ``start --optimized`` on ``cluster_postgres``,
    discovering each other through the database (JDBC_PING), realms provisioned from
    realm-config/ through node-1 while node-2 joins. Both nodes have the same public address,
    ``cluster.public_url`` (node-1's URL); ``cluster.nodes[i].url`` reaches one node.
    A test may stop a node (R9); the next test that asks for the cluster gets it whole
    again (the node restarted on its ports and rejoined).
``cluster_admin_api``
    The admin REST API through a running node.

``cluster_fake_registry``
    The seeded fake registries and message gateway (SMS and WhatsApp land there).
``sidecar_cluster``
    Two sidecars under gunicorn on one PostgreSQL database and their outbox worker, started
    once on first use (issue 11 item 2, the sidecar half; see the end of this file).
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from gerbang_ops.keycloak.production import KeycloakCluster, jdbc_postgres_url
from gerbang_ops.keycloak.provisioned import start_provisioned_cluster
from gerbang_ops.keycloak.server import free_port
from gerbang_ops.local_secrets import throwaway_realm_env
from gerbang_ops.mailsink import MailSink
from gerbang_ops.postgres import PostgresServer, PostgresUnavailable, throwaway_postgres
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.fake_registry import create_fake_registry_app, running_fake_registry
from support.cluster_sidecars import (
    Sidecar,
    SidecarCluster,
    prepare_database,
    sidecar_environment,
    sidecar_secrets,
    start_outbox,
    start_sidecar,
    wait_until_ready,
)
from support.sockets import listening_socket, url_of

CLUSTER_SIZE = 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of this folder is a cluster test (``-m "not cluster"`` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def cluster_postgres() -> Iterator[PostgresServer]:
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        # A cluster test without its database proves nothing: fail, do not skip.
        pytest.fail(f"the cluster tests need PostgreSQL (make system-deps): {exc}")


@pytest.fixture(scope="session")
def cluster_mail_sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def cluster_sidecar_socket() -> Iterator[socket.socket]:
    with listening_socket() as sock:
        yield sock


@pytest.fixture(scope="session")
def cluster_sidecar_url(cluster_sidecar_socket: socket.socket) -> str:
    return url_of(cluster_sidecar_socket)


@pytest.fixture(scope="session")
def cluster_realm_env(cluster_mail_sink: MailSink, cluster_sidecar_url: str) -> dict[str, str]:
    return throwaway_realm_env(cluster_mail_sink.smtp_host, cluster_mail_sink.smtp_port,
                               cluster_sidecar_url)


@pytest.fixture(scope="session")
def _started_cluster(tmp_path_factory: pytest.TempPathFactory,
                     cluster_postgres: PostgresServer, cluster_realm_env: dict[str, str],
                     cluster_sidecar_url: str) -> Iterator[KeycloakCluster]:
    database = cluster_postgres.create_database()
    cluster = start_provisioned_cluster(  # stops every node when it fails
        tmp_path_factory.mktemp("keycloak-cluster"), CLUSTER_SIZE,
        db_url=jdbc_postgres_url(cluster_postgres.host, cluster_postgres.port, database),
        db_username=cluster_postgres.user, db_password=cluster_postgres.password,
        admin_password=secrets.token_urlsafe(16),
        realm_env=cluster_realm_env,
        # The themes build their "Daftar" links from it.
        environment={"SIDECAR_PUBLIC_URL": cluster_sidecar_url})
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def keycloak_cluster(_started_cluster: KeycloakCluster) -> KeycloakCluster:
    """The session's cluster with every node running (a node a test stopped is restarted)."""
    for node in _started_cluster.nodes:
        if not node.running:
            _started_cluster.restart(node)
    return _started_cluster


@pytest.fixture
def cluster_admin_api(keycloak_cluster: KeycloakCluster) -> KeycloakApi:
    node = keycloak_cluster.first
    return KeycloakApi(node.url, node.admin_user, node.admin_password)


# --- the two sidecars (issue 11 item 2, sidecar half) -----------------------------------------
# Started once per session, as docker-compose.yml runs them (support/cluster_sidecars.py): the
# migrations and ca-init jobs on a database of ``cluster_postgres``, then two gunicorn sidecars
# (2 gthread workers x 4 threads each) -- sidecar i talking to Keycloak node i -- and one
# ``python -m gerbang_sidecar outbox`` process; production settings (GERBANG_ENV=production,
# OUTBOX_IN_PROCESS=false, rate limits on), mail to ``cluster_mail_sink``, registries and the
# message gateway from ``cluster_fake_registry``. Nothing listens on ``cluster_sidecar_url``:
# tests reach it through support.routed_session, choosing the sidecar per request.


@pytest.fixture(scope="session")
def cluster_fake_registry() -> Iterator[str]:
    """The seeded fake registries and message gateway, once for the session."""
    with running_fake_registry(create_fake_registry_app()) as url:
        yield url


@pytest.fixture(scope="session")
def cluster_sidecar_secrets() -> dict[str, str]:
    return sidecar_secrets()


@pytest.fixture(scope="session")
def _started_sidecars(tmp_path_factory: pytest.TempPathFactory,
                      cluster_postgres: PostgresServer, _started_cluster: KeycloakCluster,
                      cluster_mail_sink: MailSink, cluster_realm_env: dict[str, str],
                      cluster_sidecar_url: str, cluster_fake_registry: str,
                      cluster_sidecar_secrets: dict[str, str]) -> Iterator[SidecarCluster]:
    logs = tmp_path_factory.mktemp("sidecar-cluster")
    database_url = cluster_postgres.url(cluster_postgres.create_database())

    def environment(keycloak_url: str) -> dict[str, str]:
        return sidecar_environment(
            database_url=database_url, keycloak_url=keycloak_url,
            keycloak_public_url=_started_cluster.public_url, public_url=cluster_sidecar_url,
            registry_url=cluster_fake_registry, smtp_host=cluster_mail_sink.smtp_host,
            smtp_port=cluster_mail_sink.smtp_port, realm_env=cluster_realm_env,
            shared_secrets=cluster_sidecar_secrets, instance_path=logs / "instance")

    nodes = _started_cluster.nodes
    prepare_database(environment(nodes[0].url), logs)
    with ExitStack() as stack:
        sidecars: list[Sidecar] = []
        for index, node in enumerate(nodes[:2], start=1):
            # Sidecar i talks to Keycloak node i, as it would to the node next to it.
            sidecar = start_sidecar(f"sidecar-{index}", free_port(), environment(node.url), logs)
            stack.callback(sidecar.stop)
            sidecars.append(sidecar)
        outbox = start_outbox("sidecar-outbox", environment(nodes[-1].url), logs)
        stack.callback(outbox.stop)
        for sidecar in sidecars:
            wait_until_ready(sidecar)
        yield SidecarCluster(cluster_sidecar_url, sidecars, outbox, database_url,
                             environment(nodes[-1].url), cluster_fake_registry)


@pytest.fixture
def sidecar_cluster(keycloak_cluster: KeycloakCluster,
                    _started_sidecars: SidecarCluster) -> SidecarCluster:
    """The session's two sidecars (and their outbox worker) with every Keycloak node up."""
    for process in (*_started_sidecars.sidecars, _started_sidecars.outbox):
        assert process.running, process.log_tail()
    return _started_sidecars
