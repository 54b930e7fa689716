"""Initial schema: identity records, one-time codes, outbox, append-only audit trail.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Types are spelled out here rather than imported from the models, so this file keeps meaning
the same thing after the models change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_records",
        sa.Column("id", Id, primary_key=True),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("blind_index", sa.LargeBinary(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_records"),
        sa.UniqueConstraint("realm", "kind", "blind_index",
                            name="uq_identity_records_realm_kind_blind_index"),
        sa.CheckConstraint("kind IN ('nik', 'passport', 'sid', 'phone', 'email')",
                           name="ck_identity_records_kind"),
    )
    op.create_index("ix_identity_records_subject_id", "identity_records", ["subject_id"])

    op.create_table(
        "one_time_codes",
        sa.Column("id", Id, primary_key=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("destination_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("salt", sa.LargeBinary(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("resolved_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_codes"),
        sa.CheckConstraint(
            "status IN ('active', 'verified', 'superseded', 'locked', 'expired')",
            name="ck_one_time_codes_status",
        ),
    )
    op.create_index("ix_one_time_codes_lookup", "one_time_codes",
                    ["purpose", "realm", "subject", "created_at"])
    op.create_index("uq_one_time_codes_one_active", "one_time_codes",
                    ["purpose", "realm", "subject"], unique=True,
                    sqlite_where=sa.text("status = 'active'"),
                    postgresql_where=sa.text("status = 'active'"))

    op.create_table(
        "outbox_messages",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("payload_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("claimed_at", Timestamp, nullable=True),
        sa.Column("claim_expires_at", Timestamp, nullable=True),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_messages_idempotency_key"),
        sa.CheckConstraint("status IN ('pending', 'in_flight', 'sent', 'dead')",
                           name="ck_outbox_messages_status"),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_claim_token", "outbox_messages", ["claim_token"])

    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("realm", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("subject_id", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_subject", "audit_events", ["subject_id", "occurred_at"])
    _audit_append_only()


def _audit_append_only() -> None:
    """X4 in the database itself, so raw SQL and other tools cannot rewrite history either.
    Production should additionally grant the application role only INSERT and SELECT."""
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION gerbang_audit_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only'
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE "
            "ON audit_events FOR EACH ROW "
            "EXECUTE FUNCTION gerbang_audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE "
            "ON audit_events FOR EACH STATEMENT "
            "EXECUTE FUNCTION gerbang_audit_events_append_only()"
        )
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} "
                "ON audit_events BEGIN "
                "SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS gerbang_audit_events_append_only()")
    op.drop_table("audit_events")
    op.drop_table("outbox_messages")
    op.drop_table("one_time_codes")
    op.drop_table("identity_records")
