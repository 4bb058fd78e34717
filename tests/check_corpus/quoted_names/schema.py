"""Head: the shop, and a table named it's."""

import sqlalchemy as sa

from tests.check_corpus.shop import shop

metadata = shop()
sa.Table(
    "it's",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(30), nullable=False, server_default="a'b"),
)
