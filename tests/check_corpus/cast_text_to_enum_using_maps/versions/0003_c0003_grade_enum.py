"""products.grade becomes the enum grade; the USING maps other grades to NULL (PostgreSQL only)

Revision ID: c0003
Revises: b0002
"""

import sqlalchemy as sa
from alembic import op
import workbench.ops  # noqa: F401

revision = "c0003"
down_revision = "b0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_enum_type("grade", ["A", "B", "C"])
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column(
            "grade",
            type_=sa.Enum("A", "B", "C", name="grade"),
            existing_type=sa.String(length=2),
            existing_nullable=True,
            postgresql_using="CASE WHEN grade IN ('A', 'B', 'C') THEN grade::grade END",
        )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column(
            "grade",
            type_=sa.String(length=2),
            existing_type=sa.Enum("A", "B", "C", name="grade"),
            existing_nullable=True,
        )
    op.drop_enum_type("grade", ["A", "B", "C"])
