"""Tables in named PostgreSQL schemas (``MetaData(schema=...)``, ``{"schema": ...}``).

Models mix tables in the default schema with tables in ``sales`` (and later
``billing``), with foreign keys across schemas and an enum type in ``sales``.
Every command runs on real PostgreSQL; on SQLite the schema is refused with
a message that says how to declare it PostgreSQL-only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from tests.helpers import run
from workbench import db

pytestmark = pytest.mark.postgres


PG_ONLY = '\n[tool.workbench.schema.shop]\nbackends = ["postgresql"]\n'

HEAD = """
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, MetaData, String, func
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


class Status(enum.Enum):
    open = "open"
    paid = "paid"


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = {"schema": "sales"}
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[Status] = mapped_column(Enum(Status, name="order_status", schema="sales"))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Line(Base):
    __tablename__ = "lines"
    __table_args__ = {"schema": "sales"}
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales.orders.id"), index=True)
    qty: Mapped[int]
"""

BILLING = """

class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = {"schema": "billing"}
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales.orders.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(50))
"""


def shop(project: Project, *, pg_only: bool = True, billing: bool = False) -> Project:
    pyproject = project.root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if pg_only and PG_ONLY not in text:
        pyproject.write_text(text + PG_ONLY, encoding="utf-8")
    project.write_schema("shop", HEAD + (BILLING if billing else ""))
    return project


def revision(project: Project, slug: str) -> str:
    """The text of the revision whose file name ends with ``slug``."""
    [path] = [p for p in project.versions("shop") if p.stem.endswith(f"_{slug}")]
    return path.read_text(encoding="utf-8")


def schemas_of(url: str) -> set[str]:
    with db.connect(url) as conn:
        return set(sa.inspect(conn).get_schema_names()) - {"information_schema"}


def tables_of(url: str, schema: str | None = None) -> set[str]:
    with db.connect(url) as conn:
        return set(sa.inspect(conn).get_table_names(schema=schema))


@pytest.fixture
def first(project: Project, postgres_server: str) -> Project:
    """The shop schema with its first revision, generated (and proven) on PostgreSQL."""
    shop(project)
    code, out, err = run(project, "generate", "shop", "-m", "first", "--against", postgres_server)
    assert code == 0, err
    assert "proved on PostgreSQL" in out
    return project


# --- generate --------------------------------------------------------------------------------


def test_the_first_revision_creates_the_schema_first_and_drops_it_last(first: Project) -> None:
    [path] = first.versions("shop")
    text = path.read_text(encoding="utf-8")
    upgrade, downgrade = text.split("def downgrade")
    assert "import workbench" not in text  # plain Alembic and SQLAlchemy
    ops = [
        line.strip() for line in upgrade.splitlines() if line.strip().startswith(("op.", "raise"))
    ]
    assert ops[0].startswith("raise NotImplementedError(") and "PostgreSQL only" in ops[0]
    assert ops[1] == "op.execute(sa.DDL('CREATE SCHEMA IF NOT EXISTS sales'))"
    assert "CREATE TYPE sales.order_status AS ENUM ('open', 'paid')" in ops[2]
    assert "schema='sales'" in upgrade and "['sales.orders.id']" in upgrade
    down = [line.strip() for line in downgrade.splitlines() if line.strip().startswith("op.")]
    assert "THEN DROP SCHEMA IF EXISTS sales;" in down[-1]
    assert "DROP TYPE IF EXISTS sales.order_status" in down[-2]


def test_a_second_generate_finds_nothing_and_later_schemas_come_and_go(
    first: Project, postgres_server: str
) -> None:
    code, out, _ = run(first, "generate", "shop", "-m", "again", "--against", postgres_server)
    assert code == 0 and "no changes" in out
    shop(first, billing=True)
    code, out, err = run(first, "generate", "shop", "-m", "billing", "--against", postgres_server)
    assert code == 0, err
    assert "create schema billing" in out and "create table invoices" in out
    text = revision(first, "billing")
    assert (
        "CREATE SCHEMA IF NOT EXISTS billing" in text and "SCHEMA IF NOT EXISTS sales" not in text
    )
    last = text.rstrip().splitlines()[-2]
    assert "DROP SCHEMA IF EXISTS billing;" in last
    # The models stop using billing: its table goes, and the schema after it.
    shop(first, billing=False)
    code, out, err = run(
        first, "generate", "shop", "-m", "no billing", "--against", postgres_server
    )
    assert code == 0, err
    text = revision(first, "no_billing")
    upgrade, downgrade = text.split("def downgrade")
    assert "op.drop_table('invoices', schema='billing')" in upgrade
    assert upgrade.index("drop_table('invoices'") < upgrade.index("DROP SCHEMA IF EXISTS billing")
    assert downgrade.index("CREATE SCHEMA IF NOT EXISTS billing") < downgrade.index("create_table")


def test_upgrade_and_downgrade_make_and_remove_the_schema(first: Project, pg_url: str) -> None:
    code, _, err = run(first, "upgrade", "shop", "--url", pg_url)
    assert code == 0, err
    assert {"sales", "public"} <= schemas_of(pg_url)
    assert tables_of(pg_url, "sales") == {"orders", "lines"}
    # The version table stays in the default schema.
    assert tables_of(pg_url) == {"customers", "alembic_version"}
    code, out, _ = run(first, "current", "shop", "--url", pg_url, "--json")
    assert code == 0 and json.loads(out)["revision"] == json.loads(out)["head"]
    code, _, err = run(first, "downgrade", "shop", "base", "--url", pg_url, "--yes")
    assert code == 0, err
    assert "sales" not in schemas_of(pg_url)
    with db.connect(pg_url) as conn:
        assert not sa.inspect(conn).get_enums(schema="*")  # type: ignore[attr-defined]


def test_downgrade_keeps_a_schema_that_still_holds_someone_elses_table(
    first: Project, pg_url: str
) -> None:
    code, _, err = run(first, "upgrade", "shop", "--url", pg_url)
    assert code == 0, err
    with db.connect(pg_url) as conn:
        conn.exec_driver_sql("CREATE TABLE sales.handmade (id integer)")
        conn.commit()
    code, _, err = run(first, "downgrade", "shop", "base", "--url", pg_url, "--yes")
    assert code == 0, err
    assert tables_of(pg_url, "sales") == {"handmade"}


def test_autogenerate_compares_only_the_models_schemas(
    first: Project, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another application's schema, and stray tables, in the user's database are not ours."""
    from alembic.config import CommandLine
    from alembic.config import Config as AlembicConfig

    with db.connect(pg_url) as conn:
        conn.exec_driver_sql("CREATE SCHEMA other")
        conn.exec_driver_sql("CREATE TABLE other.foreign_app (id integer PRIMARY KEY)")
        conn.commit()
    assert run(first, "upgrade", "shop", "--url", pg_url)[0] == 0
    ini = first.root / "migrations" / "shop" / "alembic.ini"
    command_line = CommandLine(prog="alembic")
    options = command_line.parser.parse_args(["-c", str(ini), "-x", f"url={pg_url}", "check"])
    config = AlembicConfig(file_=str(ini), cmd_opts=options, stdout=sys.stdout)
    command_line.run_cmd(config, options)
    assert "No new upgrade operations detected" in capsys.readouterr().out


