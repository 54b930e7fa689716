"""The CRL's and OCSP's lookups by status (issue 12, X6): every call of ``crl()`` reads how
many certificates are revoked and the latest revocation time; with this index that is an
index range, not a scan of every certificate (192 ms at 100,000 revoked, measured).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_certificates_status_revoked", "certificates",
                    ["status", "revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_certificates_status_revoked", table_name="certificates")
