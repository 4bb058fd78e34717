"""rename products.description to details and tags to labels, in place

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
        batch_op.alter_column("description", new_column_name="details", existing_type=sa.Text())
    op.rename_table("tags", "labels")


def downgrade() -> None:
    op.rename_table("labels", "tags")
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column("details", new_column_name="description", existing_type=sa.Text())