# --- SQLite ----------------------------------------------------------------------------------


def test_generate_refuses_a_schema_that_still_claims_sqlite(project: Project) -> None:
    shop(project, pg_only=False)
    code, _, err = run(project, "generate", "shop", "-m", "first")
    assert code == 2
    text = " ".join(err.split())
    assert "PostgreSQL schema(s) sales" in text and "SQLite cannot hold" in text
    assert 'backends = ["postgresql"]' in text
    assert not (project.root / "migrations" / "shop" / "versions").exists() or not project.versions(
        "shop"
    )


def test_upgrade_on_sqlite_says_the_history_is_postgresql_only(
    first: Project, tmp_path: Path
) -> None:
    url = f"sqlite:///{(tmp_path / 'shop.sqlite3').as_posix()}"
    code, _, err = run(first, "upgrade", "shop", "--url", url)
    assert code == 2
    text = " ".join(err.split())
    assert "PostgreSQL schema 'sales'" in text and "PostgreSQL only" in text
    assert "NotImplementedError" in text
    with db.connect(url) as conn:  # rolled back: nothing half-made
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}


# --- check -----------------------------------------------------------------------------------


def test_check_passes_and_sees_inside_the_named_schemas(
    first: Project, postgres_server: str
) -> None:
    shop(first, billing=True)
    code, _, err = run(first, "generate", "shop", "-m", "billing", "--against", postgres_server)
    assert code == 0, err
    code, out, err = run(first, "check", "shop", "--against", postgres_server, "--json")
    assert code == 0, out + err
    assert json.loads(out)["ok"] is True
    # A downgrade that leaves the schema (or its table) behind is caught.
    path = next(p for p in first.versions("shop") if p.stem.endswith("_billing"))
    text = path.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if "DROP SCHEMA IF EXISTS billing" not in line]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    code, out, _ = run(first, "check", "shop", "--against", postgres_server, "--json")
    assert code == 1
    messages = [f["message"] for f in json.loads(out)["findings"]]
    assert any("schema billing still exists" in m for m in messages), messages
    path.write_text(
        text.replace("    op.drop_table('invoices', schema='billing')", "    pass"),
        encoding="utf-8",
    )
    code, out, _ = run(first, "check", "shop", "--against", postgres_server, "--json")
    assert code == 1
    messages = [f["message"] for f in json.loads(out)["findings"]]
    assert any("table invoices still exists" in m for m in messages), messages


