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
AUTOINCREMENT. Its sequence would start after the highest id still in the table -- and the
ids deleted before this migration are exactly the ones outbox keys and audit events still
name -- so it starts after the highest id any of them names. The uploaded documents of a
registration are set aside and put back: dropping the old table would delete them on a
connection with foreign keys on (the sidecar's own; the migration command's has them off).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("registrations", "password_reset_requests")
# The outbox keys that name each table's ids (services/*: ``idempotency_key=f"..."``).
NAMED_IN_OUTBOX = {
    "registrations": re.compile(r"^(?:[a-z]+_make_account|[a-z]+_activation_email|"
                                r"insw_registration_rejected|bsre_activation_rejected|"
                                r"bsre_activation_link):(\d+)(?::|$)"),
    "password_reset_requests": re.compile(r"^password_reset:(\d+):"),
}


def _highest_id_named(table: str) -> int:
    bind = op.get_bind()

    def scalar(query: str) -> int:
        return int(bind.execute(sa.text(query)).scalar_one())

    keys = bind.execute(sa.text("SELECT idempotency_key FROM outbox_messages")).scalars()
    named = [int(found.group(1)) for found in map(NAMED_IN_OUTBOX[table].match, keys) if found]
    highest = [scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}"), *named]  # noqa: S608
    if table == "registrations":  # audit events and INSW usernames name registrations too
        highest += [scalar("SELECT COALESCE(MAX(CAST(json_extract(details, "
                           "'$.registration_id') AS INTEGER)), 0) FROM audit_events"),
                    scalar("SELECT COALESCE(MAX(registration_id), 0) FROM issued_usernames")]
    return max(highest)


def _continue_after(table: str, highest: int) -> None:
    op.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t").bindparams(t=table))
    op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)")
               .bindparams(t=table, n=highest))


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TEMPORARY TABLE documents_aside AS SELECT * FROM registration_documents")
    for table in TABLES:
        highest = _highest_id_named(table) if autoincrement else 0
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
        if autoincrement:
            _continue_after(table, highest)
    op.execute("INSERT INTO registration_documents SELECT * FROM documents_aside "
               "WHERE id NOT IN (SELECT id FROM registration_documents)")
    op.execute("DROP TABLE documents_aside")


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
