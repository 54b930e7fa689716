"""When housekeeping looks again at an unactivated account it spared (X10).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

The sweep of accounts nobody activated spares one whose owner asked for a password link that
day; it read each registration once, so a spared account was kept for good, and asking a
link on the thirteenth day (anyone who knows the email may) kept an account made for a
stranger's address for ever. ``look_again_at`` names when the sweep looks at it again,
``spare_ends_at`` until when links asked meanwhile may spare it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("registrations", sa.Column("look_again_at", sa.DateTime(timezone=True),
                                             nullable=True))
    op.add_column("registrations", sa.Column("spare_ends_at", sa.DateTime(timezone=True),
                                             nullable=True))
    op.create_index("ix_registrations_look_again_at", "registrations", ["look_again_at"])


def downgrade() -> None:
    op.drop_index("ix_registrations_look_again_at", table_name="registrations")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("look_again_at")
        batch.drop_column("spare_ends_at")
