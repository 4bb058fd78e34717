"""A shop with index trouble of every kind the model rules know, and a workload that needs more.

SQLAlchemy 2.0 declarative, with a naming convention.
"""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class OrderStatus(enum.Enum):
    new = "new"
    paid = "paid"
    shipped = "shipped"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Product(Base):
    __tablename__ = "products"
    # ix_products_sku repeats the unique constraint on sku (WB302).
    __table_args__ = (Index("ix_products_sku", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    active: Mapped[bool] = mapped_column(Boolean)


class Order(Base):
    __tablename__ = "orders"
    # ix_orders_customer_id is a prefix of the composite index (WB303).
    __table_args__ = (
        Index("ix_orders_customer_id", "customer_id"),
        Index("ix_orders_customer_id_placed_at", "customer_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # A lone index on an enum (WB305).
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus), index=True)
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class OrderItem(Base):
    """A link table keyed (order_id, product_id): the products' side is unindexed (WB304)."""

    __tablename__ = "order_items"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int]


# A log without a primary key (WB306).
audit_events = Table(
    "audit_events",
    Base.metadata,
    Column("at", DateTime, nullable=False),
    Column("what", String(100), nullable=False),
)
