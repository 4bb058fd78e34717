"""A realistic schema, end to end through the CLI, on SQLite and PostgreSQL (issue 13).

The schema holds what real applications hold and what tripped the workbench up:
a foreign-key cycle (``store.manager_staff_id -> staff``, ``use_alter``, nullable
and UNIQUE; ``staff.store_id -> store``, as in the DVD-rental sample), two
composite UNIQUEs over foreign keys, SQLAlchemy's documented ``TypeDecorator``
GUID (``CHAR(32)`` on SQLite, ``UUID`` on PostgreSQL), reserved words (a table
``order``, columns ``user`` and ``select``), a table name near PostgreSQL's 63-byte
limit, UUID primary keys, an enum, JSON, CHECKs declared on columns, and no
naming convention. It goes through ``generate``, ``upgrade``, ``seed``, ``check``
(exit 0), ``advise`` and ``downgrade``, and the seeded rows are read back by the
application's own ORM classes.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from tests.helpers import invoke
from workbench import db
from workbench.loader import load_schema

RENTAL = '''
"""A DVD-rental-style shop."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR, JSON, CheckConstraint, Date, DateTime, Enum, ForeignKey, Numeric, SmallInteger,
    String, TypeDecorator, UniqueConstraint, Uuid, func,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class GUID(TypeDecorator[uuid.UUID]):
    """Platform-independent GUID: PostgreSQL's UUID, else CHAR(32) of hex digits."""

    impl = CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(CHAR(32))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return value
        if dialect.name == "postgresql":
            return str(value)
        if not isinstance(value, uuid.UUID):
            value = uuid.UUID(value)
        return "%.32x" % value.int

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)


class Base(DeclarativeBase):
    pass


class OrderStatus(enum.Enum):
    pending = "pending"
    paid = "paid"
    shipped = "shipped"
    cancelled = "cancelled"


class Store(Base):
    __tablename__ = "store"

    store_id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True, default=uuid.uuid4)
    manager_staff_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID(),
        ForeignKey("staff.staff_id", use_alter=True, name="fk_store_manager_staff_id"),
        nullable=True,
    )
    name: Mapped[str] = mapped_column(String(80))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (UniqueConstraint("manager_staff_id", name="uq_store_manager_staff_id"),)


class Staff(Base):
    __tablename__ = "staff"

    staff_id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(GUID(), ForeignKey("store.store_id"))
    first_name: Mapped[str] = mapped_column(String(45))
    last_name: Mapped[str] = mapped_column(String(45))
    username: Mapped[str] = mapped_column(String(16), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Customer(Base):
    __tablename__ = "customer"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(GUID(), ForeignKey("store.store_id"))
    email: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Product(Base):
    __tablename__ = "product"

    product_id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(12), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), CheckConstraint("price >= 0"))


class Order(Base):
    __tablename__ = "order"

    order_id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.customer_id"))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(GUID(), ForeignKey("staff.staff_id"))
    user: Mapped[str] = mapped_column("user", String(40))
    select: Mapped[str | None] = mapped_column("select", String(20))
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus, name="order_status"))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    placed_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class OrderLine(Base):
    """Two composite UNIQUEs over foreign keys: a product once per order, a line number once."""

    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(GUID(), ForeignKey("order.order_id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.product_id"))
    line_no: Mapped[int] = mapped_column(SmallInteger, CheckConstraint("line_no BETWEEN 1 AND 50"))
    quantity: Mapped[int] = mapped_column(SmallInteger, default=1)
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_order_line_product"),
        UniqueConstraint("order_id", "line_no", name="uq_order_line_number"),
    )


class LoyaltyMembership(Base):
    """A table name of 61 bytes, near PostgreSQL's limit of 63, and a long column name."""

    __tablename__ = "customer_loyalty_programme_membership_history_entries_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.customer_id"))
    membership_tier_effective_from_date_inclusive_of_start: Mapped[date] = mapped_column(Date)
