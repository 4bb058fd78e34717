"""workbench seed, on real SQLite and PostgreSQL: every constraint holds, same seed same rows."""

from __future__ import annotations

import enum
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel.sql.sqltypes import AutoString

from tests.conftest import EXAMPLES, REPO, Project, readme_section
from tests.helpers import invoke
from workbench import db, migrate
from workbench.errors import Refused, SeedError
from workbench.loader import load_schema
from workbench.seed import EVERY_TABLE, plan_rows, pools, reflect, seed, seed_connection
from workbench.seed.constraints import (
    NOW,
    Among,
    Bound,
    Length,
    NotNull,
    Order,
    parse_check_constraint,
)

SHOP = '''
"""A shop with every shape the seed engine must handle."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint, DateTime, Enum, ForeignKey, MetaData, Numeric, String, UniqueConstraint,
    Uuid, func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Role(enum.Enum):
    clerk = "clerk"
    manager = "manager"
    owner = "owner"


class Store(Base):
    """One side of a foreign-key cycle: a store has a manager, who works in a store."""

    __tablename__ = "stores"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(60))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", use_alter=True))


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("left_on >= hired_on", name="left_after_hired"),
        CheckConstraint("salary BETWEEN 20000 AND 200000", name="salary_range"),
        CheckConstraint("level IN (1, 2, 3)", name="level_known"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint("bonus < salary", name="bonus_below_salary"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    reports_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    first_name: Mapped[str] = mapped_column(String(50))
    last_name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(120), unique=True)
    hired_on: Mapped[date]
    left_on: Mapped[date | None]
    salary: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    bonus: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    role: Mapped[Role] = mapped_column(Enum(Role, name="staffrole"))
    level: Mapped[int]
    rating: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Skill(Base):
    __tablename__ = "skills"
    __table_args__ = (CheckConstraint("length(code) >= 3", name="code_long_enough"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)


class StaffSkill(Base):
    """A link table: the pair is the primary key."""

    __tablename__ = "staff_skills"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)


class Shift(Base):
    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("staff_id", "day"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("kind IN ('morning', 'evening', 'night')", name="kind_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    registered_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DeviceLog(Base):
    __tablename__ = "device_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    message: Mapped[str] = mapped_column(String(200))
'''


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop schema and its first revision, written once by `generate`."""
    made = Project(tmp_path_factory.mktemp("shop") / "project")
    made.write_schema("shop", SHOP)
    migrate.generate(made.cfg, "shop", "initial")
    return made.root


@pytest.fixture
def shop(project: Project, shop_history: Path) -> Project:
    shutil.copy(shop_history / "schemas" / "shop.py", project.root / "schemas" / "shop.py")
    shutil.copytree(shop_history / "migrations" / "shop", project.root / "migrations" / "shop")
    return project


@pytest.fixture
def scratch_url(against: str) -> Iterator[str]:
    """An empty scratch database on each backend (several per test are fine)."""
    with db.scratch(against) as url:
        yield url


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with db.connect(url) as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def counts(url: str) -> dict[str, int]:
    with db.connect(url) as conn:
        metadata = reflect(conn)
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in sorted(metadata.tables.values(), key=lambda t: t.name)
        }


def dump(url: str, *, server_filled: bool = False) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table as text, in key order; columns the server fills are left out."""
    with db.connect(url) as conn:
        metadata = reflect(conn)
        out = {}
        for table in sorted(metadata.tables.values(), key=lambda t: t.name):
            cols = [
                c
                for c in table.columns
                if server_filled or c.primary_key or c.server_default is None
            ]
            order = list(table.primary_key.columns) or cols
            rows = conn.execute(sa.select(*cols).order_by(*order))
            out[table.name] = [tuple(repr(v) for v in row) for row in rows]
        return out


# --- every example ------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_seeds_without_a_violation(
    examples: Project, scratch_url: str, name: str
) -> None:
    migrate.upgrade(examples.cfg, name, url=scratch_url)
    report = seed(examples.cfg, name, url=scratch_url, seed=3)
    expected = plan_rows(load_schema(examples.cfg, name).metadata)
    assert report.rows == expected
    assert counts(scratch_url) == expected
    assert report.integrity is not None and report.integrity.ok
    assert report.integrity.unique >= 1


def test_blog_rows_look_like_a_blog(blog: Project, scratch_url: str) -> None:
    migrate.upgrade(blog.cfg, "blog", url=scratch_url)
    seed(blog.cfg, "blog", url=scratch_url, seed=5)
    # a reply's parent is an earlier comment, and there are replies
    replies = query(scratch_url, "SELECT id, parent_id FROM comments WHERE parent_id IS NOT NULL")
    assert replies and all(parent < child for child, parent in replies)
    # authors are picked with a long tail, not uniformly
    per_author = Counter(a for (a,) in query(scratch_url, "SELECT author_id FROM posts"))
    mean = sum(per_author.values()) / len(per_author)
    assert max(per_author.values()) > 2 * mean
    # emails come from the person's name, and are unique
    users = query(scratch_url, "SELECT name, email FROM users")
    assert all(email.startswith(name.split()[0].lower() + ".") for name, email in users)
    assert len({email for _, email in users}) == len(users)
    # tags come from the tag pool while it lasts
    assert {name for (name,) in query(scratch_url, "SELECT name FROM tags")} <= set(pools.TAGS)
    # a post gets several tags, never the same one twice (the pair is the key)
    pairs = query(scratch_url, "SELECT post_id, tag_id FROM post_tags")
    assert len(set(pairs)) == len(pairs)
    assert max(Counter(p for p, _ in pairs).values()) > 1


