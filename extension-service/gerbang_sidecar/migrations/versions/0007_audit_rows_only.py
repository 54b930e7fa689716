"""The audit trail's rows may be added and read by the application, never changed (X4).

On PostgreSQL the application role gets its table rights from the owner's default
privileges (deploy/postgres/10-gerbang.sh), UPDATE and DELETE on audit_events included; this
takes them away from every role but the owner, so only the owner (migrations) could touch the
table or its triggers. SQLite has no roles: nothing to do there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVOKE = """
DO $$
DECLARE grantee_name text;
BEGIN
  FOR grantee_name IN
    SELECT DISTINCT grantee FROM information_schema.role_table_grants
    WHERE table_name = 'audit_events'
      AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
      AND grantee <> current_user
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', grantee_name);
  END LOOP;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REVOKE)


def downgrade() -> None:
    """Rights taken away are not handed back: grant them by hand if ever needed."""
