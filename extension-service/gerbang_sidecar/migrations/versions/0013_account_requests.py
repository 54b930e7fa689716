"""Account requests (B11, B13): reset authenticator with its documents, profile changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = ("kind IN ('reset_authenticator', 'change_email', 'change_jabatan', "
         "'change_unit_organisasi', 'change_phone', 'change_nip')")
STATUSES = "status IN ('pending', 'approved', 'rejected', 'withdrawn')"


def upgrade() -> None:
    op.create_table(
        "account_requests",
        sa.Column("id", Id, primary_key=True),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_requests")),
        sa.CheckConstraint(KINDS, name=op.f("ck_account_requests_kind")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_account_requests_status")),
    )
    op.create_index("ix_account_requests_scope_status", "account_requests",
                    ["realm", "scope", "status"])
    op.create_index("ix_account_requests_user", "account_requests",
                    ["realm", "user_id", "status"])
    op.create_table(
        "account_request_documents",
        sa.Column("id", Id, primary_key=True),
        sa.Column("request_id", Id, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_request_documents")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["account_requests.id"], ondelete="CASCADE",
            name=op.f("fk_account_request_documents_request_id_account_requests")),
        sa.UniqueConstraint("request_id", "kind",
                            name=op.f("uq_account_request_documents_request_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("account_request_documents")
    op.drop_index("ix_account_requests_user", table_name="account_requests")
    op.drop_index("ix_account_requests_scope_status", table_name="account_requests")
    op.drop_table("account_requests")
