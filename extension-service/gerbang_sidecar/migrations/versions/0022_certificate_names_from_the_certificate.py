"""The holder's name is read from the encrypted certificate, no longer kept beside it (X3).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

``certificates.common_name`` held an eSign holder's name in the clear next to the encrypted
DER whose subject carries the same name: a plain copy of personal data in rows that are kept
after the account is gone. The name now comes from the certificate itself.

Upgrading: the previous release reads and writes the column, so its processes fail on
certificate pages from this migration until they are replaced -- roll the sidecars right
after the migration Job (as compose and the Kubernetes init containers order it).
Downgrading adds the column back empty (filling it needs the encryption key, which migrations
never hold): the older code would list certificates without a name and sign with an empty
signer name. Do not downgrade past this revision once certificates are issued; restore the
database from before the upgrade instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("common_name")


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("common_name", sa.String(255), nullable=False,
                                   server_default=""))
