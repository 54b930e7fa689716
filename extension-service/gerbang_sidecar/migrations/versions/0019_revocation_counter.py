"""The revocation mark becomes one row (issue 12 item 7, found by issue 11's review): every
OCSP request and CRL read counted the revoked certificates (18 ms at 100,000); now each
revocation moves ``sync_marks['certificates:revocations']`` in its own transaction, started
here at the revoked rows' count.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text(
        "INSERT INTO sync_marks (name, value) "
        "SELECT 'certificates:revocations', count(*) FROM certificates "
        "WHERE status = 'revoked'"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM sync_marks WHERE name = 'certificates:revocations'"))
