"""add products.grade, a two-letter text

Revision ID: b0002
Revises: a0001
"""

import sqlalchemy as sa
from alembic import op

revision = "b0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(sa.Column("grade", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("grade")
