"""Certificates (issue 12): the CA hierarchy, subscriber certificates, requests.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "certificate_authorities",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("root_certificate", sa.LargeBinary(), nullable=False),
        sa.Column("root_key", sa.LargeBinary(), nullable=False),
        sa.Column("issuing_certificate", sa.LargeBinary(), nullable=False),
        sa.Column("issuing_key", sa.LargeBinary(), nullable=False),
        sa.Column("responder_certificate", sa.LargeBinary(), nullable=False),
        sa.Column("responder_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_authorities")),
        sa.UniqueConstraint("name", name=op.f("uq_certificate_authorities_name")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", Id, primary_key=True),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("serial_number", sa.String(64), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("common_name", sa.String(255), nullable=False),
        sa.Column("enroll_method", sa.String(32), nullable=False),
        sa.Column("note", sa.String(255), nullable=False),
        sa.Column("not_before", Moment, nullable=False),
        sa.Column("not_after", Moment, nullable=False),
        sa.Column("certificate_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("pkcs12_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("revoked_at", Moment, nullable=True),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
        sa.Column("failed_passphrases", sa.Integer(), nullable=False),
        sa.Column("reminded_at", Moment, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("serial_number", name=op.f("uq_certificates_serial_number")),
        sa.CheckConstraint("status IN ('issued', 'renewed', 'revoked', 'expired')",
                           name=op.f("ck_certificates_status")),
    )
    op.create_index("ix_certificates_user", "certificates", ["realm", "user_id"])
    op.create_table(
        "certificate_requests",
        sa.Column("id", Id, primary_key=True),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("verification", sa.String(16), nullable=False),
        sa.Column("enrollment", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(255), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("link_expires_at", Moment, nullable=True),
        sa.Column("selfie_checked_at", Moment, nullable=True),
        sa.Column("certificate_id", Id, nullable=True),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_certificate_requests_token_hash")),
        sa.CheckConstraint("kind IN ('issue', 'renew', 'revoke', 'reset')",
                           name=op.f("ck_certificate_requests_kind")),
    )
    op.create_index("ix_certificate_requests_user", "certificate_requests", ["realm", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_certificate_requests_user", table_name="certificate_requests")
    op.drop_table("certificate_requests")
    op.drop_index("ix_certificates_user", table_name="certificates")
    op.drop_table("certificates")
    op.drop_table("certificate_authorities")
