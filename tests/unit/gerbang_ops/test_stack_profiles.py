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


def test_two_commands_a_quick_restart_keeps_its_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer's second ``make run`` a minute after Ctrl-C moved Keycloak and the sidecar
    to other ports (the last run's connections were still closing), so links already mailed
    went nowhere. A port held only by connections in TIME_WAIT is taken again; one with a
    listener is not."""
    import socket

    from gerbang_ops.stack import choose_port

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server's side closes first: its end waits in TIME_WAIT
    client.close()
    monkeypatch.setenv("GERBANG_SIDECAR_PORT", str(port))
    assert choose_port("SIDECAR") != port  # the listener is still there
    listener.close()
    assert choose_port("SIDECAR") == port