def test_check_finds_models_ahead_in_a_named_schema(first: Project, postgres_server: str) -> None:
    source = HEAD.replace('    paid = "paid"', '    paid = "paid"\n    void = "void"').replace(
        "    qty: Mapped[int]", "    qty: Mapped[int]\n    extra: Mapped[int | None]"
    )
    first.write_schema("shop", source)
    code, out, _ = run(first, "check", "shop", "--against", postgres_server, "--json")
    assert code == 1
    [finding] = [f for f in json.loads(out)["findings"] if f["code"] == "WB210"]
    assert "add column lines.extra" in finding["message"]
    assert "change enum type order_status: add void" in finding["message"]


def test_check_refuses_a_schema_that_still_claims_sqlite(first: Project) -> None:
    pyproject = first.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(PG_ONLY, ""), encoding="utf-8"
    )
    code, _, err = run(first, "check", "shop", "--against", "sqlite")
    assert code == 2
    assert 'backends = ["postgresql"]' in " ".join(err.split())


# --- the other commands on PostgreSQL --------------------------------------------------------


@pytest.fixture
def migrated(first: Project, pg_url: str) -> tuple[Project, str]:
    """The shop at head on a PostgreSQL database that also holds another application's schema."""
    with db.connect(pg_url) as conn:
        conn.exec_driver_sql("CREATE SCHEMA other")
        conn.exec_driver_sql("CREATE TABLE other.foreign_app (id integer PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO other.foreign_app VALUES (1)")
        conn.commit()
    code, _, err = run(first, "upgrade", "shop", "--url", pg_url)
    assert code == 0, err
    return first, pg_url


def test_status_and_lint(migrated: tuple[Project, str]) -> None:
    project, url = migrated
    code, out, err = run(project, "status", "shop", "--url", url)
    assert code == 0, err
    assert "(head)" in out and "nothing pending" in out
    code, out, _ = run(project, "lint", "shop", "--json")
    assert code == 0, out


def test_seed_fills_and_empties_the_tables_of_named_schemas(migrated: tuple[Project, str]) -> None:
    project, url = migrated
    code, out, err = run(project, "seed", "shop", "--url", url, "--rows", "25", "--json")
    assert code == 0, err
    assert json.loads(out)["rows"] == {"customers": 25, "orders": 25, "lines": 25}
    code, _, err = run(project, "seed", "shop", "--url", url, "--rows", "10", "--truncate", "--yes")
    assert code == 0, err
    with db.connect(url) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sales.lines").scalar() == 10
        assert conn.exec_driver_sql("SELECT count(*) FROM sales.orders").scalar() == 10
        # Not the models' schema: never emptied.
        assert conn.exec_driver_sql("SELECT count(*) FROM other.foreign_app").scalar() == 1


def test_advise_proves_on_postgresql_and_writes_a_revision_in_the_schema(
    first: Project, postgres_server: str, tmp_path: Path
) -> None:
    shop(first)
    source = HEAD.replace(
        'ForeignKey("sales.orders.id"), index=True)', 'ForeignKey("sales.orders.id"))'
    )
    first.write_schema("shop", source)
    code, _, err = run(first, "generate", "shop", "-m", "no index", "--against", postgres_server)
    assert code == 0, err
    queries = tmp_path / "queries.sql"
    queries.write_text("SELECT * FROM sales.lines WHERE order_id = 7;\n", encoding="utf-8")
    code, out, err = run(
        first, "advise", "shop", "--queries", str(queries), "--rows", "2000",
        "--against", postgres_server, "--json",
    )  # fmt: skip
    assert code == 0, err
    advice = json.loads(out)["advice"]
    assert any(a["table"] == "lines" and a["columns"] == ["order_id"] for a in advice), advice
    code, _, err = run(first, "advise", "shop", "--generate", "-m", "advised")
    assert code == 0, err
    text = revision(first, "advised")
    assert "op.create_index('ix_lines_order_id', 'lines', ['order_id'], unique=False, " in text
    assert "schema='sales'" in text