'''

ORG = '''
"""Departments and their heads: a cycle of NOT NULL foreign keys, one edge deferrable."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Department(Base):
    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    head_id: Mapped[int] = mapped_column(
        ForeignKey("employee.id", use_alter=True, deferrable=True, initially="IMMEDIATE")
    )
    name: Mapped[str] = mapped_column(String(60))


class Employee(Base):
    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    full_name: Mapped[str] = mapped_column(String(80))
'''


def ok(result: Any, what: str) -> Any:
    assert result.exit_code == 0, f"{what} exited {result.exit_code}:\n{result.output}"
    return result


@pytest.fixture
def setup(
    request: pytest.FixtureRequest, target_url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, str]:
    """``(backend, target URL, --against)``: generate proves on PostgreSQL too when it runs."""
    backend = sa.make_url(target_url).get_backend_name()
    if backend == "postgresql":
        server = str(request.getfixturevalue("postgres_server"))
        monkeypatch.setenv("WORKBENCH_POSTGRES_URL", server)
        return backend, target_url, server
    return backend, target_url, "sqlite"


def _live_tables(url: str) -> set[str]:
    with db.connect(url) as conn:
        return set(sa.inspect(conn).get_table_names())


def test_the_realistic_schema_goes_through_every_command(
    project: Project, setup: tuple[str, str, str]
) -> None:
    backend, url, against = setup
    project.write_schema("rental", RENTAL)

    generated = ok(invoke(project, "generate", "rental", "-m", "init"), "generate")
    proved = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    assert "proved on" in generated.output and proved in generated.output.split("proved on")[1]
    (revision,) = project.versions("rental")
    text = revision.read_text(encoding="utf-8")
    assert "sa.CHAR()" not in text  # the GUID keeps its length on every backend
    assert "CheckConstraint('price >= 0'" in text  # declared on the column, written all the same

    ok(invoke(project, "upgrade", "rental", "--url", url), "upgrade")
    seeded = json.loads(
        ok(invoke(project, "seed", "rental", "--url", url, "--json"), "seed").stdout
    )
    assert set(seeded["rows"]) == {
        "store",
        "staff",
        "customer",
        "product",
        "order",
        "order_line",
        "customer_loyalty_programme_membership_history_entries_archive",
    }
    assert all(n > 0 for n in seeded["rows"].values()), seeded

    checked = invoke(project, "check", "rental", "--against", against, "--json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["ok"] is True
    assert [f for f in report["findings"] if f["severity"] == "error"] == []

    advised = json.loads(
        ok(invoke(project, "advise", "rental", "--url", url, "--json"), "advise").stdout
    )
    for advice in advised["advice"]:
        name = advice.get("index") or ""
        assert len(name.encode()) <= 63, advice

    _read_back_through_the_orm(project, url)

    ok(invoke(project, "downgrade", "rental", "base", "--url", url, "--yes"), "downgrade")
    assert _live_tables(url) <= {"alembic_version"}
    if backend == "postgresql":
        with db.connect(url) as conn:
            left = conn.exec_driver_sql(
                "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e'"
            ).all()
        assert left == []


def _read_back_through_the_orm(project: Project, url: str) -> None:
    """What the application does: a query of every mapped class; every value of its type."""
    from sqlalchemy.orm import Session

    module = load_schema(project.cfg, "rental").module
    engine = db.create_engine(url)
    try:
        with Session(engine) as session:
            found = {
                mapper.class_.__name__: session.scalars(sa.select(mapper.class_)).all()
                for mapper in module.Base.registry.mappers
            }
    finally:
        engine.dispose()
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    stores, staff, orders = found["Store"], found["Staff"], found["Order"]
    for row in [*stores, *staff, *orders, *found["Customer"]]:
        for key in ("store_id", "staff_id", "order_id", "customer_id"):
            value = getattr(row, key, None)
            assert value is None or isinstance(value, uuid.UUID), (key, value)
    staff_ids = {s.staff_id for s in staff}
    managers = [s.manager_staff_id for s in stores if s.manager_staff_id is not None]
    assert managers and set(managers) <= staff_ids and len(managers) == len(set(managers))
    assert {s.store_id for s in staff} <= {s.store_id for s in stores}
    assert {o.status for o in orders} <= set(module.OrderStatus)
    assert all(isinstance(o.status, module.OrderStatus) for o in orders)
    assert all(isinstance(s.settings, dict) for s in stores)
    assert all(o.details is None or isinstance(o.details, dict) for o in orders)
    assert all(isinstance(o.user, str) and o.user for o in orders)
    assert all(isinstance(p.price, Decimal) and p.price >= 0 for p in found["Product"])
    lines = found["OrderLine"]
    assert len({(x.order_id, x.product_id) for x in lines}) == len(lines)
    assert len({(x.order_id, x.line_no) for x in lines}) == len(lines)
    assert all(1 <= x.line_no <= 50 for x in lines)


def test_a_cycle_of_not_null_keys_with_a_deferrable_edge_through_the_commands(
    project: Project, setup: tuple[str, str, str]
) -> None:
    _, url, against = setup
    project.write_schema("org", ORG)
    ok(invoke(project, "generate", "org", "-m", "init"), "generate")
    ok(invoke(project, "upgrade", "org", "--url", url), "upgrade")
    seeded = json.loads(ok(invoke(project, "seed", "org", "--url", url, "--json"), "seed").stdout)
    assert seeded["rows"]["department"] > 0 and seeded["rows"]["employee"] > 0
    with db.connect(url) as conn:
        dangling = conn.exec_driver_sql(
            "SELECT count(*) FROM department d LEFT JOIN employee e ON e.id = d.head_id "
            "WHERE e.id IS NULL"
        ).scalar_one()
        nulls = conn.exec_driver_sql(
            "SELECT count(*) FROM department WHERE head_id IS NULL"
        ).scalar_one()
    assert (dangling, nulls) == (0, 0)
    checked = invoke(project, "check", "org", "--against", against)
    assert checked.exit_code == 0, checked.output
    ok(invoke(project, "downgrade", "org", "base", "--url", url, "--yes"), "downgrade")
    assert _live_tables(url) <= {"alembic_version"}


def test_a_check_declared_on_a_column_is_a_named_table_check(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    project.write_schema("rental", RENTAL)
    table = load_schema(project.cfg, "rental").metadata.tables["product"]
    checks = [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]
    assert [(str(c.name), str(c.sqltext)) for c in checks] == [("ck_product_price", "price >= 0")]
    assert not [c for c in table.c.price.constraints if isinstance(c, sa.CheckConstraint)]
