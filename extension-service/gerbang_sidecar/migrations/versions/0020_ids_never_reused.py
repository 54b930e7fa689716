"""Ids never handed out twice on SQLite: registrations and forgot-password requests.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

Outbox messages and audit events name a registration or a reset request by its id
(``oss_make_account:<id>``, ``password_reset:<id>:<n>``). Without AUTOINCREMENT, SQLite gives
the next row the highest id in use plus one, so once the newest row is deleted (an account
nobody activated, a rejected INSW registration, the daily purge of reset requests) its id
comes back: the new row's outbox message collided with the old, delivered one and was
dropped, and the audit trail named two registrations alike. PostgreSQL's sequences never
reuse an id; there this migration changes nothing.

SQLite cannot alter a primary key: batch mode copies each table into one declared with
AUTOINCREMENT (the sequence starts after the highest id in use). The uploaded documents of
a registration are set aside and put back: dropping the old table would delete them on a
connection with foreign keys on (the sidecar's own; the migration command's has them off).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("registrations", "password_reset_requests")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TEMPORARY TABLE documents_aside AS SELECT * FROM registration_documents")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    op.execute("INSERT INTO registration_documents SELECT * FROM documents_aside "
               "WHERE id NOT IN (SELECT id FROM registration_documents)")
    op.execute("DROP TABLE documents_aside")


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
