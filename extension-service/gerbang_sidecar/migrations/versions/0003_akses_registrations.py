"""Pending AKSes registrations between "Selanjutnya" and the account (A5, C2).

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03

Types are spelled out here rather than imported from the models, so this file keeps meaning
the same thing after the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "akses_registrations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("registration_type", sa.String(16), nullable=False),
        sa.Column("data_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=True),
        sa.Column("activated_at", Timestamp, nullable=True),
        sa.Column("keycloak_user_id", sa.String(64), nullable=True),
        sa.Column("activation_email_sent_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_akses_registrations"),
        sa.UniqueConstraint("token_hash", name="uq_akses_registrations_token_hash"),
        sa.CheckConstraint(
            "registration_type IN ('individu-lokal', 'individu-asing', 'institusi')",
            name="ck_akses_registrations_registration_type",
        ),
        sa.CheckConstraint(
            "status IN ('pending_confirmation', 'activating', 'activated')",
            name="ck_akses_registrations_status",
        ),
    )
    op.create_index("ix_akses_registrations_status_created_at", "akses_registrations",
                    ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_akses_registrations_status_created_at",
                  table_name="akses_registrations")
    op.drop_table("akses_registrations")
