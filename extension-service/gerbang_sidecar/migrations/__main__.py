"""``python -m gerbang_sidecar.migrations upgrade|current|heads|revision``.

The database comes from ``--database-url`` or ``DATABASE_URL`` (no other secret is needed
to migrate); without either, the local default from the settings is used.
"""

from __future__ import annotations

import argparse
import os
import sys

from alembic import command

from gerbang_sidecar.migrations import alembic_config, current_revision, head_revision, upgrade


def _database_url(arg: str | None) -> str:
    if arg:
        return arg
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from gerbang_sidecar.config import load_settings

    return load_settings().database_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gerbang_sidecar.migrations")
    parser.add_argument("--database-url", help="defaults to $DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="migrate the database to a revision")
    up.add_argument("revision", nargs="?", default="head")
    up.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    commands.add_parser("current", help="print the database's revision")
    commands.add_parser("heads", help="print the newest revision of the code")
    rev = commands.add_parser("revision", help="author a new migration (developers)")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "heads":
        print(head_revision())
        return 0
    url = _database_url(args.database_url)
    if args.command == "upgrade":
        if args.sql:
            command.upgrade(alembic_config(url), args.revision, sql=True)
        else:
            upgrade(url, args.revision)
            print(f"database at {current_revision(url)}")
        return 0
    if args.command == "current":
        print(current_revision(url))
        return 0
    command.revision(alembic_config(url), message=args.message, autogenerate=args.autogenerate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
