"""Forgot password (A7, X1): requests waiting for the worker, and single-use SMS links.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04

Types are spelled out here rather than imported from the models, so this file keeps meaning
the same thing after the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "password_reset_requests",
        sa.Column("id", Id, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("identifier_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_sent_at", Timestamp, nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_password_reset_requests"),
        sa.UniqueConstraint("token_hash", name="uq_password_reset_requests_token_hash"),
        sa.CheckConstraint("channel IN ('email', 'sms')",
                           name="ck_password_reset_requests_channel"),
    )
    op.create_index("ix_password_reset_requests_created_at", "password_reset_requests",
                    ["created_at"])
    op.create_table(
        "password_reset_links",
        sa.Column("id", Id, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_password_reset_links"),
        sa.UniqueConstraint("token_hash", name="uq_password_reset_links_token_hash"),
    )
    op.create_index("ix_password_reset_links_user", "password_reset_links",
                    ["realm", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_password_reset_links_user", table_name="password_reset_links")
    op.drop_table("password_reset_links")
    op.drop_index("ix_password_reset_requests_created_at", table_name="password_reset_requests")
    op.drop_table("password_reset_requests")
