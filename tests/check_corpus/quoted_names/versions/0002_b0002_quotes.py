"""a table named it's, with a serial key and a default that holds a quote

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
    op.create_table(
        "it's",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=30), server_default="a'b", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_it's")),
    )


def downgrade() -> None:
    op.drop_table("it's")
