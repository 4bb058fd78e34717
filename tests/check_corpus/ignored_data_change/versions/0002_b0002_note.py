"""add note; empty tags on purpose (accepted with an ignore comment)

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
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    # Tags are rebuilt by the application on start: emptying them is intended.
    op.execute("DELETE FROM tags")  # workbench: ignore[WB221]


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("note")
