"""add products.sku, then a statement that fails on any database

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
        batch_op.add_column(sa.Column("sku", sa.String(length=40), nullable=True))
    op.execute("UPDATE no_such_table SET x = 1")


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("sku")
