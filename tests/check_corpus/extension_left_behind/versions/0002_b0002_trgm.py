"""pg_trgm on PostgreSQL for fuzzy search; the downgrade forgets the extension

Revision ID: b0002
Revises: a0001
"""

from alembic import op

revision = "b0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def downgrade() -> None:
    pass
