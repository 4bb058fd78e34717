"""narrow products.name to 20 characters, after cutting longer names

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
    op.execute("UPDATE products SET name = substr(name, 1, 20) WHERE length(name) > 20")
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column(
            "name", type_=sa.String(20), existing_type=sa.String(100), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column(
            "name", type_=sa.String(100), existing_type=sa.String(20), existing_nullable=False
        )
