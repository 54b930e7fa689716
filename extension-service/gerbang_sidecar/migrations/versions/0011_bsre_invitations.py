"""BSrE invitations (B1): the registration type, the instansi that scopes a row, the expiry of
its emailed link, blind indexes of the invited NIK and email for the verifier's search; NIP
and NRP as identity records (one account per civil servant, B3).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES_BEFORE = ("registration_type IN ('individu-lokal', 'individu-asing', 'institusi', 'ktp', "
                "'paspor', 'organisasi')")
TYPES_AFTER = ("registration_type IN ('individu-lokal', 'individu-asing', 'institusi', 'ktp', "
               "'paspor', 'organisasi', 'undangan')")
KINDS_BEFORE = "kind IN ('nik', 'passport', 'sid', 'phone', 'email')"
KINDS_AFTER = "kind IN ('nik', 'passport', 'sid', 'phone', 'email', 'nip', 'nrp')"


# 0001 named the check "kind" through the naming convention twice; the new one carries the
# name the model gives it.
DOUBLED_NAME = "ck_identity_records_ck_identity_records_kind"


def _kinds(check: str, *, old_name: str, new_name: str) -> None:
    with op.batch_alter_table("identity_records", recreate="auto") as batch:
        batch.drop_constraint(op.f(old_name), type_="check")
        batch.create_check_constraint(op.f(new_name), check)


def upgrade() -> None:
    with op.batch_alter_table("registrations", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_registrations_registration_type"), type_="check")
        batch.create_check_constraint(op.f("ck_registrations_registration_type"), TYPES_AFTER)
        batch.add_column(sa.Column("scope", sa.String(255), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("nik_index", sa.LargeBinary(32), nullable=True))
        batch.add_column(sa.Column("email_index", sa.LargeBinary(32), nullable=True))
        batch.create_index(op.f("ix_registrations_nik_index"), ["nik_index"])
        batch.create_index(op.f("ix_registrations_email_index"), ["email_index"])
        batch.create_index("ix_registrations_realm_scope_status",
                           ["realm", "scope", "status"])
    _kinds(KINDS_AFTER, old_name=DOUBLED_NAME, new_name="ck_identity_records_kind")


def downgrade() -> None:
    op.execute("DELETE FROM identity_records WHERE kind IN ('nip', 'nrp')")
    _kinds(KINDS_BEFORE, old_name="ck_identity_records_kind", new_name=DOUBLED_NAME)
    op.execute("DELETE FROM registrations WHERE registration_type = 'undangan'")
    with op.batch_alter_table("registrations", recreate="auto") as batch:
        batch.drop_index("ix_registrations_realm_scope_status")
        batch.drop_index(op.f("ix_registrations_email_index"))
        batch.drop_index(op.f("ix_registrations_nik_index"))
        batch.drop_column("email_index")
        batch.drop_column("nik_index")
        batch.drop_column("expires_at")
        batch.drop_column("scope")
        batch.drop_constraint(op.f("ck_registrations_registration_type"), type_="check")
        batch.create_check_constraint(op.f("ck_registrations_registration_type"), TYPES_BEFORE)
