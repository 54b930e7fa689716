"""``make run``'s switch: dev mode by default, production mode (and its node count) on request."""

from __future__ import annotations

import pytest

from gerbang_ops.stack import parse_args


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