# --- a schema with every shape ------------------------------------------------------------


def test_cycle_self_reference_link_table_uniques_checks_enum_and_uuid(
    shop: Project, scratch_url: str
) -> None:
    migrate.upgrade(shop.cfg, "shop", url=scratch_url)
    report = seed(shop.cfg, "shop", url=scratch_url, seed=11)
    assert report.integrity is not None and report.integrity.ok
    assert report.integrity.checks == 8
    assert report.rows == plan_rows(load_schema(shop.cfg, "shop").metadata)

    # the cycle: stores were written with manager_id empty, then filled with staff
    managers = query(scratch_url, "SELECT manager_id FROM stores")
    assert sum(m is not None for (m,) in managers) > len(managers) // 2
    staff_ids = {i for (i,) in query(scratch_url, "SELECT id FROM staff")}
    assert {m for (m,) in managers if m is not None} <= staff_ids
    # the self-reference points at an earlier row
    bosses = query(scratch_url, "SELECT id, reports_to FROM staff WHERE reports_to IS NOT NULL")
    assert bosses and all(boss < me for me, boss in bosses)
    # CHECKs of every supported form, read back
    for hired, left, salary, bonus, level, rating, role, created, updated in query(
        scratch_url,
        "SELECT hired_on, left_on, salary, bonus, level, rating, role, created_at, updated_at "
        "FROM staff",
    ):
        assert left is None or str(left) >= str(hired)
        assert 20000 <= float(salary) <= 200000 and float(bonus) < float(salary)
        assert level in (1, 2, 3) and 1 <= rating <= 5
        assert role in ("clerk", "manager", "owner")
        assert str(updated) >= str(created)
    salaries = {s for (s,) in query(scratch_url, "SELECT salary FROM staff")}
    assert len(salaries) > 10  # spread over the allowed range, not pinned to its edge
    shifts = query(scratch_url, "SELECT staff_id, day, kind, starts_at, ends_at FROM shifts")
    assert len({(s, d) for s, d, *_ in shifts}) == len(shifts)
    assert len({d for _, d, *_ in shifts}) > len(shifts) // 3  # days are not made unique
    assert all(k in ("morning", "evening", "night") and e > s for _, _, k, s, e in shifts)
    assert all(len(c) >= 3 for (c,) in query(scratch_url, "SELECT code FROM skills"))
    # UUID keys, referenced by a child
    devices = {str(d) for (d,) in query(scratch_url, "SELECT id FROM devices")}
    assert len(devices) == report.rows["devices"]
    assert {str(d) for (d,) in query(scratch_url, "SELECT device_id FROM device_logs")} <= devices


def test_a_check_the_engine_cannot_read_is_named_when_it_fails(scratch_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "codes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.CheckConstraint("lower(code) = code", name="ck_codes_lowercase"),
    )
    with db.connect(scratch_url) as conn:
        metadata.create_all(conn)
        conn.commit()
        with pytest.raises(SeedError, match="ck_codes_lowercase"):
            seed_connection(conn, metadata, 50)
        conn.rollback()
    assert counts(scratch_url) == {"codes": 0}


