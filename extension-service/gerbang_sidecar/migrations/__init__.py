"""Alembic migrations of the sidecar database, configured in code (no alembic.ini).

Production: ``python -m gerbang_sidecar.migrations upgrade`` (reads ``DATABASE_URL``).
A local run: ``python -m gerbang_sidecar init`` (``make run`` and the tests call it).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if database_url:
        # ConfigParser interpolation would choke on %-escapes in passwords.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(target: str | Engine | Connection, revision: str = "head") -> None:
    """Bring the database to `revision`. Accepts a URL, an engine or an open connection."""
    if isinstance(target, Connection):
        _run_upgrade(target, revision)
        return
    engine = create_engine(target, poolclass=NullPool) if isinstance(target, str) else target
    try:
        with engine.begin() as connection:
            _run_upgrade(connection, revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def _run_upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(target: str | Engine) -> str | None:
    engine = create_engine(target, poolclass=NullPool) if isinstance(target, str) else target
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if isinstance(target, str):
            engine.dispose()
