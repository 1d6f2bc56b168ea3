"""pending marketplace installs

Revision ID: 97d9d4dee42d
Revises: 7b15ebdb6d11
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.base


revision: str = '97d9d4dee42d'
down_revision: str | None = '7b15ebdb6d11'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pending_installs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=100), nullable=False),
    sa.Column('account_name', sa.String(length=200), nullable=False),
    sa.Column('token_encrypted', sa.Text(), nullable=False),
    sa.Column('created_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', connector.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_installs'))
    )


def downgrade() -> None:
    op.drop_table('pending_installs')
