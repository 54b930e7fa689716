"""``provision validate | plan | apply | bootstrap-provisioner``: realms as code for DevOps.

Exit codes: 0 done (plan: nothing pending), 1 error, 2 (plan only) changes pending.
Every failure is one readable line naming the file, JSON path or call and the reason.

``plan`` and ``apply`` log in as the provisioning client when ``KEYCLOAK_PROVISIONER_SECRET``
is set, otherwise as the admin user; ``bootstrap-provisioner`` (as the admin user) makes
that client (provisioner.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision import provisioner
from gerbang_ops.provision.changes import Change
from gerbang_ops.provision.files import ConfigFileError, RealmSpec, load_realms
from gerbang_ops.provision.keycloak_api import ApiError, KeycloakApi
from gerbang_ops.provision.planner import plan_realm
from gerbang_ops.provision.validate import (
    check_mail_transport,
    check_portal_table,
    check_references,
)

EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="provision", description=__doc__.splitlines()[0])
    parser.add_argument("command",
                        choices=["validate", "plan", "apply", "bootstrap-provisioner"])
    parser.add_argument("--realm", action="append", dest="realms",
                        help="only this realm (repeatable); default: every realm folder")
    parser.add_argument("--config-dir", type=Path, default=REALM_CONFIG)
    parser.add_argument("--themes-dir", type=Path, default=THEMES)
    parser.add_argument("--url", default=os.environ.get("KEYCLOAK_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--user", default=os.environ.get("KEYCLOAK_ADMIN_USER", "admin"))
    parser.add_argument("--password-env", default="KEYCLOAK_ADMIN_PASSWORD",
                        help="environment variable holding the admin password")
    return parser.parse_args(argv)


def load_and_check(config_dir: Path, themes_dir: Path, realms: list[str] | None,
                   environ: Mapping[str, str] | None = None) -> list[RealmSpec]:
    environ = os.environ if environ is None else environ
    specs = load_realms(config_dir, environ, realms)
    problems = [p for spec in specs for p in (*check_references(spec, themes_dir),
                                               *check_mail_transport(spec, environ))]
    if realms is None:  # the whole folder: it must match the portal table
        problems += check_portal_table(specs, config_dir)
    if problems:
        raise ConfigFileError(problems)
    return specs


def provision(api: KeycloakApi, specs: list[RealmSpec], apply: bool,
              out: Callable[[str], None] = print) -> list[Change]:
    """Plan (and with apply=True carry out) every realm; returns the changes found."""
    found: list[Change] = []
    for spec in specs:
        changes = plan_realm(api, spec)
        for change in changes:
            out(change.describe())
            if apply:
                try:
                    change.run()
                except ApiError as exc:
                    raise ApiError(f"{change.realm}: {change.kind} {change.name!r} "
                                   f"({change.source or 'live'}): {exc}") from exc
        found += changes
    return found


class MissingPassword(Exception):
    """The admin login was needed and its password variable is empty."""


def _provisioner_id() -> str:
    return os.environ.get("KEYCLOAK_PROVISIONER_CLIENT_ID") or provisioner.CLIENT_ID


def _admin_login(args: argparse.Namespace) -> KeycloakApi:
    password = os.environ.get(args.password_env)
    if not password:
        raise MissingPassword(args.password_env)
    return KeycloakApi(args.url, args.user, password)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        specs = load_and_check(args.config_dir, args.themes_dir, args.realms)
        if args.command == "validate":
            print(f"realm-config is valid: {', '.join(s.name for s in specs)}")
            return EXIT_OK
        client_secret = os.environ.get("KEYCLOAK_PROVISIONER_SECRET", "")
        if args.command == "bootstrap-provisioner":
            if not client_secret:
                print("error: set KEYCLOAK_PROVISIONER_SECRET to the secret the provisioning "
                      "client is to have", file=sys.stderr)
                return EXIT_ERROR
            client_id = _provisioner_id()
            provisioner.ensure(_admin_login(args), [s.name for s in specs], client_secret,
                               client_id=client_id)
            print(f"client {client_id!r} of the master realm is ready: run plan "
                  "and apply with KEYCLOAK_PROVISIONER_SECRET, then delete the bootstrap admin")
            return EXIT_OK
        started = time.monotonic()
        api = (KeycloakApi(args.url, _provisioner_id(), client_secret=client_secret)
               if client_secret else _admin_login(args))
        changes = provision(api, specs, apply=args.command == "apply")
    except ConfigFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except MissingPassword as exc:
        print(f"error: set {exc} to the Keycloak admin password", file=sys.stderr)
        return EXIT_ERROR
    verb = "applied" if args.command == "apply" else "pending"
    print(f"{len(changes)} change(s) {verb}; {api.requests_made} request(s), "
          f"{api.writes_made} write(s) in {time.monotonic() - started:.1f}s")
    if args.command == "plan" and changes:
        return EXIT_PENDING
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
