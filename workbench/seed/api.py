"""The seed engine's entry points: :func:`seed`, :func:`seed_connection`, :func:`reflect`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.config import Config
from workbench.errors import Refused, SeedError
from workbench.results import SeedReport, TableSeed
from workbench.seed.catalog import (
    Catalog,
    OnProgress,
    Rows,
    analyse,
    row_counts,
)
from workbench.seed.deferral import deferral
from workbench.seed.planner import Plan, Planner
from workbench.seed.slots import Keys
from workbench.seed.verify import integrity_check, samples
from workbench.seed.writer import Writer, empty_tables, fill_deferred, write_table

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection


def reflect(conn: Connection) -> MetaData:
    """The tables of ``conn``'s database as they are now: the schema's tables only.

    The same tables as :func:`workbench.db.reflect` (no ``alembic_version``, no
    ``_alembic_tmp_*`` leftovers of a failed batch operation).

    Example:
        >>> seed_connection(conn, reflect(conn), 5)  # doctest: +SKIP
    """
    return db.reflect(conn)


def seed_connection(
    conn: Connection,
    metadata: MetaData,
    rows: Rows = None,
    *,
    seed: int = 0,
    truncate: bool = False,
    fill_defaults: bool = False,
    verify: bool = True,
    sample: int = 0,
    on_progress: OnProgress | None = None,
    schema: str = "",
) -> SeedReport:
    """Seed the tables of ``metadata`` through ``conn``, in its transaction; the caller commits.

    Args:
        conn: an open SQLite or PostgreSQL connection (a transaction is begun
            if none is open, and left open).
        metadata: the models' MetaData, or :func:`reflect` of the database.
        rows: an ``int`` for every table, a ``{table: count}`` mapping (``"*"``
            for the tables not named), or ``None`` for the defaults.
        seed: the same seed into the same tables gives the same rows.
        truncate: empty every table of ``metadata`` first.
        fill_defaults: generate values for columns that have a server default
            too (by default those are left to the server).
        verify: ask the database afterwards whether every foreign key, unique
            and check constraint of the seeded tables holds.
        sample: read back this many rows of each seeded table.
        on_progress: ``on_progress(table, done, total)`` after each batch.
        schema: the schema's name, for the report.

    Raises:
        SeedError: an impossible count, a type or constraint the engine cannot
            satisfy (the failing CHECK named); nothing of the failed run holds
            once the caller rolls back.

    Example:
        >>> with db.connect(url) as conn:  # doctest: +SKIP
        ...     report = seed_connection(conn, reflect(conn), 5, seed=1)
        ...     conn.commit()
    """
    started = time.perf_counter()
    backend = conn.dialect.name
    if backend not in ("sqlite", "postgresql"):
        raise SeedError(
            f"cannot seed a {backend} database.", hint="workbench seeds SQLite and PostgreSQL."
        )
    catalog = analyse(metadata, conn.dialect)
    counts = row_counts(catalog, rows)
    if not conn.in_transaction():
        conn.begin()
    with sqlite_cache(conn):
        return seed_tables(
            conn,
            catalog,
            counts,
            seed,
            truncate,
            fill_defaults,
            verify,
            sample,
            on_progress,
            schema,
            started,
        )


@contextlib.contextmanager
def sqlite_cache(conn: Connection) -> Iterator[None]:
    """A 64 MB SQLite page cache while seeding: foreign keys spread over parents read pages
    at random, and the default 2 MB makes that the bottleneck. The old size comes back after.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    driver: Any = conn.connection.driver_connection
    before = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size = {min(int(before), -65536)}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = {int(before)}")


def seed_tables(
    conn: Connection,
    catalog: Catalog,
    counts: dict[str, tuple[int, bool]],
    seed: int,
    truncate: bool,
    fill_defaults: bool,
    verify: bool,
    sample: int,
    on_progress: OnProgress | None,
    schema: str,
    started: float,
) -> SeedReport:
    backend = conn.dialect.name
    truncated = empty_tables(conn, catalog) if truncate else ()
    asked = {key: n for key, (n, _) in counts.items()}
    deferred = deferral(conn, catalog, asked)
    deferred.begin()
    writer = Writer(conn, keep=frozenset(deferred.bare))
    keys: dict[tuple[str, tuple[str, ...]], Keys] = {}
    written: dict[str, int] = {}
    planner = Planner(conn, catalog, seed, fill_defaults, keys, written, asked)
    plans: list[Plan] = []
    results: list[TableSeed] = []
    for info in catalog.order:
        count, explicit = counts[info.key]
        began = time.perf_counter()
        plan = planner.plan(info, count, explicit)
        write_table(writer, plan, seed, on_progress)
        for cols, found in plan.keys.items():
            keys[(info.key, cols)] = found
        written[info.key] = plan.count
        plans.append(plan)
        results.append(
            TableSeed(info.name, plan.count, time.perf_counter() - began, plan.requested)
        )
    fill_deferred(writer, planner, plans, seed)
    deferred.end()
    seconds = time.perf_counter() - started
    touched = [p.info.key for p in plans if p.count > 0]
    integrity = integrity_check(conn, catalog, set(touched)) if verify else None
    if integrity is not None and not integrity.ok:
        raise SeedError(
            "the integrity check after seeding found problems: "
            + "; ".join(integrity.problems)
            + ".",
            hint="Nothing was committed. Leave the tables named there empty (--rows TABLE=0) or "
            'say how to make the columns\' values in the models (info={"seed": ...}; see '
            "docs/seed.md).",
        )
    return SeedReport(
        schema=schema,
        target=db.redact(conn.engine.url),
        backend=backend,
        seed=seed,
        tables=tuple(results),
        seconds=seconds,
        integrity=integrity,
        truncated=truncated,
        samples=samples(conn, catalog, touched, sample) if sample > 0 else (),
    )


def seed(
    cfg: Config,
    schema: str,
    *,
    rows: Rows = None,
    seed: int = 0,
    url: str | None = None,
    truncate: bool = False,
    fill_defaults: bool = False,
    sample: int = 0,
    on_progress: OnProgress | None = None,
) -> SeedReport:
    """Fill the target of ``schema`` with rows that satisfy every constraint, and commit.

    The target must be at the head of the schema's history (the models are
    what is seeded). Everything happens in one transaction: an error leaves
    the target as it was.

    Example:
        >>> seed(Config.at("."), "blog", rows={"users": 50}, seed=7)  # doctest: +SKIP
    """
    from workbench.loader import load_schema
    from workbench.migrate import current
    from workbench.modelcheck import require_built

    loaded = load_schema(cfg, schema)
    where = current(cfg, schema, url=url)
    if where.revision is None or not where.at_head:
        at = f"revision {where.revision}" if where.revision else "no revision (it is empty)"
        raise Refused(
            f"{where.target} is at {at}, not at the head {where.head} of {schema!r}: the rows "
            "would be made for tables the database does not have yet.",
            hint=f"Run `workbench upgrade {schema}` first.",
        )
    target = cfg.resolve_url(schema, url)
    with db.connect(target) as conn:
        require_built(conn, loaded.metadata, schema, "the target")
        try:
            report = seed_connection(
                conn,
                loaded.metadata,
                rows,
                seed=seed,
                truncate=truncate,
                fill_defaults=fill_defaults,
                sample=sample,
                on_progress=on_progress,
                schema=schema,
            )
        except BaseException as exc:
            conn.rollback()
            read_only = db.read_only_error(exc, target)
            if read_only is not None:
                raise read_only from None
            raise
        conn.commit()
    return replace(report, target=where.target)
