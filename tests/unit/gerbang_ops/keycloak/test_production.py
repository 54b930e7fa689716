"""Production mode's runtime without starting Keycloak: the server image is built once per
version and build options; the nodes of a cluster share one public address and get ports of
their own; the cluster view is read from the log. tests/cluster runs the real thing."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from gerbang_ops.keycloak import distribution
from gerbang_ops.keycloak.distribution import DistributionError, ensure_built
from gerbang_ops.keycloak.production import (
    PRODUCTION_BUILD_OPTIONS,
    KeycloakCluster,
    ProductionKeycloakServer,
    cluster_views,
)

# A kc.sh that records each build in a file beside the cache and fails when asked to.
FAKE_KC_SH = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../../builds.log"
case "$*" in *--fail*) echo "ERROR: no such option" >&2; exit 2;; esac
mkdir -p "$(dirname "$0")/../lib/quarkus"
"""


def _fake_archive(cache: Path, version: str) -> None:
    archive = cache / "downloads" / f"keycloak-quarkus-dist-{version}.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"keycloak-{version}/bin/kc.sh", FAKE_KC_SH)
    distribution.ARCHIVE_SHA256[version] = hashlib.sha256(archive.read_bytes()).hexdigest()


def _builds(cache: Path) -> list[str]:
    log = cache / "keycloak" / "builds.log"
    return log.read_text().splitlines() if log.exists() else []


def test_the_image_is_built_once_per_version_and_build_options(tmp_path: Path) -> None:
    _fake_archive(tmp_path, "1.0.0")
    home = ensure_built(("--db=postgres",), "1.0.0", tmp_path, log=lambda _line: None)
    assert (home / "lib" / "quarkus").is_dir()
    assert ensure_built(("--db=postgres",), "1.0.0", tmp_path, log=lambda _line: None) == home
    assert _builds(tmp_path) == ["build --db=postgres"]

    other = ensure_built(("--db=postgres", "--metrics-enabled=true"), "1.0.0", tmp_path,
                         log=lambda _line: None)
    assert other != home and other.parent == home.parent
    assert len(_builds(tmp_path)) == 2
    # The dev-mode tree is another folder: start-dev never re-augments the production image.
    assert home != distribution.keycloak_home("1.0.0", tmp_path)


def test_a_failed_build_says_why_and_is_tried_again_next_time(tmp_path: Path) -> None:
    _fake_archive(tmp_path, "1.0.0")
    with pytest.raises(DistributionError, match="no such option"):
        ensure_built(("--fail",), "1.0.0", tmp_path, log=lambda _line: None)
    with pytest.raises(DistributionError):
        ensure_built(("--fail",), "1.0.0", tmp_path, log=lambda _line: None)
    assert _builds(tmp_path) == ["build --fail", "build --fail"]


def test_the_build_ignores_kc_variables_of_the_callers_shell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.update(kwargs["env"])  # type: ignore[arg-type]
        return subprocess.CompletedProcess(command, 0, "", "")

    _fake_archive(tmp_path, "1.0.0")
    monkeypatch.setenv("KC_DB", "mysql")
    monkeypatch.setattr(distribution.subprocess, "run", run)
    ensure_built(("--db=postgres",), "1.0.0", tmp_path, log=lambda _line: None)
    assert "KC_DB" not in seen and "PATH" in seen


def test_the_build_options_are_the_production_ones() -> None:
    assert "--db=postgres" in PRODUCTION_BUILD_OPTIONS
    assert "--health-enabled=true" in PRODUCTION_BUILD_OPTIONS
    assert "--metrics-enabled=true" in PRODUCTION_BUILD_OPTIONS


def _cluster(tmp_path: Path) -> KeycloakCluster:
    return KeycloakCluster.on_loopback(tmp_path, 2, db_url="jdbc:postgresql://127.0.0.1:5/kc",
                                       db_username="gerbang", admin_password="x")


