"""signed decisions: code approvals and review votes carry their signatures

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-08 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed', sa.JSON(), nullable=True))
    with op.batch_alter_table('code_approvals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('code_approvals', schema=None) as batch_op:
        batch_op.drop_column('signed')
    with op.batch_alter_table('review_votes', schema=None) as batch_op:
        batch_op.drop_column('signed')
