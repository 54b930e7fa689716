"""Rule 4 on the machine itself: the throw-away PostgreSQL clusters (tests, benchmarks,
``make run PROFILE=production``) listen on a loopback port every local user can reach, so
no connection gets in without the superuser's password."""

from __future__ import annotations

import pytest

from gerbang_ops.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def test_issue11_a_connection_without_the_password_is_refused(
        postgres_server: PostgresServer) -> None:
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host=postgres_server.host, port=postgres_server.port,
                        user=postgres_server.user, dbname="postgres", connect_timeout=10)
    with psycopg.connect(host=postgres_server.host, port=postgres_server.port,
                         user=postgres_server.user, password=postgres_server.password,
                         dbname="postgres", connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