def test_diagram_draws_the_named_schemas_from_a_database_and_a_revision(
    migrated: tuple[Project, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: str,
) -> None:
    project, url = migrated
    monkeypatch.setenv("WORKBENCH_POSTGRES_URL", postgres_server)
    for args in (["--url", url], ["--revision", "head"], []):
        out_file = tmp_path / "d.mmd"
        code, _, err = run(
            project, "diagram", "shop", "--format", "mermaid", "--out", str(out_file), *args
        )
        assert code == 0, err
        drawn = out_file.read_text(encoding="utf-8")
        for table in ("customers", "orders", "lines"):
            assert f'"{table}" {{' in drawn, (args, drawn)
        assert '"orders" ||..o{ "lines"' in drawn
        assert "foreign_app" not in drawn


def test_the_version_table_goes_where_version_table_schema_says(
    first: Project, pg_url: str, postgres_server: str
) -> None:
    pyproject = first.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + 'version_table_schema = "meta"\n', encoding="utf-8"
    )
    code, _, err = run(first, "upgrade", "shop", "--url", pg_url)
    assert code == 0, err
    assert tables_of(pg_url, "meta") == {"alembic_version"}
    assert tables_of(pg_url) == {"customers"}
    code, out, err = run(first, "current", "shop", "--url", pg_url, "--json")
    assert code == 0, err
    assert json.loads(out)["revision"] == json.loads(out)["head"] is not None
    code, out, err = run(first, "status", "shop", "--url", pg_url)
    assert code == 0 and "(head)" in out, out + err
    code, out, err = run(first, "check", "shop", "--against", postgres_server)
    assert code == 0, out + err
    code, _, err = run(first, "downgrade", "shop", "base", "--url", pg_url, "--yes")
    assert code == 0, err
    assert "sales" not in schemas_of(pg_url)


def test_a_new_enum_member_is_added_to_the_type_in_its_schema(
    first: Project, postgres_server: str, pg_url: str
) -> None:
    first.write_schema(
        "shop", HEAD.replace('    paid = "paid"', '    paid = "paid"\n    void = "void"')
    )
    code, out, err = run(first, "generate", "shop", "-m", "void", "--against", postgres_server)
    assert code == 0, err
    assert "change enum type order_status: add void" in out
    assert "ALTER TYPE sales.order_status ADD VALUE 'void'" in revision(first, "void")
    assert run(first, "upgrade", "shop", "--url", pg_url)[0] == 0
    with db.connect(pg_url) as conn:
        [found] = sa.inspect(conn).get_enums(schema="sales")  # type: ignore[attr-defined]
    assert found["labels"] == ["open", "paid", "void"]


def test_an_enum_of_a_named_schema_moves_a_default_schema_tables_column(
    project: Project, postgres_server: str, pg_url: str
) -> None:
    """The type is in ``sales``, the table that uses it in the default schema."""
    source = HEAD.replace(
        "    email: Mapped[str] = mapped_column(String(200), unique=True)",
        "    email: Mapped[str] = mapped_column(String(200), unique=True)\n"
        '    tier: Mapped[Status] = mapped_column(Enum(Status, name="tier", schema="sales"))',
    )
    shop(project)
    project.write_schema("shop", source)
    code, _, err = run(project, "generate", "shop", "-m", "first", "--against", postgres_server)
    assert code == 0, err
    project.write_schema("shop", source.replace('    paid = "paid"', '    void = "void"'))
    code, _, err = run(project, "generate", "shop", "-m", "swap", "--against", postgres_server)
    assert code == 0, err
    text = revision(project, "swap")
    assert "op.alter_column('customers', 'tier', type_=postgresql.ENUM(" in text
    assert "postgresql_using='tier::text::sales.tier')" in text  # no schema= for customers
    assert run(project, "upgrade", "shop", "--url", pg_url)[0] == 0
    with db.connect(pg_url) as conn:
        labels = {e["name"]: e["labels"] for e in sa.inspect(conn).get_enums(schema="sales")}  # type: ignore[attr-defined]
    assert labels["tier"] == ["open", "void"]
