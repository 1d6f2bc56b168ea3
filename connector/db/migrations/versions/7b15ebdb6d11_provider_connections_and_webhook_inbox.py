"""provider connections and webhook inbox

Revision ID: 7b15ebdb6d11
Revises: 007632084d5a
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '7b15ebdb6d11'
down_revision: str | None = '007632084d5a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_inbox',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('install_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=80), nullable=False),
    sa.Column('item_id', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('received_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('processed_at', connector.db.base.UTCDateTime(), nullable=True),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['install_id'], ['installs.id'], name=op.f('fk_webhook_inbox_install_id_installs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_webhook_inbox_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox')),
    sa.UniqueConstraint('install_id', 'dedupe_key', name=op.f('uq_webhook_inbox_install_id_dedupe_key'))
    )
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_inbox_status', ['status', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_inbox_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('installs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('access_token_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('refresh_token_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('credentials_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('access_expires_at', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('refresh_expires_at', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('token_refreshed_at', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('sync_cursor', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_sync_at', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_sync_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('last_webhook_at', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('uninstalled_at', connector.db.base.UTCDateTime(), nullable=True))
        batch_op.alter_column('webhook_secret_encrypted',
               existing_type=sa.TEXT(),
               nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('installs', schema=None) as batch_op:
        batch_op.alter_column('webhook_secret_encrypted',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('uninstalled_at')
        batch_op.drop_column('last_webhook_at')
        batch_op.drop_column('last_sync_error')
        batch_op.drop_column('last_sync_at')
        batch_op.drop_column('sync_cursor')
        batch_op.drop_column('token_version')
        batch_op.drop_column('token_refreshed_at')
        batch_op.drop_column('refresh_expires_at')
        batch_op.drop_column('access_expires_at')
        batch_op.drop_column('credentials_encrypted')
        batch_op.drop_column('refresh_token_encrypted')
        batch_op.drop_column('access_token_encrypted')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('account_name')

    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_inbox_tenant_id'))
        batch_op.drop_index('ix_webhook_inbox_status')

    op.drop_table('webhook_inbox')
