"""Keycloak in production mode: ``kc.sh start --optimized`` on PostgreSQL, one node or a cluster.

The server image is built once per version and build options (``PRODUCTION_BUILD_OPTIONS``)
into a copy of the distribution of its own (``distribution.ensure_built``); every node then
starts from it with ``start --optimized``. A node gets the same themes and the same e-mail
listener setting as dev mode, with theme caching on as production has it.

Clustering is Keycloak's own: embedded Infinispan over JGroups, the nodes finding each other
through a table in the shared database (the ``jdbc-ping`` stack), each node binding its
cluster transport to its own port on loopback. Every node of one cluster is given the same
``--hostname``, the public address (a load balancer's in production; here the first node's
URL): tokens carry it as their issuer, so a login made through one node is valid on every
other. Back-channel URLs (token, userinfo) follow the address a request came to, so a
sidecar may talk to the node next to it.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from gerbang_ops.keycloak.distribution import ensure_built
from gerbang_ops.keycloak.server import (
    EMAIL_LISTENER_EXCLUDES,
    KeycloakServer,
    KeycloakStartError,
    free_port,
)

# What `kc.sh build` bakes into the image; everything else is given at start. In 26.x the
# cache options (--cache, --cache-stack) are runtime options, so they go to `start`.
PRODUCTION_BUILD_OPTIONS: tuple[str, ...] = (
    "--db=postgres",
    "--health-enabled=true",
    "--metrics-enabled=true",
    # A build option although `start --help-all` lists it: `start --optimized` with it
    # refuses to run ("build time options have values that differ").
    "--event-metrics-user-enabled=true",
)

# "ISPN000094: Received new cluster view for channel ISPN: [node-1(v=16.0.14)|1] (2)
#  [node-1(v=16.0.14), node-2(v=16.0.14)]"
_CLUSTER_VIEW = re.compile(
    r"ISPN000094: Received new cluster view for channel \S+: \[[^\]]*\] \((\d+)\) \[([^\]]*)\]")


def cluster_views(log_text: str) -> list[list[str]]:
    """Every cluster view a node logged, oldest first, as lists of member names."""
    return [[re.sub(r"\(.*\)$", "", member.strip()) for member in members.split(",")]
            for _size, members in _CLUSTER_VIEW.findall(log_text)]


def jdbc_postgres_url(host: str, port: int, database: str) -> str:
    return f"jdbc:postgresql://{host}:{port}/{database}"


@dataclass
class ProductionKeycloakServer(KeycloakServer):
    """One node in ``start --optimized`` on PostgreSQL. ``hostname`` is the public address
    (default: the node's own URL); ``cluster_port`` the JGroups port on loopback (default:
    a free one). The database password, if any, goes through the environment, not ``ps``."""

    db_url: str = ""
    db_username: str = ""
    db_password: str = ""
    hostname: str = ""
    node_name: str = ""
    cluster_port: int = 0
    build_options: tuple[str, ...] = PRODUCTION_BUILD_OPTIONS
    _log_offset: int = field(default=0, init=False, repr=False)

    def launch(self) -> None:
        if not self.db_url:
            raise ValueError("a production Keycloak needs db_url (jdbc:postgresql://...)")
        self.cluster_port = self.cluster_port or free_port()
        if self.db_password:
            self.environment = {**self.environment, "KC_DB_PASSWORD": self.db_password}
        # Only what this start logs counts for its cluster view.
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        super().launch()
        self.hostname = self.hostname or self.url

    def _home(self) -> Path:
        return ensure_built(self.build_options)

    def _starting_alone(self) -> contextlib.AbstractContextManager[None]:
        # ``start --optimized`` writes nothing into its built copy (ensure_built made it).
        return contextlib.nullcontext()

    def _command(self, home: Path) -> list[str]:
        return [str(home / "bin" / "kc.sh"), "start", "--optimized", *self._options()]

    def _options(self) -> list[str]:
        options = [
            # kc.sh passes -D options to the JVM: the transaction log in the node's own folder,
            # not in the distribution every node shares.
            "-Dquarkus.transaction-manager.object-store.directory="
            f"{self.data_dir / 'transaction-logs'}",
            "--http-enabled=true",
            "--http-host=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--http-management-port={self.management_port}",
            f"--hostname={self.hostname or self.url}",
            "--hostname-backchannel-dynamic=true",
            f"--db-url={self.db_url}",
            f"--db-username={self.db_username}",
            "--cache=ispn",
            "--cache-stack=jdbc-ping",
            "--cache-embedded-network-bind-address=127.0.0.1",
            f"--cache-embedded-network-bind-port={self.cluster_port}",
            f"--spi-theme--folder--dir={self.themes_dir}",
            f"--spi-events-listener--email--exclude-events={EMAIL_LISTENER_EXCLUDES}",
            # As in docker-compose.yml: request-latency histograms for the dashboard (a
            # runtime option; the login counters are built in, tests/cluster reads both).
            "--http-metrics-histograms-enabled=true",
        ]
        if self.node_name:
            options.append(f"--spi-cache-embedded--default--node-name={self.node_name}")
        return options

    def cluster_members(self) -> list[str]:
        """The members of the last cluster view this node logged since it was started
        (empty before it joined any)."""
        if not self.log_path.exists():
            return []
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            views = cluster_views(log.read().decode(errors="replace"))
        return views[-1] if views else []


@dataclass
class KeycloakCluster:
    """Production-mode nodes on one database, behind one public address (the first node's
    URL). ``start`` brings them up; ``stop`` (or leaving the ``with`` block) ends them all."""

    nodes: list[ProductionKeycloakServer]
    view_timeout: float = 180.0

    @classmethod
    def on_loopback(cls, data_dir: Path, size: int, *, db_url: str, db_username: str,
                    admin_password: str, db_password: str = "",
                    environment: dict[str, str] | None = None, http_port: int = 0,
                    management_port: int = 0) -> KeycloakCluster:
        """``size`` nodes named node-1, node-2 … with data in ``data_dir/node-N``, free ports
        except the first node's ``http_port`` / ``management_port`` when given."""
        if size < 1:
            raise ValueError("a cluster has at least one node")
        first_port = http_port or free_port()
        public_url = f"http://127.0.0.1:{first_port}"
        return cls([ProductionKeycloakServer(
            data_dir=data_dir / f"node-{n}", admin_password=admin_password,
            http_port=first_port if n == 1 else 0,
            management_port=management_port if n == 1 else 0,
            environment=dict(environment or {}), db_url=db_url, db_username=db_username,
            db_password=db_password, hostname=public_url, node_name=f"node-{n}",
        ) for n in range(1, size + 1)])

    @property
    def public_url(self) -> str:
        """The address every node puts into its pages and tokens (the issuer's)."""
        return self.nodes[0].hostname

    @property
    def first(self) -> ProductionKeycloakServer:
        return self.nodes[0]

    def start(self, while_joining: Callable[[ProductionKeycloakServer], None] | None = None,
              ) -> KeycloakCluster:
        """Start the first node (it creates the schema), then the others; while they join,
        ``while_joining(first)`` runs (provisioning through the first node, say). Returns when
        every node is ready and every node's log shows a view of the whole cluster. Nothing
        keeps running when this fails."""
        try:
            self.first.start()
            for node in self.nodes[1:]:
                node.launch()
            if while_joining is not None:
                while_joining(self.first)
            for node in self.nodes[1:]:
                node.wait_until_ready()
            self.wait_for_view()
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, node: ProductionKeycloakServer) -> None:
        """Start a stopped node again (same ports and folder) and wait until it has rejoined."""
        node.start()
        self.wait_for_view()

    def running_nodes(self) -> list[ProductionKeycloakServer]:
        return [node for node in self.nodes if node.running]

    def wait_for_view(self) -> None:
        """Wait until every running node's last logged view has exactly the running nodes."""
        deadline = time.monotonic() + self.view_timeout
        while True:
            running = self.running_nodes()
            wanted = sorted(node.node_name for node in running)
            views = {node.node_name: sorted(node.cluster_members()) for node in running}
            if all(view == wanted for view in views.values()):
                return
            if time.monotonic() > deadline:
                tails = "\n\n".join(f"{node.node_name}:\n{node.log_tail(15)}"
                                    for node in running)
                raise KeycloakStartError(
                    f"no cluster view of {wanted} within {self.view_timeout:.0f}s; the "
                    f"nodes see {views}\n{tails}")
            time.sleep(0.5)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()

    def __enter__(self) -> KeycloakCluster:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
