"""productstatus gains archived, by PostgreSQL's ALTER TYPE (SQLite stores a VARCHAR)

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
        op.execute("ALTER TYPE productstatus ADD VALUE 'archived'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum member; the value stays (a true WB205 there).
    pass
