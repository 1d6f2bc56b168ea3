"""job forms per tenant and job type, on-site job captures

Revision ID: 3f8d2a6b1c7e
Revises: 5e2b7c1d9a04
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '3f8d2a6b1c7e'
down_revision: str | None = '5e2b7c1d9a04'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_forms',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('job_type', sa.String(length=60), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('signature_required', sa.Boolean(), nullable=False),
    sa.Column('updated_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by_run_id', sa.String(length=32), nullable=True),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_job_forms_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_forms')),
    sa.UniqueConstraint('tenant_id', 'job_type', name=op.f('uq_job_forms_tenant_id_job_type'))
    )
    op.create_index(op.f('ix_job_forms_tenant_id'), 'job_forms', ['tenant_id'], unique=False)
    op.create_table('job_captures',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('job_type', sa.String(length=60), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('arrived_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('departed_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('minutes_on_site', sa.Integer(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=True),
    sa.Column('visit', sa.JSON(), nullable=True),
    sa.Column('recorded_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('superseded_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('superseded_by', sa.String(length=32), nullable=True),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_captures_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_job_captures_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_captures')),
    sa.UniqueConstraint('tenant_id', 'job_id', 'idempotency_key', name=op.f('uq_job_captures_tenant_id_job_id_idempotency_key')),
    sa.UniqueConstraint('tenant_id', 'job_id', 'revision', name=op.f('uq_job_captures_tenant_id_job_id_revision'))
    )
    op.create_index(op.f('ix_job_captures_job_id'), 'job_captures', ['job_id'], unique=False)
    op.create_index(op.f('ix_job_captures_tenant_id'), 'job_captures', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_job_captures_tenant_id'), table_name='job_captures')
    op.drop_index(op.f('ix_job_captures_job_id'), table_name='job_captures')
    op.drop_table('job_captures')
    op.drop_index(op.f('ix_job_forms_tenant_id'), table_name='job_forms')
    op.drop_table('job_forms')
