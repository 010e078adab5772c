"""the leakage ledger: released groups, PSI sizes and privacy spends per contract

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sealroom.store.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('leakage_ledger',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contract_id', sa.String(length=64), nullable=False),
    sa.Column('contract_version', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.String(length=32), nullable=False),
    sa.Column('released_at', sealroom.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('entry', sa.String(length=16), nullable=False),
    sa.Column('file', sa.String(length=255), nullable=False),
    sa.Column('key', sa.JSON(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=True),
    sa.Column('statistics', sa.JSON(), nullable=False),
    sa.Column('noised', sa.Boolean(), nullable=False),
    sa.Column('epsilon', sa.Float(), nullable=True),
    sa.Column('delta', sa.Float(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leakage_ledger'))
    )
    with op.batch_alter_table('leakage_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leakage_ledger_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leakage_ledger_release_id'), ['release_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leakage_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leakage_ledger_release_id'))
        batch_op.drop_index(batch_op.f('ix_leakage_ledger_contract_id'))

    op.drop_table('leakage_ledger')
