"""The outbox records when a claimed message was handed to its handler (issue 11 item 2):
a worker killed mid-batch leaves messages it claimed but never started, which are safe to
deliver again; only the one it was delivering has an unknown outcome.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_messages",
                  sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_messages", "handed_over_at")
