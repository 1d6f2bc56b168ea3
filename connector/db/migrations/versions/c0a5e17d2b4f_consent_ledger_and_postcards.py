"""consent ledger and postcard batches

Revision ID: c0a5e17d2b4f
Revises: a7c3e9f2d4b1
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = 'c0a5e17d2b4f'
down_revision: str | None = 'a7c3e9f2d4b1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consent_entries',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('recorded_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_consent_entries_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_consent_entries'))
    )
    with op.batch_alter_table('consent_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_entries_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_consent_entries_lookup', ['tenant_id', 'customer_id', 'channel', 'purpose', 'seq'], unique=False)

    op.create_table('postcard_batches',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('campaign', sa.String(length=200), nullable=False),
    sa.Column('send_window', sa.String(length=10), nullable=False),
    sa.Column('send_date', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('due_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('size', sa.String(length=10), nullable=False),
    sa.Column('mail_type', sa.String(length=30), nullable=False),
    sa.Column('front', sa.Text(), nullable=True),
    sa.Column('back', sa.Text(), nullable=True),
    sa.Column('from_address', sa.JSON(), nullable=True),
    sa.Column('merge_variables', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('csv', sa.Text(), nullable=True),
    sa.Column('created_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('ready_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_postcard_batches_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postcard_batches'))
    )
    with op.batch_alter_table('postcard_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcard_batches_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_postcard_batches_status_due', ['status', 'due_at'], unique=False)

    op.create_table('postcard_recipients',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=True),
    sa.Column('mail_key', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.JSON(), nullable=True),
    sa.Column('opt_out_url', sa.Text(), nullable=True),
    sa.Column('last_service_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('duplicate_of', sa.String(length=32), nullable=True),
    sa.Column('lob_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('sent_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['postcard_batches.id'], name=op.f('fk_postcard_recipients_batch_id_postcard_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_postcard_recipients_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postcard_recipients')),
    sa.UniqueConstraint('tenant_id', 'mail_key', name=op.f('uq_postcard_recipients_tenant_id_mail_key'))
    )
    with op.batch_alter_table('postcard_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcard_recipients_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_postcard_recipients_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('postcard_recipients')
    op.drop_table('postcard_batches')
    op.drop_table('consent_entries')
