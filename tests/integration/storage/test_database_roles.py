"""Issue 8 item 12, X4: the compose database init script on a real PostgreSQL. Migrations run
as the owner; the application role changes rows but cannot rewrite the audit trail, drop its
triggers or touch the schema."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gerbang_ops.paths import REPO_ROOT
from gerbang_ops.postgres import PG_BIN, PostgresServer, PostgresUnavailable, throwaway_postgres
from gerbang_sidecar.migrations import upgrade

pytestmark = pytest.mark.postgres
INIT_SCRIPT = REPO_ROOT / "deploy" / "postgres" / "10-gerbang.sh"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    """A cluster whose superuser is "postgres", as in the postgres image, initialised by the
    compose init script."""
    try:
        with throwaway_postgres(user="postgres") as server:
            env = {**os.environ, "PATH": f"{PG_BIN}:{os.environ.get('PATH', '')}",
                   "PGHOST": server.host, "PGPORT": str(server.port),
                   "PGPASSWORD": server.password,
                   "KC_DB_USERNAME": "keycloak", "KC_DB_PASSWORD": "kc-secret",
                   "SIDECAR_DB_OWNER_PASSWORD": "owner-secret",
                   "SIDECAR_DB_PASSWORD": "app-secret"}
            subprocess.run(["sh", str(INIT_SCRIPT)], env=env, check=True, timeout=60,
                           capture_output=True)
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


# The roles' passwords, as the test gives them to the init script.
PASSWORDS = {"gerbang_owner": "owner-secret", "gerbang": "app-secret", "keycloak": "kc-secret"}


def _connect(server: PostgresServer, user: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=server.host, port=server.port, user=user, dbname="gerbang",
                           password=PASSWORDS[user], autocommit=True)


def test_x4_the_application_role_cannot_rewrite_the_audit_trail(cluster: PostgresServer) -> None:
    import psycopg

    upgrade(f"postgresql+psycopg://gerbang_owner:owner-secret@{cluster.host}:{cluster.port}"
            "/gerbang")
    with _connect(cluster, "gerbang") as app:
        app.execute("INSERT INTO audit_events (occurred_at, realm, event_type, details) "
                    "VALUES (%s, 'akses', 'test.event', '{}')", (datetime.now(UTC),))
        assert app.execute("SELECT count(*) FROM audit_events").fetchone() == (1,)
        # Rows of the other tables are the application's to change.
        app.execute("INSERT INTO rate_limit_windows (bucket, window_start, hits) "
                    "VALUES ('b', 1, 1)")
        app.execute("UPDATE rate_limit_windows SET hits = 2")
        app.execute("DELETE FROM rate_limit_windows")
        for statement in ("UPDATE audit_events SET realm = 'x'", "DELETE FROM audit_events",
                          "TRUNCATE audit_events",
                          "DROP TRIGGER audit_events_no_update_delete ON audit_events",
                          "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                          "CREATE TABLE intruder (id int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
    with _connect(cluster, "gerbang_owner") as owner:
        assert owner.execute("SELECT count(*) FROM audit_events").fetchone() == (1,)
