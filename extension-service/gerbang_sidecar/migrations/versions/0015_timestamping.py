"""The CA's time-stamping authority (issue 12, X7): its certificate and encrypted key beside
the OCSP responder's. Nullable: a hierarchy made under 0014 gets its TSA from
``python -m gerbang_sidecar ca-init`` (or on its first signature) -- the key is made under the
KEK, which migrations never see.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("certificate_authorities",
                  sa.Column("tsa_certificate", sa.LargeBinary(), nullable=True))
    op.add_column("certificate_authorities",
                  sa.Column("tsa_key", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # SQLite drops columns only by copying the table: batch mode does that.
    with op.batch_alter_table("certificate_authorities") as batch:
        batch.drop_column("tsa_key")
        batch.drop_column("tsa_certificate")