def _not_null_cycle(
    deferrable: bool | None = None, initially: str | None = None, key: Any = sa.Integer
) -> sa.MetaData:
    """department.head_id -> employee (NOT NULL), employee.department_id -> department
    (NOT NULL): no edge can be NULL; the first may be declared deferrable."""
    metadata = sa.MetaData()
    sa.Table(
        "department",
        metadata,
        sa.Column("id", key, primary_key=True),
        sa.Column(
            "head_id",
            key,
            sa.ForeignKey(
                "employee.id",
                use_alter=True,
                name="fk_department_head",
                deferrable=deferrable,
                initially=initially,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(40), nullable=False),
    )
    sa.Table(
        "employee",
        metadata,
        sa.Column("id", key, primary_key=True),
        sa.Column(
            "department_id",
            key,
            sa.ForeignKey("department.id", name="fk_employee_department"),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(80), nullable=False),
    )
    return metadata


def _dangling_foreign_keys(url: str) -> list[Any]:
    """Rows whose foreign key finds no parent, as the database itself reports them."""
    with db.connect(url) as conn:
        if conn.dialect.name == "sqlite":
            return list(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall())
        return list(
            conn.exec_driver_sql(
                "SELECT 'department', d.id FROM department d LEFT JOIN employee e "
                "ON e.id = d.head_id WHERE e.id IS NULL UNION ALL "
                "SELECT 'employee', e.id FROM employee e LEFT JOIN department d "
                "ON d.id = e.department_id WHERE d.id IS NULL"
            ).fetchall()
        )


@pytest.mark.parametrize(
    ("initially", "key"),
    [("DEFERRED", sa.Integer), ("IMMEDIATE", sa.Integer), ("DEFERRED", sa.Uuid)],
    ids=["initially-deferred", "initially-immediate", "uuid-keys"],
)
def test_a_cycle_of_not_null_keys_is_seeded_through_its_deferrable_edge(
    target_url: str, initially: str, key: Any
) -> None:
    metadata = _not_null_cycle(deferrable=True, initially=initially, key=key)
    report = _seed_into(target_url, metadata, {"department": 12, "employee": 90})
    assert {t.table: t.rows for t in report.tables} == {"department": 12, "employee": 90}
    assert report.integrity is not None and report.integrity.ok
    assert _dangling_foreign_keys(target_url) == []
    heads = query(target_url, "SELECT head_id FROM department")
    assert all(h is not None for (h,) in heads) and len({h for (h,) in heads}) > 1
    if sa.make_url(target_url).get_backend_name() == "postgresql":
        # the constraint is as declared afterwards, and still deferrable
        (row,) = query(
            target_url,
            "SELECT condeferrable, condeferred FROM pg_constraint "
            "WHERE conname = 'fk_department_head'",
        )
        assert row == (True, initially == "DEFERRED")


def test_a_bulk_load_keeps_the_deferred_edge_of_a_cycle(pg_url: str) -> None:
    # 20,000 rows or more are copied with their foreign keys dropped and re-added after;
    # re-adding the deferred edge before its parent has rows would check it too early
    metadata = _not_null_cycle(deferrable=True, initially="IMMEDIATE")
    report = _seed_into(pg_url, metadata, {"department": 20_500, "employee": 30})
    assert report.integrity is not None and report.integrity.ok
    assert _dangling_foreign_keys(pg_url) == []
    assert query(pg_url, "SELECT count(DISTINCT head_id) FROM department") == [(30,)]


def test_a_cycle_of_not_null_keys_none_deferrable_is_refused_with_the_fix(
    target_url: str,
) -> None:
    metadata = _not_null_cycle()
    engine = db.create_engine(target_url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            with pytest.raises(SeedError) as caught:
                seed_connection(conn, metadata, 5)
            conn.rollback()
            # left empty, the cycle is no obstacle
            report = seed_connection(conn, metadata, {"department": 0, "employee": 0})
            conn.rollback()
    finally:
        engine.dispose()
    text = caught.value.text
    assert "department.head_id -> employee.id" in text
    assert "employee.department_id -> department.id" in text
    assert "none is DEFERRABLE" in text
    assert "nullable" in text and "deferrable=True" in text
    assert "--rows department=0 --rows employee=0" in text
    assert [t.rows for t in report.tables] == [0, 0]


def test_the_cli_names_the_cycle_and_exits_2(project: Project) -> None:
    project.write_schema(
        "cyc",
        textwrap.dedent(
            """
            from sqlalchemy import ForeignKey, Integer, MetaData
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

            class Base(DeclarativeBase):
                metadata = MetaData()

            class A(Base):
                __tablename__ = "a"
                id: Mapped[int] = mapped_column(primary_key=True)
                b_id: Mapped[int] = mapped_column(ForeignKey("b.id", use_alter=True))

            class B(Base):
                __tablename__ = "b"
                id: Mapped[int] = mapped_column(primary_key=True)
                a_id: Mapped[int] = mapped_column(ForeignKey("a.id"))
            """
        ),
    )
    assert invoke(project, "generate", "cyc", "-m", "init").exit_code == 0
    assert invoke(project, "upgrade", "cyc").exit_code == 0
    result = invoke(project, "seed", "cyc", "--rows", "5")
    assert result.exit_code == 2, result.output
    assert "a.b_id -> b.id" in result.output and "b.a_id -> a.id" in result.output
    assert "Traceback" not in result.output


def test_models_deferrable_but_the_database_not_is_a_clear_error(pg_url: str) -> None:
    engine = db.create_engine(pg_url)
    try:
        _not_null_cycle().create_all(engine)  # the database's constraint: not deferrable
        with engine.connect() as conn:
            with pytest.raises(SeedError, match=r"fk_department_head.* is not"):
                seed_connection(conn, _not_null_cycle(deferrable=True), 5)
            conn.rollback()
    finally:
        engine.dispose()
    assert counts(pg_url) == {"department": 0, "employee": 0}


# --- determinism --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["blog", "shop"])
def test_the_same_seed_gives_the_same_rows(shop: Project, against: str, name: str) -> None:
    shop.copy_example("blog")
    dumps = []
    for value in (7, 7, 8):
        with db.scratch(against) as url:
            migrate.upgrade(shop.cfg, name, url=url)
            seed(shop.cfg, name, url=url, seed=value)
            dumps.append(dump(url))
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


def test_fill_defaults_makes_every_column_repeatable(blog: Project, scratch_url: str) -> None:
    dumps = []
    for _ in range(2):
        with db.scratch("sqlite") as url:
            migrate.upgrade(blog.cfg, "blog", url=url)
            seed(blog.cfg, "blog", url=url, seed=2, fill_defaults=True)
            dumps.append(dump(url, server_filled=True))
    assert dumps[0] == dumps[1]
    published = {row[4] for row in dumps[0]["posts"]}
    assert published == {"True", "False"} or published == {"1", "0"}


def test_rows_do_not_depend_on_faker(blog: Project, tmp_path: Path) -> None:
    """The pools ship with workbench: seeding works, and agrees, with Faker unimportable."""
    urls = [f"sqlite:///{(tmp_path / f'{n}.sqlite3').as_posix()}" for n in ("here", "there")]
    for url in urls:
        migrate.upgrade(blog.cfg, "blog", url=url)
    seed(blog.cfg, "blog", url=urls[0], seed=4)
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["faker"] = None  # any `import faker` now fails
        from workbench.config import Config
        from workbench.seed import seed
        seed(Config.at({str(blog.root)!r}), "blog", url={urls[1]!r}, seed=4)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO)
    assert dump(urls[0]) == dump(urls[1])


# --- counts -------------------------------------------------------------------------------


def test_children_are_a_multiple_of_their_parents_unless_told(blog: Project) -> None:
    metadata = load_schema(blog.cfg, "blog").metadata
    default = plan_rows(metadata)
    assert default["posts"] == 3 * default["users"]
    assert default["comments"] == 3 * default["posts"]
    assert default["post_tags"] == 2 * max(default["posts"], default["tags"])
    more = plan_rows(metadata, {"users": 10})
    assert more["posts"] == 30 and more["tags"] == default["tags"]
    assert set(plan_rows(metadata, 7).values()) == {7}
    mixed = plan_rows(metadata, {EVERY_TABLE: 4, "comments": 40})
    assert mixed["comments"] == 40 and mixed["users"] == 4
    with pytest.raises(SeedError, match=r"Tables: .*users"):
        plan_rows(metadata, {"people": 3})


def test_more_link_rows_than_parent_pairs_fails_clearly(blog: Project) -> None:
    assert invoke(blog, "upgrade", "blog").exit_code == 0
    result = invoke(
        blog, "seed", "blog", "--rows", "posts=3", "--rows", "tags=2", "--rows", "post_tags=7"
    )
    assert result.exit_code == 2
    assert "post_tags" in result.stderr and "at most 6" in result.stderr
    assert "Traceback" not in result.output
    target = blog.cfg.resolve_url("blog")
    assert counts(target)["posts"] == 0  # one transaction: nothing of it stayed


def test_a_count_nobody_asked_for_is_capped_and_said(blog: Project, scratch_url: str) -> None:
    migrate.upgrade(blog.cfg, "blog", url=scratch_url)
    report = seed(blog.cfg, "blog", url=scratch_url, rows={EVERY_TABLE: 10, "tags": 2, "posts": 2})
    link = next(t for t in report.tables if t.table == "post_tags")
    assert (link.rows, link.requested) == (4, 10)


# --- appending, truncating, refusing ------------------------------------------------------


def test_seeding_into_filled_tables_keeps_every_unique(blog: Project, scratch_url: str) -> None:
    migrate.upgrade(blog.cfg, "blog", url=scratch_url)
    with db.connect(scratch_url) as conn:  # rows a user wrote: every name the pool would use
        conn.execute(
            sa.text("INSERT INTO tags (name) VALUES (:name)"), [{"name": t} for t in pools.TAGS]
        )
        conn.commit()
    for _ in range(2):  # the same seed twice makes the same values, unless kept apart
        report = seed(blog.cfg, "blog", url=scratch_url, seed=1, rows=40)
        assert report.integrity is not None and report.integrity.ok
    names = [n for (n,) in query(scratch_url, "SELECT name FROM tags")]
    assert len(names) == len(pools.TAGS) + 80 == len(set(names))
    assert counts(scratch_url)["post_tags"] == 80


def test_truncate_asks_and_yes_confirms(blog: Project) -> None:
    assert invoke(blog, "upgrade", "blog").exit_code == 0
    assert invoke(blog, "seed", "blog", "--rows", "5").exit_code == 0
    refused = invoke(blog, "seed", "blog", "--rows", "5", "--truncate")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    target = blog.cfg.resolve_url("blog")
    assert counts(target)["users"] == 5
    done = invoke(blog, "seed", "blog", "--rows", "5", "--truncate", "--yes")
    assert done.exit_code == 0, done.output
    assert set(counts(target).values()) == {5}
    assert [i for (i,) in query(target, "SELECT id FROM users ORDER BY id")] == [1, 2, 3, 4, 5]


def test_a_target_not_at_head_is_refused(blog: Project, scratch_url: str) -> None:
    with pytest.raises(Refused, match="workbench upgrade blog"):
        seed(blog.cfg, "blog", url=scratch_url)
    result = invoke(blog, "seed", "blog")
    assert result.exit_code == 2 and "upgrade" in result.stderr


# --- the engine on a reflected database (check's use) -------------------------------------


def test_a_reflected_database_seeds_at_any_revision(project: Project, scratch_url: str) -> None:
    project.copy_example("products")
    project.write_revision(
        "products",
        "2099_01_01_second_add_note.py",
        '''
        """add a note and a discount"""
        import sqlalchemy as sa
        from alembic import op

        revision = "second"
        down_revision = "f60ac377185c"
        branch_labels = None
        depends_on = None


        def upgrade() -> None:
            with op.batch_alter_table("orders") as batch:
                batch.add_column(sa.Column("note", sa.String(40), nullable=True))
                batch.add_column(sa.Column("discount", sa.Numeric(4, 2), nullable=False,
                                           server_default="0"))
                batch.create_check_constraint("discount_small", "discount BETWEEN 0 AND 50")


        def downgrade() -> None:
            with op.batch_alter_table("orders") as batch:
                batch.drop_constraint("discount_small", type_="check")
                batch.drop_column("discount")
                batch.drop_column("note")
        ''',
    )
    for revision in ("f60ac377185c", "second"):
        migrate.upgrade(project.cfg, "products", revision, url=scratch_url)
        with db.connect(scratch_url) as conn:
            metadata = reflect(conn)
            assert "alembic_version" not in metadata.tables
            report = seed_connection(conn, metadata, 5, seed=2, fill_defaults=True)
            conn.commit()
        assert set(report.rows.values()) == {5}
        assert report.integrity is not None and report.integrity.ok
    statuses = {s for (s,) in query(scratch_url, "SELECT status FROM products")}
    if scratch_url.startswith("postgresql"):  # the reflected enum keeps its values
        assert statuses <= {"draft", "active", "discontinued"}
    assert all(0 <= float(d) <= 50 for (d,) in query(scratch_url, "SELECT discount FROM orders"))


# --- the command line ---------------------------------------------------------------------


def test_json_is_one_document_with_rows_and_seconds(blog: Project) -> None:
    assert invoke(blog, "upgrade", "blog").exit_code == 0
    result = invoke(blog, "seed", "blog", "--rows", "users=7", "--seed", "3", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["rows"]["users"] == 7 and document["rows"]["posts"] == 21
    assert isinstance(document["seconds"], float)
    assert document["integrity"]["ok"] is True


def test_text_output_has_the_summary_and_the_integrity_check(blog: Project) -> None:
    assert invoke(blog, "upgrade", "blog").exit_code == 0
    result = invoke(blog, "seed", "blog", "--rows", "4", "--sample", "2")
    assert result.exit_code == 0, result.output
    for word in ("rows/s", "total", "integrity", "PRAGMA foreign_key_check", "post_tags"):
        assert word in result.stdout


def test_bad_row_counts_are_usage_errors(blog: Project) -> None:
    result = invoke(blog, "seed", "blog", "--rows", "users=many")
    assert result.exit_code == 2 and "--rows" in result.stderr


def test_the_tour_step_seeds_the_blog(tmp_path: Path) -> None:
    from workbench.cli.tour import STEPS, _run, make_tour_project

    root = make_tour_project(tmp_path / "tour")
    assert _run(root, ("upgrade", "blog")) == 0
    step = next(s for s in STEPS if s.args[0] == "seed")
    assert _run(root, step.args) in step.expect


# --- CHECK constraints as data ------------------------------------------------------------

CHECKS = [
    ("price >= 0", [Bound("price", ">=", 0)]),
    ("(price >= (0)::numeric)", [Bound("price", ">=", 0)]),
    ("0 < quantity", [Bound("quantity", ">", 0)]),
    ("grade BETWEEN 0 AND 100", [Bound("grade", ">=", 0), Bound("grade", "<=", 100)]),
    ("status IN ('a', 'b')", [Among("status", ("a", "b"))]),
    (
        "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
        [Among("status", ("a", "b"))],
    ),
    ("rating NOT IN (3, 4)", [Bound("rating", "<>", 3), Bound("rating", "<>", 4)]),
    ("ends_at > starts_at", [Order("ends_at", ">", "starts_at")]),
    ("length(code) >= 3", [Length("code", ">=", 3)]),
    ("note IS NOT NULL", [NotNull("note")]),
    ("kind IN ('x') OR kind IS NULL", [Among("kind", ("x",))]),
    ("born < CURRENT_DATE", [Bound("born", "<", NOW)]),
    ("t.a >= -1.5 AND NOT (b = 2)", [Bound("a", ">=", -1.5), Bound("b", "<>", 2)]),
]


@pytest.mark.parametrize(("text", "atoms"), CHECKS)
def test_checks_of_the_common_forms_are_understood(text: str, atoms: list[Any]) -> None:
    info = parse_check_constraint(text)
    assert info.complete
    assert list(info.atoms) == atoms


@pytest.mark.parametrize("text", ["a > 1 OR b < 2", "lower(x) = x", "x + 1 > y", "((("])
def test_other_checks_are_left_to_the_database(text: str) -> None:
    assert not parse_check_constraint(text).complete


def test_dates_are_in_the_past_where_they_must_be(examples: Project, scratch_url: str) -> None:
    migrate.upgrade(examples.cfg, "student_course", url=scratch_url)
    seed(examples.cfg, "student_course", url=scratch_url)
    births = [b for (b,) in query(scratch_url, "SELECT birth_date FROM students") if b]
    today = date.today().isoformat()
    assert births and all(str(b) < today for b in births)
    assert all(datetime.fromisoformat(str(b)).year >= 1900 for b in births)


def _documented_commands() -> list[str]:
    section = readme_section("Seed data")
    docs = (REPO / "docs" / "seed.md").read_text(encoding="utf-8")
    lines = [
        line.split("#", 1)[0].strip()
        for block in re.findall(r"```sh\n(.*?)```", section + docs, re.S)
        for line in block.splitlines()
    ]
    return [line for line in lines if line.startswith("workbench seed")]


def test_the_documented_commands_run(blog: Project) -> None:
    commands = _documented_commands()
    assert len(commands) >= 8
    assert invoke(blog, "upgrade", "blog").exit_code == 0
    for line in commands:
        result = invoke(blog, *shlex.split(line)[1:])
        assert result.exit_code == 0, f"{line}: {result.output}"


@pytest.mark.postgres
def test_a_bulk_load_puts_back_the_exact_foreign_keys(blog: Project, pg_url: str) -> None:
    """Large PostgreSQL tables are copied with their foreign keys re-added after: same keys."""
    migrate.upgrade(blog.cfg, "blog", url=pg_url)
    definitions = (
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' ORDER BY 1, 2"
    )
    before = query(pg_url, definitions)
    report = seed(blog.cfg, "blog", url=pg_url, rows={"users": 200, "comments": 25_000})
    assert report.rows["comments"] == 25_000 and report.integrity is not None
    assert report.integrity.ok
    assert query(pg_url, definitions) == before


# --- type-faithful values: the application's ORM reads every seeded row back ----------------


class GUID(sa.TypeDecorator[uuid.UUID]):
    """SQLAlchemy's documented backend-agnostic GUID: CHAR(32) hex, or PostgreSQL's UUID."""

    impl = sa.CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.UUID())
        return dialect.type_descriptor(sa.CHAR(32))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return value
        if dialect.name == "postgresql":
            return str(value)
        if not isinstance(value, uuid.UUID):
            return f"{uuid.UUID(value).int:032x}"
        return f"{value.int:032x}"

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)


