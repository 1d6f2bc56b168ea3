"""rule trigger thresholds per tenant

Revision ID: 9bb1f38c5e1b
Revises: 97d9d4dee42d
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '9bb1f38c5e1b'
down_revision: str | None = '97d9d4dee42d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rule_settings',
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('invoice_unsent_hours', sa.Integer(), nullable=False),
    sa.Column('arrival_grace_minutes', sa.Integer(), nullable=False),
    sa.Column('sla_p1_hours', sa.Integer(), nullable=False),
    sa.Column('sla_p2_hours', sa.Integer(), nullable=False),
    sa.Column('sla_p3_hours', sa.Integer(), nullable=False),
    sa.Column('sla_warning_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_rule_settings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_rule_settings'))
    )


def downgrade() -> None:
    op.drop_table('rule_settings')
