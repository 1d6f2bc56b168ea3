"""truck stock levels, stock orders (one open per truck and SKU) and job usages

Revision ID: 6c57ff84107e
Revises: 3f8d2a6b1c7e
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '6c57ff84107e'
down_revision: str | None = '3f8d2a6b1c7e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('truck_stock_levels',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('technician_id', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('on_hand', connector.db.base.ExactDecimal(precision=12, scale=3), nullable=False),
    sa.Column('min_quantity', connector.db.base.ExactDecimal(precision=12, scale=3), nullable=False),
    sa.Column('max_quantity', connector.db.base.ExactDecimal(precision=12, scale=3), nullable=False),
    sa.Column('unit_cost', connector.db.base.ExactDecimal(precision=12, scale=4), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_truck_stock_levels_technician_id_technicians'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_truck_stock_levels_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_truck_stock_levels')),
    sa.UniqueConstraint('tenant_id', 'technician_id', 'sku', name=op.f('uq_truck_stock_levels_tenant_id_technician_id_sku'))
    )
    op.create_index(op.f('ix_truck_stock_levels_technician_id'), 'truck_stock_levels', ['technician_id'], unique=False)
    op.create_index(op.f('ix_truck_stock_levels_tenant_id'), 'truck_stock_levels', ['tenant_id'], unique=False)
    op.create_table('stock_orders',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('technician_id', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('quantity', connector.db.base.ExactDecimal(precision=12, scale=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('open_key', sa.String(length=100), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=True),
    sa.Column('remote_id', sa.String(length=100), nullable=True),
    sa.Column('remote_number', sa.String(length=40), nullable=True),
    sa.Column('vendor', sa.String(length=200), nullable=True),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('closed_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('received_quantity', connector.db.base.ExactDecimal(precision=12, scale=3), nullable=True),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_stock_orders_technician_id_technicians'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stock_orders_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_orders')),
    # open_key is NULL once the order is closed (NULLs never collide): one OPEN order per truck+SKU.
    sa.UniqueConstraint('tenant_id', 'open_key', name=op.f('uq_stock_orders_tenant_id_open_key')),
    sa.UniqueConstraint('tenant_id', 'request_id', name=op.f('uq_stock_orders_tenant_id_request_id'))
    )
    op.create_index(op.f('ix_stock_orders_technician_id'), 'stock_orders', ['technician_id'], unique=False)
    op.create_index(op.f('ix_stock_orders_tenant_id'), 'stock_orders', ['tenant_id'], unique=False)
    op.create_index('ix_stock_orders_tenant_technician_sku', 'stock_orders', ['tenant_id', 'technician_id', 'sku'], unique=False)
    op.create_table('stock_job_usages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('technician_id', sa.String(length=32), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_stock_job_usages_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_stock_job_usages_technician_id_technicians'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stock_job_usages_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_job_usages')),
    sa.UniqueConstraint('tenant_id', 'job_id', name=op.f('uq_stock_job_usages_tenant_id_job_id'))
    )
    op.create_index(op.f('ix_stock_job_usages_tenant_id'), 'stock_job_usages', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_stock_job_usages_tenant_id'), table_name='stock_job_usages')
    op.drop_table('stock_job_usages')
    op.drop_index('ix_stock_orders_tenant_technician_sku', table_name='stock_orders')
    op.drop_index(op.f('ix_stock_orders_tenant_id'), table_name='stock_orders')
    op.drop_index(op.f('ix_stock_orders_technician_id'), table_name='stock_orders')
    op.drop_table('stock_orders')
    op.drop_index(op.f('ix_truck_stock_levels_tenant_id'), table_name='truck_stock_levels')
    op.drop_index(op.f('ix_truck_stock_levels_technician_id'), table_name='truck_stock_levels')
    op.drop_table('truck_stock_levels')
