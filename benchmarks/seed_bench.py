"""Seed data, side by side with the plain tools, in one run on one machine.

(a) the raw limit: plain ``sqlite3`` ``executemany`` and psycopg ``COPY``
    (``write_row``) of rows built before the clock starts;
(b) the naive path: Faker values and the ORM's ``add_all`` (timed on fewer
    rows, reported as rows per second);
(c) ``workbench seed`` (:func:`workbench.seed.seed_connection`: generation,
    insert, sequence fix-up; the integrity check is timed separately). On
    PostgreSQL, tables of 20,000 rows or more are copied with their foreign keys
    re-added after (one validating join instead of a locking lookup per row);
    (a) copies with the foreign keys in place, as a plain COPY does.

(a) writes exactly the rows (c) writes (made once beforehand and read back).

Each into the blog schema (its five tables in the default proportions) and
into a 4-column table, on SQLite and PostgreSQL. ``--memory N`` also seeds N
rows into the 4-column table in a child process and reports its peak RSS.

    python benchmarks/seed_bench.py --rows 1000000 --memory 10000000
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from workbench import db, migrate
from workbench.config import Config
from workbench.seed import seed_connection

REPO = Path(__file__).resolve().parents[1]
BLOG_SHARE = {"users": 1, "posts": 3, "comments": 9, "post_tags": 6}
"""The blog's default proportions (tags stay at 100)."""
BLOG_ORDER = ("tags", "users", "posts", "comments", "post_tags")
CPU: dict[str, float] = {}
"""CPU seconds of this process in the last (a) and (c): on SQLite, all of the work."""


class _Base(DeclarativeBase):
    pass


class Item(_Base):
    """The 4-column table."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    amount: Mapped[float] = mapped_column(sa.Numeric(10, 2))
    created_at: Mapped[Any] = mapped_column(sa.DateTime)


# --- targets ------------------------------------------------------------------------------


@contextmanager
def target(backend: str, server: str, schema: str) -> Iterator[str]:
    """A scratch database holding the blog (at head) or the items table."""
    with db.scratch("sqlite" if backend == "sqlite" else server) as url:
        if schema == "blog":
            migrate.upgrade(Config.at(REPO), "blog", url=url)
        else:
            engine = db.create_engine(url)
            _Base.metadata.create_all(engine)
            engine.dispose()
        yield url


def blog_counts(total: int) -> dict[str, int]:
    unit = max(1, (total - 100) // sum(BLOG_SHARE.values()))
    return {"tags": 100, **{t: k * unit for t, k in BLOG_SHARE.items()}}


# --- (a) raw ------------------------------------------------------------------------------


def raw_rows(schema: str, total: int) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Exactly the rows (c) writes, built before the clock starts: (columns, rows) per table.

    They are made by seeding a scratch SQLite file once and reading it back, so
    (a) and (c) write the same bytes with the same foreign-key spread, and the
    difference between them is the cost of making the rows.
    """
    with target("sqlite", "", schema) as url:
        run_seed(url, schema, total)
        with db.connect(url) as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn)
            out = {}
            for name in ["items"] if schema == "items" else list(BLOG_ORDER):
                table = metadata.tables[name]
                cols = [c for c in table.columns if c.primary_key or c.server_default is None]
                listed = ", ".join(c.name for c in cols)
                keys = ", ".join(c.name for c in table.primary_key.columns)
                # the driver's own values (text timestamps, floats), as a raw loader would have
                sql = f"SELECT {listed} FROM {name} ORDER BY {keys}"
                rows = [tuple(r) for r in conn.exec_driver_sql(sql)]
                out[name] = ([c.name for c in cols], rows)
    return out


