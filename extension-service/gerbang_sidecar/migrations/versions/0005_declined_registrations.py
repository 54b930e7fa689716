"""AKSes registrations may end ``declined`` (X1): an identifier already had an account.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "status IN ('pending_confirmation', 'activating', 'activated')"
AFTER = "status IN ('pending_confirmation', 'activating', 'activated', 'declined')"


# 0003 named its checks in full and the naming convention prefixed them once more; the new
# check gets the name the models give it. op.f() keeps a name from being prefixed again.
OLD_NAME = "ck_akses_registrations_ck_akses_registrations_status"
NEW_NAME = "ck_akses_registrations_status"


def _status_check(drop: str, create: str, condition: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("akses_registrations", recreate="auto") as batch:
        batch.drop_constraint(op.f(drop), type_="check")
        batch.create_check_constraint(op.f(create), condition)


def upgrade() -> None:
    _status_check(OLD_NAME, NEW_NAME, AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM akses_registrations WHERE status = 'declined'")
    _status_check(NEW_NAME, OLD_NAME, BEFORE)
