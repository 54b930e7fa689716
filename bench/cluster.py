"""The production shape for the scale benchmarks (issue 11 item 4): Keycloak in production mode.

Two nodes built once for PostgreSQL (``kc.sh build``, cached in .cache/keycloak/) and started
with ``start --optimized`` on a throw-away PostgreSQL, discovering each other through the
database (JDBC_PING) -- ``gerbang_ops.keycloak.production.KeycloakCluster``, as the cluster
tests start it. The realms of realm-config/ are provisioned through node 1 while node 2 joins.

Both nodes carry the same public address (node 1's URL, as ``--hostname``): a load balancer's
in production. ``RoundRobin`` plays that load balancer for a ``requests`` session: every
request sent to the public address goes to the next node in turn, so one login's pages, form
post and code exchange land on different nodes.
"""

from __future__ import annotations

import itertools
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from bench.environment import SidecarServer, realm_env
from gerbang_ops.keycloak.production import KeycloakCluster, jdbc_postgres_url
from gerbang_ops.keycloak.provisioned import start_provisioned_cluster
from gerbang_ops.mailsink import MailSink
from gerbang_ops.postgres import PostgresServer, throwaway_postgres
from gerbang_ops.provision.keycloak_api import KeycloakApi

CLUSTER_SIZE = 2


def next_address(url: str, public: str, nodes: Sequence[str], turn: int) -> str:
    """``url`` sent to the ``turn``-th node (round robin) when it is addressed to ``public``;
    any other URL unchanged. Addresses are ``scheme://host:port`` without a path."""
    parts = urlsplit(url)
    if not nodes or f"{parts.scheme}://{parts.netloc}" != public.rstrip("/"):
        return url
    node = urlsplit(nodes[turn % len(nodes)])
    return urlunsplit(parts._replace(scheme=node.scheme, netloc=node.netloc))


class RoundRobin(HTTPAdapter):
    """A load balancer in front of the nodes, without stickiness: each request to the public
    address goes to the next node. ``turns`` may be shared by many sessions (one balancer)."""

    def __init__(self, public_url: str, node_urls: Sequence[str],
                 turns: Iterator[int] | None = None) -> None:
        super().__init__()
        self.public_url = public_url.rstrip("/")
        self.node_urls = list(node_urls)
        self._turns = turns if turns is not None else itertools.count()
        self._lock = threading.Lock()

    def mount_on(self, session: requests.Session) -> requests.Session:
        # The trailing slash: "http://127.0.0.1:4567" must not also catch port 45678.
        session.mount(self.public_url + "/", self)
        return session

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self._lock:
            turn = next(self._turns)
        request.url = next_address(str(request.url), self.public_url, self.node_urls, turn)
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class ClusterStack:
    cluster: KeycloakCluster
    postgres: PostgresServer
    realm_env: dict[str, str]
    sidecar_url: str
    work_dir: Path

    @property
    def public_url(self) -> str:
        return self.cluster.public_url

    @property
    def node_urls(self) -> list[str]:
        return [node.url for node in self.cluster.nodes]

    def admin_api(self, node: int = 0) -> KeycloakApi:
        server = self.cluster.nodes[node]
        return KeycloakApi(server.url, server.admin_user, server.admin_password, timeout=120)


@contextmanager
def running_cluster(log: Callable[[str], None] = print,
                    size: int = CLUSTER_SIZE) -> Iterator[ClusterStack]:
    """A throw-away PostgreSQL, ``size`` production-mode nodes on it with the realms of
    realm-config/ provisioned; everything stopped and deleted on exit."""
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="gerbang-bench-cluster-")))
        sink = stack.enter_context(MailSink())
        log("starting a throw-away PostgreSQL for the Keycloak cluster ...")
        postgres = stack.enter_context(throwaway_postgres())
        # Nothing serves the portals here; the realms need their address all the same.
        sidecar = SidecarServer()
        stack.callback(sidecar.stop)
        env = realm_env(sink, sidecar.url)
        database = postgres.create_database()
        log(f"starting {size} Keycloak node(s) in production mode (start --optimized, "
            "PostgreSQL) ...")
        cluster = start_provisioned_cluster(  # stops every node when it fails
            work_dir / "keycloak", size,
            db_url=jdbc_postgres_url(postgres.host, postgres.port, database),
            db_username=postgres.user, db_password=postgres.password,
            admin_password=secrets.token_urlsafe(16),
            realm_env=env, environment={"SIDECAR_PUBLIC_URL": sidecar.url}, log=log)
        stack.callback(cluster.stop)
        log(f"cluster ready: {', '.join(n.node_name + ' ' + n.url for n in cluster.nodes)}")
        yield ClusterStack(cluster=cluster, postgres=postgres, realm_env=env,
                           sidecar_url=sidecar.url, work_dir=work_dir)
