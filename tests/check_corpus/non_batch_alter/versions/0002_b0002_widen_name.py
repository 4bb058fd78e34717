"""widen products.name, outside batch mode (SQLite cannot)

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
    op.alter_column(
        "products", "name", type_=sa.String(200), existing_type=sa.String(100), existing_nullable=False
    )


def downgrade() -> None:
    op.alter_column(
        "products", "name", type_=sa.String(100), existing_type=sa.String(200), existing_nullable=False
    )
