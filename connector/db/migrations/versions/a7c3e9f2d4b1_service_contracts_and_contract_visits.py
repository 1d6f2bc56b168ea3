"""recurring service contracts and the visits generated from them

Revision ID: a7c3e9f2d4b1
Revises: 6c57ff84107e
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = 'a7c3e9f2d4b1'
down_revision: str | None = '6c57ff84107e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_contracts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('service', sa.String(length=60), nullable=False),
    sa.Column('rrule', sa.String(length=300), nullable=False),
    sa.Column('window_start', sa.Time(), nullable=False),
    sa.Column('window_end', sa.Time(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('price', connector.db.base.ExactDecimal(precision=12, scale=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_completed_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_contracts_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_service_contracts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_contracts')),
    sa.UniqueConstraint('tenant_id', 'customer_id', 'service', name=op.f('uq_service_contracts_tenant_id_customer_id_service'))
    )
    op.create_index(op.f('ix_service_contracts_customer_id'), 'service_contracts', ['customer_id'], unique=False)
    op.create_index(op.f('ix_service_contracts_tenant_id'), 'service_contracts', ['tenant_id'], unique=False)
    op.create_table('contract_visits',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('contract_id', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('occurs_on', sa.Date(), nullable=False),
    sa.Column('price', connector.db.base.ExactDecimal(precision=12, scale=2), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('dropped_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['service_contracts.id'], name=op.f('fk_contract_visits_contract_id_service_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_contract_visits_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_contract_visits_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_visits')),
    sa.UniqueConstraint('job_id', name=op.f('uq_contract_visits_job_id')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'occurs_on', name=op.f('uq_contract_visits_tenant_id_contract_id_occurs_on'))
    )
    op.create_index(op.f('ix_contract_visits_contract_id'), 'contract_visits', ['contract_id'], unique=False)
    op.create_index(op.f('ix_contract_visits_tenant_id'), 'contract_visits', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_contract_visits_tenant_id'), table_name='contract_visits')
    op.drop_index(op.f('ix_contract_visits_contract_id'), table_name='contract_visits')
    op.drop_table('contract_visits')
    op.drop_index(op.f('ix_service_contracts_tenant_id'), table_name='service_contracts')
    op.drop_index(op.f('ix_service_contracts_customer_id'), table_name='service_contracts')
    op.drop_table('service_contracts')
