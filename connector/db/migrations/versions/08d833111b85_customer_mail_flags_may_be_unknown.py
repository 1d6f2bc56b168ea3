"""customer mail flags may be unknown

Revision ID: 08d833111b85
Revises: e4d2a9f61c3b
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '08d833111b85'
down_revision: str | None = 'e4d2a9f61c3b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('mail_consent_marketing',
               existing_type=sa.BOOLEAN(),
               nullable=True)
        batch_op.alter_column('mail_consent_operational',
               existing_type=sa.BOOLEAN(),
               nullable=True)


def downgrade() -> None:
    # The old defaults, for flags nobody set.
    op.execute("UPDATE customers SET mail_consent_marketing = false WHERE mail_consent_marketing IS NULL")
    op.execute("UPDATE customers SET mail_consent_operational = true WHERE mail_consent_operational IS NULL")
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('mail_consent_operational',
               existing_type=sa.BOOLEAN(),
               nullable=False)
        batch_op.alter_column('mail_consent_marketing',
               existing_type=sa.BOOLEAN(),
               nullable=False)
