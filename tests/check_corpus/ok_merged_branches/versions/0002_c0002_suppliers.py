"""suppliers, written on another branch from the same parent

Revision ID: c0002
Revises: a0001
"""

import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
    )


def downgrade() -> None:
    op.drop_table("suppliers")
