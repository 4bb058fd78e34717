"""merge the two branches

Revision ID: m0003
Revises: b0002, c0002
"""

revision = "m0003"
down_revision = ("b0002", "c0002")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
