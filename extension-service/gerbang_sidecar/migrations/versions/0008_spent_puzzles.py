"""Captcha puzzles used once (O2, O3): a replayed solution is refused.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Types are spelled out here rather than imported from the models, so this file keeps meaning
the same thing after the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spent_puzzles",
        sa.Column("puzzle_id", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("puzzle_id", name=op.f("pk_spent_puzzles")),
    )
    op.create_index("ix_spent_puzzles_expires_at", "spent_puzzles", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_spent_puzzles_expires_at", table_name="spent_puzzles")
    op.drop_table("spent_puzzles")