class Tier(enum.Enum):
    FREE = "free"
    PRO = "pro"


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


class JsonText(sa.TypeDecorator[dict[str, Any]]):
    """A dict kept as JSON text: a custom type whose storage is plain TEXT."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


def _typed_models(backend: str) -> tuple[sa.MetaData, type, type]:
    class Base(DeclarativeBase):
        pass

    class Account(Base):
        __tablename__ = "account"
        id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True)
        token: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
        handle: Mapped[str] = mapped_column(AutoString, unique=True)
        tier: Mapped[Tier] = mapped_column(sa.Enum(Tier))
        size: Mapped[Size] = mapped_column(
            sa.Enum(Size, values_callable=lambda e: [m.value for m in e])
        )
        settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
        extra: Mapped[dict[str, Any]] = mapped_column(JsonText)
        if backend == "postgresql":
            tags: Mapped[list[str]] = mapped_column(postgresql.ARRAY(sa.String(20)))
            scores: Mapped[list[int]] = mapped_column(postgresql.ARRAY(sa.Integer))

    class Login(Base):
        __tablename__ = "login"
        id: Mapped[int] = mapped_column(primary_key=True)
        account_id: Mapped[uuid.UUID] = mapped_column(GUID(), sa.ForeignKey("account.id"))
        session: Mapped[uuid.UUID | None] = mapped_column(GUID())

    return Base.metadata, Account, Login


def test_seeded_rows_of_custom_types_read_back_through_the_orm(target_url: str) -> None:
    from sqlalchemy.orm import Session

    backend = sa.make_url(target_url).get_backend_name()
    metadata, account, login = _typed_models(backend)
    engine = db.create_engine(target_url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            seed_connection(conn, metadata, {"account": 40, "login": 120}, seed=3)
            conn.commit()
        with Session(engine) as session:
            accounts: Sequence[Any] = session.scalars(sa.select(account)).all()
            logins: Sequence[Any] = session.scalars(sa.select(login)).all()
    finally:
        engine.dispose()
    assert len(accounts) == 40 and len(logins) == 120
    assert all(isinstance(a.id, uuid.UUID) and isinstance(a.token, uuid.UUID) for a in accounts)
    assert len({a.id for a in accounts}) == 40
    assert {a.tier for a in accounts} <= set(Tier) and {a.size for a in accounts} <= set(Size)
    assert all(isinstance(a.settings, dict) and isinstance(a.extra, dict) for a in accounts)
    assert {lg.account_id for lg in logins} <= {a.id for a in accounts}
    assert any(lg.session is not None for lg in logins)
    assert all(s is None or isinstance(s, uuid.UUID) for s in (lg.session for lg in logins))
    if backend == "postgresql":
        assert all(isinstance(a.tags, list) and isinstance(a.scores, list) for a in accounts)
        assert any(a.tags for a in accounts) and all(
            isinstance(s, int) for a in accounts for s in a.scores
        )


def test_a_custom_type_that_takes_no_value_is_a_clear_error(tmp_path: Path) -> None:
    class Picky(sa.TypeDecorator[str]):
        impl = sa.String
        cache_ok = True

        def process_bind_param(self, value: Any, dialect: Any) -> Any:
            raise ValueError("no")

    metadata = sa.MetaData()
    sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", Picky()))
    metadata.tables["t"].c.v.nullable = False
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = db.create_engine(url)
    metadata.create_all(engine)
    with engine.connect() as conn, pytest.raises(SeedError, match=r"t\.v .*info=\{\"seed\""):
        seed_connection(conn, metadata, 5)
    engine.dispose()


def _house_code(rng: Any) -> str:
    return f"H-{rng.randrange(1000):03d}"


def test_a_column_chooses_its_generator_in_the_models(target_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "pupil",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nick", sa.String(40), nullable=False, info={"seed": "first_name"}),
        sa.Column("house", sa.String(10), nullable=False, info={"seed": ["red", "blue"]}),
        sa.Column("code", sa.String(10), nullable=False, info={"seed": _house_code}),
        sa.Column("born", sa.Date, nullable=False, info={"seed": [date(2010, 3, 1)]}),
    )
    engine = db.create_engine(target_url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            seed_connection(conn, metadata, 50, seed=1)
            conn.commit()
            rows = conn.execute(sa.text("SELECT nick, house, code, born FROM pupil")).all()
    finally:
        engine.dispose()
    assert len(rows) == 50
    assert {r.nick for r in rows} <= set(pools.FIRST_NAMES)
    assert {r.house for r in rows} == {"red", "blue"}
    assert all(re.fullmatch(r"H-\d{3}", r.code) for r in rows)
    assert {str(r.born)[:10] for r in rows} == {"2010-03-01"}


def test_an_unknown_generator_name_is_a_clear_error(tmp_path: Path) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "t",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("v", sa.String, info={"seed": "no_such_maker"}),
    )
    with pytest.raises(SeedError, match=r"t\.v asks for the seed generator 'no_such_maker'"):
        plan_rows(metadata)


# --- foreign-key cycles, composite uniques, awkward identifiers ---------------------------


def _dvd_rental() -> sa.MetaData:
    """store.manager_staff_id -> staff (use_alter, nullable, UNIQUE); staff.store_id -> store."""
    metadata = sa.MetaData()
    sa.Table(
        "store",
        metadata,
        sa.Column("store_id", sa.Integer, primary_key=True),
        sa.Column(
            "manager_staff_id",
            sa.Integer,
            sa.ForeignKey("staff.staff_id", use_alter=True, name="fk_store_manager"),
            nullable=True,
        ),
        sa.UniqueConstraint("manager_staff_id", name="uq_store_manager_staff_id"),
    )
    sa.Table(
        "staff",
        metadata,
        sa.Column("staff_id", sa.Integer, primary_key=True),
        sa.Column("store_id", sa.Integer, sa.ForeignKey("store.store_id"), nullable=False),
        sa.Column("username", sa.String(16), nullable=False),
    )
    return metadata


def _seed_into(url: str, metadata: sa.MetaData, rows: Any) -> Any:
    engine = db.create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            report = seed_connection(conn, metadata, rows, seed=2)
            conn.commit()
        return report
    finally:
        engine.dispose()


def test_a_cycle_with_a_unique_nullable_edge_is_seeded(target_url: str) -> None:
    report = _seed_into(target_url, _dvd_rental(), {"store": 20, "staff": 60})
    assert report.integrity is not None and report.integrity.ok
    managers = query(target_url, "SELECT manager_staff_id FROM store")
    filled = [m for (m,) in managers if m is not None]
    assert len(filled) == len(set(filled)) > 0


def _two_composite_uniques() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("a", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("b", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "ab",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.Integer, sa.ForeignKey("a.id"), nullable=False),
        sa.Column("b_id", sa.Integer, sa.ForeignKey("b.id"), nullable=False),
        sa.Column("slot", sa.Integer, sa.CheckConstraint("slot BETWEEN 1 AND 3"), nullable=False),
        sa.UniqueConstraint("a_id", "b_id", name="uq_ab_pair"),
        sa.UniqueConstraint("a_id", "slot", name="uq_ab_slot"),
    )
    return metadata


def test_a_table_with_two_composite_uniques_can_be_left_empty(target_url: str) -> None:
    report = _seed_into(target_url, _two_composite_uniques(), {"ab": 0})
    assert {t.table: t.rows for t in report.tables}["ab"] == 0


def test_awkward_identifiers_are_seeded(target_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "it's",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a%b", sa.String(20), nullable=False),
        sa.Column("order", sa.Integer, nullable=False),
        sa.Column('say "hi"', sa.String(20), unique=True),
    )
    sa.Table(
        "user",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("it's_id", sa.Integer, sa.ForeignKey("it's.id"), nullable=False),
    )
    report = _seed_into(target_url, metadata, {"it's": 30, "user": 40})
    assert {t.table: t.rows for t in report.tables} == {"it's": 30, "user": 40}


def test_truncate_refuses_when_a_table_outside_the_schema_refers_to_it(target_url: str) -> None:
    ours = sa.MetaData()
    sa.Table("parent", ours, sa.Column("id", sa.Integer, primary_key=True))
    everything = sa.MetaData()
    sa.Table("parent", everything, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "audit",
        everything,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", ondelete="CASCADE")),
    )
    engine = db.create_engine(target_url)
    try:
        everything.create_all(engine)
        with engine.connect() as conn:
            conn.execute(sa.text("INSERT INTO parent (id) VALUES (1)"))
            conn.execute(sa.text("INSERT INTO audit (id, parent_id) VALUES (1, 1)"))
            conn.commit()
        with (
            engine.connect() as conn,
            pytest.raises(SeedError, match=r"audit, which the schema does not declare"),
        ):
            try:
                seed_connection(conn, ours, 5, truncate=True)
            finally:
                conn.rollback()
    finally:
        engine.dispose()
    assert query(target_url, "SELECT id, parent_id FROM audit") == [(1, 1)]
    assert query(target_url, "SELECT id FROM parent") == [(1,)]


def test_values_follow_the_column_names(target_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "student",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("full_name", sa.String(80), nullable=False),
        sa.Column("username", sa.String(60), nullable=False),
        sa.Column("student_number", sa.String(12), nullable=False, unique=True),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    _seed_into(target_url, metadata, {"student": 200})
    rows = query(
        target_url, "SELECT full_name, username, student_number, grade, created_at FROM student"
    )
    assert len(rows) == 200
    for name, username, number, grade, _ in rows:
        first, last = name.split()[0], name.split()[-1]
        assert username == f"{first}_{last}".lower()
        assert re.fullmatch(r"S-\d{6}", number)
        assert grade in {"A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "F"}
    assert len({str(r[4]) for r in rows}) > 150  # spread, not one now() for every row


def test_a_table_with_two_composite_uniques_over_foreign_keys_is_seeded(target_url: str) -> None:
    report = _seed_into(target_url, _two_composite_uniques(), {"a": 10, "b": 10, "ab": 25})
    assert report.integrity is not None and report.integrity.ok
    rows = query(target_url, "SELECT a_id, b_id, slot FROM ab")
    assert len(rows) == 25
    assert len({(a, b) for a, b, _ in rows}) == len({(a, s) for a, _, s in rows}) == 25


@pytest.mark.parametrize(
    "uniques",
    [
        [("a_id", "b_id"), ("b_id", "c_id")],
        [("a_id", "b_id"), ("c_id", "day")],
        [("a_id", "b_id", "c_id"), ("a_id", "b_id")],
        [("a_id", "day"), ("b_id", "day")],
        [("a_id", "b_id"), ("a_id", "c_id"), ("b_id", "c_id")],
    ],
    ids=["share-second", "disjoint", "superset-first", "share-a-date", "three-pairs"],
)
def test_composite_uniques_that_share_no_leading_column_are_seeded(
    target_url: str, uniques: list[tuple[str, ...]]
) -> None:
    metadata = sa.MetaData()
    for name in "abc":
        sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "x",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        *[
            sa.Column(f"{t}_id", sa.Integer, sa.ForeignKey(f"{t}.id"), nullable=False)
            for t in "abc"
        ],
        sa.Column("day", sa.Date, nullable=False),
        *[sa.UniqueConstraint(*u, name=f"uq_x_{i}") for i, u in enumerate(uniques)],
    )
    report = _seed_into(target_url, metadata, {"a": 10, "b": 10, "c": 10, "x": 50})
    assert report.integrity is not None and report.integrity.ok
    rows = query(target_url, "SELECT a_id, b_id, c_id, day FROM x")
    assert len(rows) == 50
    index = {"a_id": 0, "b_id": 1, "c_id": 2, "day": 3}
    for u in uniques:
        assert len({tuple(r[index[c]] for c in u) for r in rows}) == 50, u


def test_drawn_composite_uniques_are_capped_or_refused_at_their_room(target_url: str) -> None:
    def schema() -> sa.MetaData:
        metadata = sa.MetaData()
        for name in "abc":
            sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table(
            "x",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            *[
                sa.Column(f"{t}_id", sa.Integer, sa.ForeignKey(f"{t}.id"), nullable=False)
                for t in "abc"
            ],
            sa.UniqueConstraint("a_id", "b_id", name="uq_x_ab"),
            sa.UniqueConstraint("b_id", "c_id", name="uq_x_bc"),
        )
        return metadata

    # (a, b) and (b, c) over 3 rows each: 9 rows at most
    engine = db.create_engine(target_url)
    try:
        schema().create_all(engine)
        with engine.connect() as conn:
            capped = seed_connection(conn, schema(), {"a": 3, "b": 3, "c": 3, "*": 40}, seed=1)
            conn.rollback()
            with pytest.raises(SeedError, match=r"\(a_id, b_id\) and \(b_id, c_id\)"):
                seed_connection(conn, schema(), {"a": 3, "b": 3, "c": 3, "x": 40})
            conn.rollback()
    finally:
        engine.dispose()
    x = next(t for t in capped.tables if t.table == "x")
    assert 0 < x.rows <= 9 and x.requested == 40
    assert capped.integrity is not None and capped.integrity.ok


def test_sqlite_numbers_a_rowid_key_itself_only_where_it_gives_the_same_keys(
    tmp_path: Path,
) -> None:
    # An INTEGER PRIMARY KEY is left to SQLite (the same numbers, one value less to bind);
    # AUTOINCREMENT would skip numbers once used, so its keys are written.
    metadata = sa.MetaData()
    sa.Table(
        "counter",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
        sqlite_autoincrement=True,
    )
    sa.Table(
        "tick",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("counter_id", sa.Integer, sa.ForeignKey("counter.id"), nullable=False),
    )
    # every column left to SQLite: the rows are inserted with DEFAULT VALUES
    sa.Table(
        "beat",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("hits", sa.Integer, server_default=sa.text("0"), nullable=False),
    )
    url = f"sqlite:///{tmp_path / 'rowid.db'}"
    engine = db.create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("INSERT INTO counter (id) VALUES (40)")
            conn.exec_driver_sql("DELETE FROM counter")  # sqlite_sequence stays at 40
            conn.commit()
            report = seed_connection(conn, metadata, {"counter": 7, "tick": 12, "beat": 9})
            conn.commit()
    finally:
        engine.dispose()
    assert report.integrity is not None and report.integrity.ok
    assert query(url, "SELECT id FROM counter ORDER BY id") == [(i,) for i in range(1, 8)]
    assert query(url, "SELECT id FROM tick ORDER BY id") == [(i,) for i in range(1, 13)]
    assert query(url, "SELECT id, hits FROM beat ORDER BY id") == [(i, 0) for i in range(1, 10)]
