"""contract key grants: a dataset's data key wrapped under one contract's KEK

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-08 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sealroom.store.base

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'contract_key_grants',
        sa.Column('kek_id', sa.String(length=64), nullable=False),
        sa.Column('data_key_id', sa.String(length=64), nullable=False),
        sa.Column('contract_id', sa.String(length=64), nullable=False),
        sa.Column('contract_version', sa.Integer(), nullable=False),
        sa.Column('algorithm', sa.String(length=16), nullable=False),
        sa.Column('wrapped', sa.LargeBinary(), nullable=False),
        sa.Column('context', sa.String(length=300), nullable=False),
        sa.Column('created_at', sealroom.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['data_key_id'],
            ['data_keys.key_id'],
            name=op.f('fk_contract_key_grants_data_key_id_data_keys'),
        ),
        sa.PrimaryKeyConstraint('kek_id', 'data_key_id', name=op.f('pk_contract_key_grants')),
    )
    with op.batch_alter_table('contract_key_grants', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_contract_key_grants_contract_id'), ['contract_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('contract_key_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_key_grants_contract_id'))
    op.drop_table('contract_key_grants')