def _options(node: ProductionKeycloakServer) -> dict[str, str]:
    node.management_port = node.management_port or 1
    node.http_port = node.http_port or 2
    node.cluster_port = node.cluster_port or 3
    return dict(option.split("=", 1) for option in node._options())


def test_every_node_has_the_public_address_and_ports_of_its_own(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path)
    first, second = cluster.nodes
    assert cluster.public_url == first.url
    second.http_port, second.management_port, second.cluster_port = 8081, 9001, 7801
    first.management_port, first.cluster_port = 9000, 7800
    a, b = _options(first), _options(second)
    # One issuer for the whole cluster, or SSO breaks between nodes.
    assert a["--hostname"] == b["--hostname"] == cluster.public_url
    assert a["--http-port"] != b["--http-port"]
    assert a["--http-management-port"] != b["--http-management-port"]
    assert a["--cache-embedded-network-bind-port"] != b["--cache-embedded-network-bind-port"]
    for options in (a, b):
        assert options["--http-host"] == "127.0.0.1"
        assert options["--cache-embedded-network-bind-address"] == "127.0.0.1"
        assert options["--cache-stack"] == "jdbc-ping" and options["--cache"] == "ispn"
        assert options["--db-url"] == "jdbc:postgresql://127.0.0.1:5/kc"
    assert a["--spi-cache-embedded--default--node-name"] == "node-1"
    assert b["--spi-cache-embedded--default--node-name"] == "node-2"
    # Each node keeps its transaction log in its own folder, not in the shared distribution.
    assert (a["-Dquarkus.transaction-manager.object-store.directory"]
            != b["-Dquarkus.transaction-manager.object-store.directory"])


def test_a_node_starts_optimized_and_keeps_its_database_password_off_the_command_line(
        tmp_path: Path) -> None:
    node = ProductionKeycloakServer(data_dir=tmp_path, admin_password="x", db_password="pw",
                                    db_url="jdbc:postgresql://127.0.0.1:5/kc", db_username="u")
    command = node._command(tmp_path)
    assert command[1:3] == ["start", "--optimized"]
    assert not any("pw" in part for part in command)


LOG = """\
2026-12-02 14:43:17,192 INFO  [org.infinispan.CLUSTER] (executor-thread-1) ISPN000094: \
Received new cluster view for channel ISPN: [node-1(v=16.0.14)|0] (1) [node-1(v=16.0.14)]
2026-12-02 14:43:40,105 INFO  [org.infinispan.CLUSTER] (jgroups-5,node-1(v=16.0.14)) \
ISPN000094: Received new cluster view for channel ISPN: [node-1(v=16.0.14)|1] (2) \
[node-1(v=16.0.14), node-2(v=16.0.14)]
"""


def test_cluster_views_are_read_from_the_log() -> None:
    assert cluster_views(LOG) == [["node-1"], ["node-1", "node-2"]]
    assert cluster_views("nothing clustered here") == []


def test_cluster_views_are_read_from_json_logs_too() -> None:
    # KC_LOG_CONSOLE_OUTPUT=json, as docker-compose.yml runs Keycloak.
    line = ('{"timestamp":"2026-12-02T14:43:40.105Z","loggerName":"org.infinispan.CLUSTER",'
            '"level":"INFO","message":"ISPN000094: Received new cluster view for channel ISPN: '
            '[node-1(v=16.0.14)|1] (2) [node-1(v=16.0.14), node-2(v=16.0.14)]"}')
    assert cluster_views(line) == [["node-1", "node-2"]]


def test_a_restarted_node_counts_only_the_views_of_its_current_run(tmp_path: Path) -> None:
    node = ProductionKeycloakServer(data_dir=tmp_path, admin_password="x")
    node.log_path.write_text(LOG)
    assert node.cluster_members() == ["node-1", "node-2"]
    node._log_offset = len(LOG)
    assert node.cluster_members() == []
