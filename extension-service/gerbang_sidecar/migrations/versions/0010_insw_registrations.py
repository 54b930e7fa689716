"""INSW registrations (I1–I4): the organisation type, the review states, the uploaded documents,
the usernames given out.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Types are spelled out here rather than imported from the models, so this file keeps meaning
the same thing after the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TYPES_BEFORE = ("registration_type IN ('individu-lokal', 'individu-asing', 'institusi', 'ktp', "
                "'paspor')")
TYPES_AFTER = ("registration_type IN ('individu-lokal', 'individu-asing', 'institusi', 'ktp', "
               "'paspor', 'organisasi')")
STATUSES_BEFORE = "status IN ('pending_confirmation', 'activating', 'activated', 'declined')"
STATUSES_AFTER = ("status IN ('pending_confirmation', 'activating', 'activated', 'declined', "
                  "'in_review', 'rejected')")


def _checks(types: str, statuses: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new ones.
    with op.batch_alter_table("registrations", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_registrations_registration_type"), type_="check")
        batch.drop_constraint(op.f("ck_registrations_status"), type_="check")
        batch.create_check_constraint(op.f("ck_registrations_registration_type"), types)
        batch.create_check_constraint(op.f("ck_registrations_status"), statuses)


def upgrade() -> None:
    _checks(TYPES_AFTER, STATUSES_AFTER)
    op.create_table(
        "registration_documents",
        sa.Column("id", Id, primary_key=True),
        sa.Column("registration_id", Id, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_documents")),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["registrations.id"], ondelete="CASCADE",
            name=op.f("fk_registration_documents_registration_id_registrations")),
        sa.UniqueConstraint("registration_id", "kind",
                            name=op.f("uq_registration_documents_registration_id_kind")),
    )
    # sqlite_autoincrement: SQLite would otherwise reuse the highest id after a delete.
    op.create_table(
        "issued_usernames",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("registration_id", Id, nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_usernames")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_issued_usernames_registration_id")),
        sa.UniqueConstraint("username", name=op.f("uq_issued_usernames_username")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("issued_usernames")
    op.drop_table("registration_documents")
    op.execute("DELETE FROM registrations WHERE realm = 'insw'")
    _checks(TYPES_BEFORE, STATUSES_BEFORE)
