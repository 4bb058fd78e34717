"""The autogenerate hooks as pure functions: ordering, rendering, type and default normal forms."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlmodel.sql.sqltypes import AutoString

from tests.conftest import Project
from workbench import db, migrate
from workbench.autogen import default_sql, order_by_foreign_keys, render_item
from workbench.config import Config, load
from workbench.errors import WorkbenchError
from workbench.revisions import type_ddl


def _tables() -> dict[str, sa.Table]:
    md = sa.MetaData()
    a = sa.Table("a", md, sa.Column("id", sa.Integer, primary_key=True))
    b = sa.Table(
        "b",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.ForeignKey("a.id")),
    )
    c = sa.Table(
        "c",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("b_id", sa.ForeignKey("b.id")),
        sa.Column("a_id", sa.ForeignKey("a.id")),
    )
    return {"a": a, "b": b, "c": c}


def _names(seq: list[object]) -> list[str]:
    return [
        f"{type(o).__name__.removesuffix('s').removesuffix('Op')}:{getattr(o, 'table_name', '')}"
        for o in seq
    ]


def test_creations_come_parents_first_and_drops_children_first() -> None:
    t = _tables()
    index = ops.ModifyTableOps("c", [ops.CreateIndexOp("ix_c_b_id", "c", ["b_id"])])
    creates: list[object] = [
        ops.CreateTableOp.from_table(t["c"]),
        index,
        ops.ExecuteSQLOp("SELECT 1"),
        ops.CreateTableOp.from_table(t["b"]),
        ops.CreateTableOp.from_table(t["a"]),
    ]
    order_by_foreign_keys(creates)
    # Units move among the slots units held; the execute keeps its place.
    assert _names(creates) == [
        "CreateTable:a",
        "ExecuteSQL:",
        "CreateTable:b",
        "CreateTable:c",
        "ModifyTable:c",
    ]
    drops: list[object] = [ops.DropTableOp.from_table(t[n]) for n in ("a", "b", "c")]
    order_by_foreign_keys(drops)
    assert _names(drops) == ["DropTable:c", "DropTable:b", "DropTable:a"]


@pytest.mark.parametrize(
    ("default", "rendered"),
    [
        (sa.false(), "sa.false()"),
        (sa.true(), "sa.true()"),
        (sa.func.now(), "sa.func.now()"),
        (sa.text("'x'"), False),
        ("draft", False),
    ],
)
def test_server_defaults_render_the_same_on_both_backends(
    default: object, rendered: object
) -> None:
    assert render_item("server_default", sa.DefaultClause(default), None) == rendered  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (AutoString(length=50), sa.String(50), True),
        (sa.String(50), sa.String(80), False),
        (sa.DateTime(timezone=True), sa.DateTime(), False),
        (sa.Enum("a", "b", name="e"), sa.Enum("a", "b", "c", name="e"), True),
        (sa.Enum("a", name="e"), sa.Enum("a", name="f"), False),
        (sa.Numeric(10, 2), sa.Numeric(10, 2), True),
    ],
)
def test_type_normal_form(
    left: sa.types.TypeEngine[object], right: sa.types.TypeEngine[object], same: bool
) -> None:
    assert (type_ddl(left) == type_ddl(right)) is same


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (sa.false(), "0"),
        (sa.func.now(), sa.text("(CURRENT_TIMESTAMP)")),
        ("draft", sa.text("'draft'")),
    ],
)
def test_default_normal_form_sees_through_backend_spellings(left: Any, right: Any) -> None:
    assert default_sql(sa.DefaultClause(left)) == default_sql(sa.DefaultClause(right))


# --- generate proves each revision on every backend the schema supports -------------------


NAMING = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })
"""


def _schema(project: Project, name: str, body: str) -> None:
    project.write_schema(name, NAMING + textwrap.dedent(body))


def _declare_backends(project: Project, name: str, backends: list[str]) -> None:
    pyproject = project.root / "pyproject.toml"
    listed = ", ".join(f'"{b}"' for b in backends)
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8")
        + f"\n[tool.workbench.schema.{name}]\nbackends = [{listed}]\n",
        encoding="utf-8",
    )


def _roundtrip(cfg: Config, name: str, url: str) -> None:
    """Upgrade to head, downgrade to base and up again on ``url``; every table gone at base."""
    import sqlalchemy as sa

    migrate.upgrade(cfg, name, url=url, yes=True)
    migrate.downgrade(cfg, name, "base", url=url, yes=True)
    with db.connect(url) as conn:
        left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
    migrate.upgrade(cfg, name, url=url, yes=True)


