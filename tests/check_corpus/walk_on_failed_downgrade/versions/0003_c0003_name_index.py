"""index products.name; the downgrade forgets it

Revision ID: c0003
Revises: b0002
"""

import sqlalchemy as sa
from alembic import op

revision = "c0003"
down_revision = "b0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.create_index("ix_products_name", ["name"], unique=False)


def downgrade() -> None:
    pass
