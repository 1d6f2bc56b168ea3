"""full rate card: labour by skill and time band, business hours, price book, taxable kinds

Revision ID: 5e2b7c1d9a04
Revises: 9bb1f38c5e1b
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '5e2b7c1d9a04'
down_revision: str | None = '9bb1f38c5e1b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing cards get the defaults the model gives new ones (no surcharge, Mon-Fri 08:00-17:00).
COLUMNS = (
    ('skill_rates', sa.JSON(), sa.text("'{}'")),
    ('after_hours_multiplier', connector.db.base.ExactDecimal(6, 3), sa.text("'1'")),
    ('emergency_multiplier', connector.db.base.ExactDecimal(6, 3), sa.text("'1'")),
    ('business_days', sa.JSON(), sa.text("'[1, 2, 3, 4, 5]'")),
    ('business_start', sa.Time(), sa.text("'08:00:00'")),
    ('business_end', sa.Time(), sa.text("'17:00:00'")),
    ('flat_rate_items', sa.JSON(), sa.text("'{}'")),
    ('labour_taxable', sa.Boolean(), sa.text("true")),
    ('trip_taxable', sa.Boolean(), sa.text("true")),
    ('parts_taxable', sa.Boolean(), sa.text("true")),
)


def upgrade() -> None:
    for name, type_, default in COLUMNS:
        op.add_column('rate_cards', sa.Column(name, type_, nullable=False, server_default=default))


def downgrade() -> None:
    with op.batch_alter_table('rate_cards') as batch:
        for name, _type, _default in reversed(COLUMNS):
            batch.drop_column(name)