ITEMS = """
class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
"""


def test_generate_proves_on_every_backend_it_is_given(
    project: Project, postgres_server: str
) -> None:
    _schema(project, "shop", ITEMS)
    result = migrate.generate(project.cfg, "shop", "initial", against=["sqlite", postgres_server])
    assert result.backends == ("sqlite", "postgresql")
    assert result.unproved == ()
    assert result.to_json()["backends"] == ["sqlite", "postgresql"]


def test_generate_says_when_postgresql_was_not_proved(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKBENCH_POSTGRES_URL", raising=False)
    _schema(project, "shop", ITEMS)
    result = migrate.generate(project.cfg, "shop", "initial")
    assert result.backends == ("sqlite",)
    assert len(result.unproved) == 1 and result.unproved[0].startswith("PostgreSQL")


def _sqlite_only_sql(context: Any, revision: Any, directives: list[Any]) -> None:
    """A hook that adds SQL only SQLite understands: the revision then fails on PostgreSQL."""
    if directives:
        directives[0].upgrade_ops.ops.append(ops.ExecuteSQLOp("SELECT julianday('now')"))


def test_a_revision_that_fails_on_postgresql_is_not_written(
    project: Project, postgres_server: str
) -> None:
    _schema(project, "shop", ITEMS)
    with pytest.raises(WorkbenchError) as caught:
        migrate.generate(
            project.cfg,
            "shop",
            "initial",
            hook=_sqlite_only_sql,
            against=["sqlite", postgres_server],
        )
    assert "fails on PostgreSQL (upgrade" in caught.value.text
    assert "julianday" in caught.value.text
    versions = project.root / "migrations" / "shop" / "versions"
    assert not list(versions.glob("*.py")) if versions.exists() else True


PG_ONLY_HISTORY = '''
"""initial"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_docs"),
    )
    op.execute("CREATE INDEX ix_docs_body ON docs USING gin (body)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_docs_body")
    op.drop_table("docs")
'''

DOCS = """
from sqlalchemy.dialects import postgresql

class Doc(Base):
    __tablename__ = "docs"
    __table_args__ = (sa.Index("ix_docs_body", "body", postgresql_using="gin"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[dict] = mapped_column(postgresql.JSONB())
"""


def test_a_postgresql_only_history_is_replayed_on_postgresql(
    project: Project, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare_backends(project, "docs", ["postgresql"])
    _schema(
        project, "docs", DOCS + "    title: Mapped[str | None] = mapped_column(sa.String(80))\n"
    )
    project.write_revision("docs", "a1_initial.py", PG_ONLY_HISTORY)
    monkeypatch.setenv("WORKBENCH_POSTGRES_URL", postgres_server)
    result = migrate.generate(load(project.root), "docs", "add title")
    assert result.backends == ("postgresql",)
    assert result.operations == ("add column docs.title (VARCHAR(80), nullable)",)
    with db.scratch(postgres_server) as url:
        _roundtrip(load(project.root), "docs", url)


def test_a_postgresql_only_schema_refuses_sqlite_alone(project: Project) -> None:
    _declare_backends(project, "docs", ["postgresql"])
    _schema(project, "docs", DOCS)
    with pytest.raises(WorkbenchError) as caught:
        migrate.generate(load(project.root), "docs", "initial", against=["sqlite"])
    assert "supports PostgreSQL only" in caught.value.text


# --- type changes PostgreSQL cannot cast by itself get postgresql_using --------------------


def _server(url: str) -> str:
    """A PostgreSQL database URL serves as the server URL that scratch databases are made on."""
    return url


def _against(url: str) -> list[str]:
    return ["sqlite"] if url.startswith("sqlite") else ["sqlite", _server(url)]


GRADE_TEXT = """
import enum

class Grade(enum.Enum):
    A = "A"
    B = "B"

class Student(Base):
    __tablename__ = "students"
    id: Mapped[int] = mapped_column(primary_key=True)
    grade: Mapped[str | None] = mapped_column(sa.String(2))
"""


def test_text_to_enum_gets_a_cast_both_ways(project: Project, target_url: str) -> None:
    cfg = project.cfg
    _schema(project, "school", GRADE_TEXT)
    migrate.generate(cfg, "school", "initial", against=_against(target_url))
    migrate.upgrade(cfg, "school", url=target_url)
    with db.connect(target_url) as conn:
        conn.exec_driver_sql("INSERT INTO students (id, grade) VALUES (1, 'A')")
        conn.commit()
    _schema(
        project,
        "school",
        GRADE_TEXT.replace(
            "Mapped[str | None] = mapped_column(sa.String(2))",
            "Mapped[Grade | None] = mapped_column(sa.Enum(Grade, name='grade'))",
        ),
    )
    result = migrate.generate(cfg, "school", "grade enum", against=_against(target_url))
    assert result.path is not None
    text = result.path.read_text(encoding="utf-8")
    assert "postgresql_using='grade::grade'" in text
    migrate.upgrade(cfg, "school", url=target_url)
    migrate.downgrade(cfg, "school", url=target_url, yes=True)
    migrate.upgrade(cfg, "school", url=target_url)
    with db.connect(target_url) as conn:
        assert conn.exec_driver_sql("SELECT grade FROM students").scalar_one() == "A"


@pytest.mark.parametrize(
    ("old", "new", "value", "expected"),
    [
        (sa.String(10), sa.Integer(), "'42'", "NULLIF(x, '')::integer"),
        (sa.Text(), sa.Numeric(10, 2), "'4.5'", "NULLIF(x, '')::numeric(10, 2)"),
        (sa.String(36), sa.Uuid(), "'6f1c2a0e-7a0c-4a53-9d1e-2b6a1f1d9c11'", "NULLIF(x, '')::uuid"),
        (sa.String(10), sa.Date(), "'2024-02-29'", "NULLIF(x, '')::date"),
        (sa.String(5), sa.Boolean(), "'true'", "NULLIF(x, '')::boolean"),
        (sa.Integer(), sa.Boolean(), "1", "x <> 0"),
        (sa.Boolean(), sa.Integer(), "true", "x::integer"),
        (sa.Integer(), sa.Uuid(), "7", "lpad(to_hex(x), 32, '0')::uuid"),
        (sa.Enum("a", "b", name="e1"), sa.Enum("a", "b", name="e2"), "'a'", "x::text::e2"),
        (sa.Enum("a", "b", name="e1"), sa.Integer(), None, "x::text::integer"),
        (sa.Integer(), sa.BigInteger(), "1", None),
        (sa.Integer(), sa.String(20), "1", None),
        (sa.Enum("a", name="e1"), sa.String(5), "'a'", None),
        (sa.DateTime(), sa.Date(), "'2024-01-01 10:00'", None),
    ],
)
def test_postgresql_using_converts_values_on_postgresql(
    pg_url: str, old: Any, new: Any, value: str | None, expected: str | None
) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from workbench.autogen import postgresql_using

    using = postgresql_using("x", old, new)
    assert using == expected
    with db.connect(pg_url) as conn:
        for t in (old, new):
            if isinstance(t, sa.Enum):
                t.create(conn, checkfirst=True)
        sa.Table("t", sa.MetaData(), sa.Column("x", old)).create(conn)
        if value is not None:
            conn.exec_driver_sql(f"INSERT INTO t (x) VALUES ({value})")
        operations = Operations(MigrationContext.configure(conn))
        kw: dict[str, Any] = {"postgresql_using": using} if using else {}
        operations.alter_column("t", "x", type_=new, existing_type=old, **kw)
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == (value is not None)


# --- foreign-key cycles: create_table without the edge, create_foreign_key after -----------

DVD_RENTAL = """
class Store(Base):
    __tablename__ = "store"
    store_id: Mapped[int] = mapped_column(primary_key=True)
    manager_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff.staff_id", use_alter=True), unique=True
    )

class Staff(Base):
    __tablename__ = "staff"
    staff_id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.store_id"))
"""

PLAIN_CYCLE = """
class A(Base):
    __tablename__ = "a"
    id: Mapped[int] = mapped_column(primary_key=True)
    b_id: Mapped[int | None] = mapped_column(sa.ForeignKey("b.id"))

class B(Base):
    __tablename__ = "b"
    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int] = mapped_column(sa.ForeignKey("a.id"))
"""


@pytest.mark.parametrize("models", [DVD_RENTAL, PLAIN_CYCLE], ids=["use_alter", "plain"])
def test_foreign_key_cycles_are_created_after_their_tables(
    project: Project, target_url: str, models: str
) -> None:
    from workbench.check import check

    _schema(project, "cyc", models)
    result = migrate.generate(project.cfg, "cyc", "initial", against=_against(target_url))
    assert result.path is not None
    text = result.path.read_text(encoding="utf-8")
    upgrade, downgrade = text.split("def downgrade")
    creates = upgrade.split("batch_op.create_foreign_key")
    assert len(creates) == 2, upgrade
    # The deferred edge is nowhere in a create_table, and comes after both tables.
    assert "use_alter" not in text
    assert upgrade.rindex("op.create_table") < upgrade.index("create_foreign_key")
    assert downgrade.index("batch_op.drop_constraint") < downgrade.index("op.drop_table")
    _roundtrip(project.cfg, "cyc", target_url)
    with db.connect(target_url) as conn:
        keys = {
            (t, fk["referred_table"])
            for t in ("store", "staff", "a", "b")
            if sa.inspect(conn).has_table(t)
            for fk in sa.inspect(conn).get_foreign_keys(t)
        }
    assert len(keys) == 2
    report = check(project.cfg, ["cyc"], against=_against(target_url))
    assert report.ok, [f.message for f in report.findings]


# --- custom column types are written as the type they really have ---------------------------

GUID_MODELS = """
import uuid

from sqlalchemy.dialects import postgresql


class GUID(sa.TypeDecorator):
    # SQLAlchemy's documented backend-agnostic GUID: UUID on PostgreSQL, CHAR(32) elsewhere.

    impl = sa.CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(sa.CHAR(32))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name == "postgresql":
            return None if value is None else str(value)
        return "%.32x" % uuid.UUID(str(value)).int

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True)
    serial: Mapped[str] = mapped_column(sa.String(20))
"""


def test_a_type_decorator_guid_is_written_as_its_type_on_each_backend(
    project: Project, target_url: str
) -> None:
    import uuid

    from workbench.loader import load_schema

    _schema(project, "dev", GUID_MODELS)
    result = migrate.generate(project.cfg, "dev", "initial", against=_against(target_url))
    assert result.path is not None
    text = result.path.read_text(encoding="utf-8")
    assert "sa.CHAR(length=32).with_variant(sa.UUID(), 'postgresql')" in text
    migrate.upgrade(project.cfg, "dev", url=target_url)
    table = load_schema(project.cfg, "dev").metadata.tables["devices"]
    key = uuid.uuid4()
    with db.connect(target_url) as conn:
        conn.execute(table.insert().values(id=key, serial="s1"))
        assert conn.execute(sa.select(table.c.id)).scalar_one() == key
        reflected = {c["name"]: c["type"] for c in sa.inspect(conn).get_columns("devices")}
        conn.commit()
    expected = "UUID" if target_url.startswith("postgresql") else "CHAR(32)"
    assert str(reflected["id"]) == expected
    again = migrate.generate(project.cfg, "dev", "again", against=_against(target_url))
    assert again.path is None


# --- identifiers and values that break generated SQL ---------------------------------------

ODD_ENUM = """
class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Enum(MEMBERS, name="tagkind"))
"""


def test_enum_members_with_colons_and_quotes_survive_upgrade_and_sql(
    project: Project, pg_url: str
) -> None:
    cfg = project.cfg
    _schema(project, "odd", ODD_ENUM.replace("MEMBERS", "'plain', 'a:name'"))
    migrate.generate(cfg, "odd", "initial", against=["sqlite", pg_url])
    _schema(project, "odd", ODD_ENUM.replace("MEMBERS", "'plain', 'a:name', \"it's :x 50%\""))
    result = migrate.generate(cfg, "odd", "member", against=["sqlite", pg_url])
    assert result.path is not None
    migrate.upgrade(cfg, "odd", url=pg_url)
    with db.connect(pg_url) as conn:
        members = (
            conn.exec_driver_sql(
                "SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
                "WHERE t.typname = 'tagkind' ORDER BY enumsortorder"
            )
            .scalars()
            .all()
        )
    assert members == ["plain", "a:name", "it's :x 50%"]
    printed = migrate.upgrade(cfg, "odd", "base:head", url=pg_url, sql=True).sql or ""
    assert "'a:name'" in printed
    assert "ADD VALUE 'it''s :x 50%'" in printed
    migrate.downgrade(cfg, "odd", "base", url=pg_url, yes=True)


# --- two schema modules on one MetaData -----------------------------------------------------


def test_schemas_sharing_one_metadata_are_reported_with_the_fix(project: Project) -> None:
    from workbench.errors import SchemaLoadError
    from workbench.loader import load_schema

    shared = f"shared_base_{abs(hash(str(project.root)))}"
    (project.root / f"{shared}.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase\n\nclass Base(DeclarativeBase):\n    pass\n",
        encoding="utf-8",
    )
    for name, table in (("notes", "notes"), ("tasks", "tasks")):
        project.write_schema(
            name,
            f"""
            from sqlalchemy.orm import Mapped, mapped_column
            from {shared} import Base

            class Thing(Base):
                __tablename__ = "{table}"
                id: Mapped[int] = mapped_column(primary_key=True)
            """,
        )
    load_schema(project.cfg, "notes")
    with pytest.raises(SchemaLoadError) as caught:
        load_schema(project.cfg, "tasks")
    assert "schema 'notes' (notes)" in caught.value.text
    assert "registry=registry()" in caught.value.text
    with pytest.raises(SchemaLoadError):
        load_schema(project.cfg, "notes")  # the first one is told too, once the second is in


LONG = "a_table_name_that_goes_on_and_on_well_past_what_postgresql_keeps_x"


def test_names_postgresql_would_cut_are_refused_clearly(project: Project) -> None:
    body = ITEMS.replace('"items"', f'"{LONG}"')
    _schema(project, "long", body)
    with pytest.raises(WorkbenchError) as caught:
        migrate.generate(project.cfg, "long", "initial", against=["sqlite"])
    assert f"table {LONG!r} ({len(LONG)} bytes)" in caught.value.text
    assert not (project.root / "migrations" / "long").exists()
    _declare_backends(project, "long", ["sqlite"])
    assert migrate.generate(load(project.root), "long", "initial").path is not None


QUOTED = """
class Odd(Base):
    __tablename__ = "odd"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column('co"de', sa.String(10), unique=True)
"""


def test_a_quoted_column_in_a_unique_converges(project: Project, target_url: str) -> None:
    _schema(project, "odd", QUOTED)
    first = migrate.generate(project.cfg, "odd", "initial", against=_against(target_url))
    assert first.path is not None
    again = migrate.generate(project.cfg, "odd", "again", against=_against(target_url))
    assert again.path is None, again.operations
    _roundtrip(project.cfg, "odd", target_url)


def test_describe_says_each_kind_of_operation_in_one_line() -> None:
    from workbench import ops as wb
    from workbench import pgschemas
    from workbench.autogen import describe

    column = sa.Column("bio", sa.Text(), nullable=True)
    assert describe(ops.CreateTableOp("users", [])) == "create table users"
    assert describe(ops.DropTableOp("users")) == "drop table users"
    assert describe(ops.AddColumnOp("users", column)) == "add column users.bio (TEXT, nullable)"
    assert describe(ops.DropColumnOp("users", "bio")) == "drop column users.bio"
    altered = ops.AlterColumnOp(
        "users",
        "age",
        existing_type=sa.Integer(),
        modify_type=sa.BigInteger(),
        modify_nullable=False,
    )
    assert describe(altered) == "alter column users.age: type INTEGER -> BIGINT, NOT NULL"
    index = ops.CreateIndexOp("ix_users_bio", "users", ["bio"], unique=True)
    assert describe(index) == "create unique index ix_users_bio on users (bio)"
    assert describe(wb.CreateEnumTypeOp("mood", ["a", "b"])) == "create enum type mood (a, b)"
    assert describe(wb.RenameEnumTypeOp("mood", "feeling")) == "rename enum type mood to feeling"
    synced = wb.SyncEnumValuesOp("mood", ["a", "c"], ["a", "b"])
    assert describe(synced) == "change enum type mood: add c; remove b"
    assert describe(pgschemas.CreateSchemaOp("sales")) == "create schema sales"
    assert (
        describe(ops.ExecuteSQLOp("UPDATE users   SET a = 1")) == "execute UPDATE users SET a = 1"
    )
    nested = ops.ModifyTableOps(
        "users", [ops.DropColumnOp("users", "a"), ops.DropColumnOp("users", "b")]
    )
    assert describe(nested) == "drop column users.a; drop column users.b"
    assert describe(ops.MigrateOperation()) == "MigrateOperation"
