"""``make run``'s switch: dev mode by default, production mode (and its node count) on request;
and its watch over what it started."""

from __future__ import annotations

from pathlib import Path

import pytest

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.stack import (
    StoppedUnexpectedly,
    Watched,
    parse_args,
    wait_until_one_stops,
    watch,
)


def test_make_run_stays_in_dev_mode_by_default() -> None:
    args = parse_args([])
    assert (args.profile, args.keycloak_nodes) == ("dev", 1)


def test_production_mode_may_run_a_cluster() -> None:
    args = parse_args(["--profile", "production", "--keycloak-nodes", "2"])
    assert (args.profile, args.keycloak_nodes) == ("production", 2)


@pytest.mark.parametrize("argv", [["--keycloak-nodes", "2"],
                                  ["--profile", "production", "--keycloak-nodes", "0"],
                                  ["--profile", "staging"]])
def test_unknown_profiles_and_clusters_outside_production_mode_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


def test_a_process_that_dies_ends_make_run_with_its_name_and_log(tmp_path: Path) -> None:
    """Brief rule 2 (two commands): ``make run`` never serves half a stack; the failure is
    named."""
    states = iter([True, True, False])
    watched = [Watched("sidecar", lambda: True, tmp_path / "sidecar.log"),
               Watched("outbox worker", lambda: next(states), tmp_path / "outbox.log")]
    with pytest.raises(StoppedUnexpectedly, match=r"outbox worker stopped unexpectedly; see .*"
                                                  r"outbox\.log"):
        wait_until_one_stops(watched, every=0)


def test_keycloak_is_watched_beside_the_python_children(tmp_path: Path) -> None:
    node = KeycloakServer(data_dir=tmp_path / "kc", admin_password="x", http_port=1)
    (item,) = watch([], [node])
    assert item.name == "Keycloak (http://127.0.0.1:1)"
    assert item.log == node.log_path
    assert item.running() is False  # never launched