def run_raw(url: str, tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    engine = db.create_engine(url)
    conn = engine.raw_connection()
    driver: Any = conn.driver_connection
    # a million pre-built tuples would make every garbage collection walk them: the raw
    # limit is measured without that
    gc.collect()
    gc.freeze()
    started, cpu = time.perf_counter(), time.process_time()
    if url.startswith("sqlite"):
        driver.execute("PRAGMA cache_size = -65536")  # the page cache workbench seeds with
        driver.execute("BEGIN")
        for table, (cols, rows) in tables.items():
            marks = ", ".join("?" for _ in cols)
            driver.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
        driver.execute("COMMIT")
    else:
        with driver.cursor() as cursor:
            for table, (cols, rows) in tables.items():
                with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        driver.commit()
    seconds = time.perf_counter() - started
    CPU["(a)"] = time.process_time() - cpu
    gc.unfreeze()
    conn.close()
    engine.dispose()
    return seconds


# --- (b) naive ----------------------------------------------------------------------------


def run_naive(url: str, schema: str, total: int) -> float:
    """Faker for every value, the ORM's add_all, one commit."""
    from faker import Faker

    fake = Faker()
    Faker.seed(0)
    fake.name()  # Faker loads its providers on first use: not part of the timing
    engine = db.create_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        if schema == "items":
            session.add_all(
                Item(
                    name=fake.name(),
                    amount=fake.pydecimal(left_digits=4, right_digits=2, positive=True),
                    created_at=fake.date_time(),
                )
                for _ in range(total)
            )
        else:
            from workbench.loader import load_schema

            module = load_schema(Config.at(REPO), "blog").module
            n = blog_counts(total)
            users = [
                module.User(email=fake.unique.email(), name=fake.name()) for _ in range(n["users"])
            ]
            session.add_all(users)
            session.flush()
            posts = [
                module.Post(
                    author_id=random.choice(users).id, title=fake.sentence(), body=fake.text()
                )
                for _ in range(n["posts"])
            ]
            session.add_all(posts)
            session.flush()
            session.add_all(
                module.Comment(
                    post_id=random.choice(posts).id,
                    author_id=random.choice(users).id,
                    body=fake.paragraph(),
                )
                for _ in range(n["comments"])
            )
        session.commit()
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


# --- (c) workbench seed -------------------------------------------------------------------


def run_seed(url: str, schema: str, total: int) -> tuple[float, float, int]:
    """(seconds seeding, seconds of the integrity check, rows written)."""
    with db.connect(url) as conn:
        if schema == "items":
            metadata: sa.MetaData = _Base.metadata
            rows: Any = {"items": total}
        else:
            from workbench.loader import load_schema

            metadata = load_schema(Config.at(REPO), "blog").metadata
            rows = blog_counts(total)
        started, cpu = time.perf_counter(), time.process_time()
        report = seed_connection(conn, metadata, rows, seed=1, verify=False)
        CPU["(c)"] = time.process_time() - cpu
        seeded = time.perf_counter()
        seed_connection(conn, metadata, dict.fromkeys(metadata.tables, 0), verify=True)
        conn.commit()
        checked = time.perf_counter() - seeded
    return seeded - started, checked, report.total


# --- the cost of type-faithful values ------------------------------------------------------


class _GUID(sa.TypeDecorator[Any]):
    """SQLAlchemy's documented GUID: CHAR(32) hex on SQLite, UUID on PostgreSQL."""

    impl = sa.CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.UUID())
        return dialect.type_descriptor(sa.CHAR(32))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return value
        return str(value) if dialect.name == "postgresql" else f"{value.int:032x}"

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        import uuid

        return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(value)


