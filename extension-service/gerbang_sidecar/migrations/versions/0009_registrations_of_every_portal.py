"""AKSes's registrations table becomes every portal's: ``registrations`` with a ``realm``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

OSS registers on the same mechanism as AKSes (pending row, accepted, the account made by the
outbox worker), so the table loses its portal's name and gains the realm; the OSS identity
types join the allowed registration types. A new table is made and the rows copied with their
ids (outbox messages name registrations by id), which works alike on SQLite and PostgreSQL.
The encrypted data keep their associated data ("akses_registrations.data", see the model),
so no row needs re-encrypting.

Types are spelled out here rather than imported from the models, so this file keeps meaning
the same thing after the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
STATUSES = "status IN ('pending_confirmation', 'activating', 'activated', 'declined')"
AKSES_TYPES = "registration_type IN ('individu-lokal', 'individu-asing', 'institusi')"
ALL_TYPES = ("registration_type IN ('individu-lokal', 'individu-asing', 'institusi', 'ktp', "
             "'paspor')")
COLUMNS = ("id, token_hash, registration_type, data_encrypted, locale, status, created_at, "
           "claimed_at, activated_at, keycloak_user_id, activation_email_sent_at")


def _table(name: str, types: str, *, with_realm: bool) -> None:
    realm = [sa.Column("realm", sa.String(32), nullable=False)] if with_realm else []
    op.create_table(
        name,
        sa.Column("id", Id, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        *realm,
        sa.Column("registration_type", sa.String(16), nullable=False),
        sa.Column("data_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=True),
        sa.Column("activated_at", Timestamp, nullable=True),
        sa.Column("keycloak_user_id", sa.String(64), nullable=True),
        sa.Column("activation_email_sent_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
        sa.CheckConstraint(types, name=op.f(f"ck_{name}_registration_type")),
        sa.CheckConstraint(STATUSES, name=op.f(f"ck_{name}_status")),
    )
    op.create_index(f"ix_{name}_status_created_at", name, ["status", "created_at"])


# The statements below are built from this file's constants only (table and column names
# cannot be bound parameters), hence the S608 exemptions.


def _restart_ids(name: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                   f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)")


def upgrade() -> None:
    _table("registrations", ALL_TYPES, with_realm=True)
    op.execute(f"INSERT INTO registrations ({COLUMNS}, realm) "  # noqa: S608
               f"SELECT {COLUMNS}, 'akses' FROM akses_registrations")
    _restart_ids("registrations")
    op.drop_index("ix_akses_registrations_status_created_at", table_name="akses_registrations")
    op.drop_table("akses_registrations")


def downgrade() -> None:
    _table("akses_registrations", AKSES_TYPES, with_realm=False)
    op.execute(f"INSERT INTO akses_registrations ({COLUMNS}) "  # noqa: S608
               f"SELECT {COLUMNS} FROM registrations WHERE realm = 'akses'")
    _restart_ids("akses_registrations")
    op.drop_index("ix_registrations_status_created_at", table_name="registrations")
    op.drop_table("registrations")
