"""narrow products.name to 20 characters, longer names left as they are

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
        batch_op.alter_column(
            "name", type_=sa.String(20), existing_type=sa.String(100), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column(
            "name", type_=sa.String(100), existing_type=sa.String(20), existing_nullable=False
        )
