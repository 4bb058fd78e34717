"""The models every corpus case starts from, with the few features the cases change.

A case's ``schema.py`` is one call, ``metadata = shop(...)``, naming what its
head differs in from the shop of ``_base/`` (one revision, ``a0001``).
"""

from __future__ import annotations

import sqlalchemy as sa

from workbench.loader import DEFAULT_NAMING_CONVENTION


def shop(
    *,
    statuses: tuple[str, ...] = ("draft", "active"),
    price_check: bool = True,
    in_stock_default: bool = True,
    name_length: int = 100,
    name_index: bool = False,
    description_column: str = "description",
    sku: str | None = None,
    note: bool = False,
    tags_table: str = "tags",
    reviews: bool = False,
    suppliers: bool = False,
    grade: str | None = None,
) -> sa.MetaData:
    """The shop's MetaData: categories, products (in a category) and tags."""
    metadata = sa.MetaData(naming_convention=DEFAULT_NAMING_CONVENTION)
    sa.Table(
        "categories",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, unique=True),
    )
    products = sa.Table(
        "products",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("category_id", sa.ForeignKey("categories.id"), nullable=False),
        sa.Column("name", sa.String(name_length), nullable=False, index=name_index),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("status", sa.Enum(*statuses, name="productstatus"), nullable=False),
        sa.Column(description_column, sa.Text, nullable=True),
        sa.Column(
            "in_stock",
            sa.Boolean,
            nullable=False,
            server_default=sa.true() if in_stock_default else None,
        ),
    )
    if price_check:
        products.append_constraint(sa.CheckConstraint("price >= 0", name="price_nonnegative"))
    if sku is not None:
        products.append_column(sa.Column("sku", sa.String(40), nullable=sku == "nullable"))
    if note:
        products.append_column(sa.Column("note", sa.Text, nullable=True))
    if grade is not None:
        grade_type = sa.Enum("A", "B", "C", name="grade") if grade == "enum" else sa.String(2)
        products.append_column(sa.Column("grade", grade_type, nullable=True))
    sa.Table(
        tags_table,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(30), nullable=False),
    )
    if reviews:
        sa.Table(
            "reviews",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("product_id", sa.ForeignKey("products.id"), nullable=False),
            sa.Column("rating", sa.Enum("good", "bad", name="rating"), nullable=False),
        )
    if suppliers:
        sa.Table(
            "suppliers",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100), nullable=False),
        )
    return metadata