def typed_cost(backend: str, server: str, total: int) -> None:
    """(c) into the 4-column table, then into the same shape with a GUID key and a SQLModel
    UTCDateTime (values through the types' bind processing): rows/s of each."""
    from sqlmodel.sql.sqltypes import UTCDateTime

    typed = sa.MetaData()
    sa.Table(
        "items",
        typed,
        sa.Column("id", _GUID(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    rates = []
    for metadata in (_Base.metadata, typed):
        with db.scratch("sqlite" if backend == "sqlite" else server) as url:
            engine = db.create_engine(url)
            metadata.create_all(engine)
            engine.dispose()
            with db.connect(url) as conn:
                started = time.perf_counter()
                seed_connection(conn, metadata, {"items": total}, seed=1, verify=False)
                conn.commit()
                rates.append(total / (time.perf_counter() - started))
    print(
        f"{backend:<11}typed: built-in types {rates[0]:,.0f} rows/s, GUID key + UTCDateTime "
        f"{rates[1]:,.0f} rows/s ({rates[1] / rates[0]:.2f}x)"
    )


# --- memory -------------------------------------------------------------------------------


def memory_child(backend: str, server: str, total: int) -> None:
    """Seed ``total`` rows into items, then print this process's peak RSS in KiB.

    The peak is ``VmHWM``, not ``ru_maxrss``: Linux keeps ``ru_maxrss`` across
    ``execve``, so a child would report its parent's peak at fork time.
    """
    with target(backend, server, "items") as url, db.connect(url) as conn:
        seed_connection(conn, _Base.metadata, {"items": total}, seed=1, verify=False)
        conn.commit()
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        print(line.split()[1])
    else:  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss_mb(backend: str, server: str, total: int) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process seeding ``total`` rows, and its wall time."""
    started = time.perf_counter()
    command = [sys.executable, __file__, "--memory-child", backend, "--server", server]
    child = subprocess.run(
        [*command, "--rows", str(total)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    return int(child.stdout.split()[-1]) / 1024, seconds


# --- the run ------------------------------------------------------------------------------


def _shower(backend: str, schema: str, rates: dict[str, float]) -> Any:
    def show(path: str, rows: int, seconds: float) -> None:
        rates[path] = rows / seconds
        rate = f"{rates[path]:>11,.0f}"
        print(f"{backend:<11}{schema:<7}{path:<28}{rows:>10,}{seconds:>9.2f}{rate}")

    return show


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "WORKBENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--memory", type=int, default=0, help="rows for the peak-RSS run (0: skip)")
    parser.add_argument("--memory-only", action="store_true", help="only the peak-RSS run")
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--typed", type=int, default=0, help="rows for the type-faithful cost run (0: skip)"
    )
    args = parser.parse_args()
    if args.typed:
        for backend in args.backends.split(","):
            typed_cost(backend, args.server, args.typed)
        return
    if args.memory_child:
        memory_child(args.memory_child, args.server, args.rows)
        return
    print(f"rows: {args.rows:,} (naive path: {args.naive_rows:,}), python {sys.version.split()[0]}")
    header = f"{'backend':<11}{'schema':<7}{'path':<28}{'rows':>10}{'seconds':>9}{'rows/s':>11}"
    print(header)
    for backend in [] if args.memory_only else args.backends.split(","):
        for schema in ("items", "blog"):
            rates: dict[str, float] = {}
            show = _shower(backend, schema, rates)

            tables = raw_rows(schema, args.rows)
            written = sum(len(rows) for _, rows in tables.values())
            with target(backend, args.server, schema) as url:
                show(
                    "(a) raw " + ("executemany" if backend == "sqlite" else "COPY"),
                    written,
                    run_raw(url, tables),
                )
            del tables
            with target(backend, args.server, schema) as url:
                naive_total = args.naive_rows
                seconds = run_naive(url, schema, naive_total)
                show(
                    "(b) Faker + ORM add_all",
                    naive_total
                    if schema == "items"
                    else sum(
                        v
                        for k, v in blog_counts(naive_total).items()
                        if k in ("users", "posts", "comments")
                    ),
                    seconds,
                )
            with target(backend, args.server, schema) as url:
                seeding, checking, rows = run_seed(url, schema, args.rows)
                show("(c) workbench seed", rows, seeding)
                print(f"{'':<18}  integrity check after (c): {checking:.2f} s")
            raw = next(v for k, v in rates.items() if k.startswith("(a)"))
            naive = rates["(b) Faker + ORM add_all"]
            ours = rates["(c) workbench seed"]
            print(f"{'':<18}  (c)/(a) = {ours / raw:.2f}x   (c)/(b) = {ours / naive:.0f}x")
            if backend == "sqlite":  # everything runs in this process: CPU time ignores load
                a_cpu, c_cpu = CPU["(a)"], CPU["(c)"]
                print(
                    f"{'':<18}  CPU: (a) {a_cpu:.2f} s, (c) {c_cpu:.2f} s, "
                    f"(c)/(a) by CPU = {a_cpu / c_cpu:.2f}x"
                )
    if args.memory:
        for backend in args.backends.split(","):
            mb, seconds = peak_rss_mb(backend, args.server, args.memory)
            what = f"peak RSS, {args.memory:,} rows into items on {backend}"
            print(f"{what}: {mb:.0f} MB ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
