"""The writer: a plan's batches to the database, as fast as the driver allows.

SQLite gets ``executemany`` in the caller's transaction; PostgreSQL gets
``COPY ... FROM STDIN`` with rows made in a second thread. Raw values become
the driver's form in an :func:`encoder`. Deferred foreign keys (cycles) are
filled afterwards with UPDATEs (:func:`fill_deferred`); ``--truncate``
empties the schema's tables (:func:`empty_tables`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from random import Random
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.errors import SeedError
from workbench.seed import encoders as E
from workbench.seed import values as V
from workbench.seed.catalog import (
    BATCH_SIZE,
    NULL_SHARE,
    Catalog,
    ColumnSpec,
    Encoder,
    ForeignKeySpec,
    OnProgress,
    RawNames,
    TableSpec,
)
from workbench.seed.planner import Plan, Planner
from workbench.seed.slots import Batch, Keys, with_nulls
from workbench.seed.typed import python_encoder, to_python

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


def encoder(col: ColumnSpec, backend: str) -> Encoder:
    """Raw values of ``col`` to what the driver takes (SQLite) or COPY text (PostgreSQL)."""
    kind = col.kind
    if backend == "sqlite":
        if kind == "numeric" and col.scale > 0:
            unit = 10**col.scale
            return lambda vs: (
                [None if v is None else v / unit for v in vs]
                if None in vs
                else [v / unit for v in vs]
            )
        if kind == "date":
            return E.date_texts
        if kind == "datetime":
            return E.datetime_texts
        if kind == "time":
            return E.time_texts
        if kind == "uuid":
            return lambda vs: [None if v is None else f"{v:032x}" for v in vs]
        return _same
    if kind == "int":
        return lambda vs: _texts_of(vs, str)
    if kind == "bool":
        return lambda vs: ["\\N" if v is None else ("t" if v else "f") for v in vs]
    if kind == "float":
        return lambda vs: _texts_of(vs, repr)
    if kind == "numeric":
        return lambda vs: _nulls(E.decimal_texts(vs, col.scale))
    if kind == "date":
        return lambda vs: _nulls(E.date_texts(vs))
    if kind == "datetime":
        return lambda vs: _nulls(E.datetime_texts(vs, utc=col.utc))
    if kind == "time":
        return lambda vs: _nulls(E.time_texts(vs))
    if kind == "uuid":
        return lambda vs: ["\\N" if v is None else V.uuid_text(v) for v in vs]
    if kind == "bytes":
        return lambda vs: ["\\N" if v is None else "\\\\x" + v.hex() for v in vs]
    if kind == "raw":
        return lambda vs: E.copy_escape([None if v is None else _copy_text(v) for v in vs])
    if kind in ("str", "enum"):
        return lambda vs: _nulls(vs)
    return E.copy_escape


def _texts_of(values: list[Any], text: Callable[[Any], str]) -> list[str]:
    if None in values:
        return ["\\N" if v is None else text(v) for v in values]
    return list(map(text, values))


def _same(values: list[Any]) -> list[Any]:
    return values


def _nulls(values: list[Any]) -> list[Any]:
    if None not in values:
        return values
    return ["\\N" if v is None else v for v in values]


def _copy_text(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)


_BULK = 20_000
"""Rows from which a PostgreSQL table's foreign keys are checked once after COPY, not per row."""
_QUEUED = 4
"""Batches made ahead of the database: enough to overlap, few enough to keep memory flat."""


def _ahead(items: Iterator[Any], depth: int = _QUEUED) -> Iterator[Any]:
    """``items``, made in a second thread while the caller writes the previous ones.

    psycopg releases the GIL while it sends a buffer and waits for the server, so making
    rows and copying them overlap. The queue is bounded, so a slow database
    never lets made rows pile up; every driver call stays in the calling thread. An error
    while making rows is raised here; if the caller stops early, the maker is stopped too.
    """
    import queue
    import threading

    pending: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done, failed, stop = object(), [], threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)
        put(done)

    maker = threading.Thread(target=make, name="workbench-seed-rows", daemon=True)
    maker.start()
    try:
        while (item := pending.get()) is not done:
            yield item
        if failed:
            raise failed[0]
    finally:
        stop.set()
        maker.join()


class Writer:
    def __init__(self, conn: Connection, keep: frozenset[str] = frozenset()) -> None:
        self.conn = conn
        self.keep = keep
        """Foreign keys a bulk load must not drop: deferred for a cycle, their parent's rows
        still to come (re-adding one now would check it now)."""
        self.driver: Any = conn.connection.driver_connection
        self.backend = conn.dialect.name
        self.prep = RawNames(conn.dialect)
        self.params_prep = conn.dialect.identifier_preparer

    def encoder(self, col: ColumnSpec) -> Encoder:
        """How ``col``'s raw values are written: the fast path, or through its type."""
        if col.typed is not None:
            return python_encoder(
                col.typed, col.kind, col.scale, col.utc, self.conn.dialect, self.driver
            )
        return encoder(col, self.backend)

    def _name(self, what: str | Table) -> str:
        """A quoted identifier (a table's, qualified) for a statement with parameters (a
        ``%`` in it doubled where the driver reads ``%`` as a placeholder)."""
        prep = self.params_prep
        return str(prep.quote(what) if isinstance(what, str) else prep.format_table(what))

    def insert(self, plan: Plan, batches: Iterator[list[list[Any]]]) -> None:
        table = self.prep.format_table(plan.info.table)
        cols = ", ".join(self.prep.quote(c) for c in plan.columns)
        if self.backend == "sqlite":
            rowid = self._rowid_alias(plan)
            written = [c for c in plan.columns if c != rowid]
            keep = [i for i, c in enumerate(plan.columns) if c != rowid]
            cols = ", ".join(self.prep.quote(c) for c in written)
            marks = ", ".join("?" for _ in written)
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            if not written:
                sql = f"INSERT INTO {table} DEFAULT VALUES"
            cursor = self.driver.cursor()
            try:
                # made in this thread: executemany takes the GIL back for every row's
                # bindings, so a second thread making rows would only make it wait
                done = 0
                for columns in batches:
                    n = min(BATCH_SIZE, plan.count - done)
                    done += n
                    if written:
                        if rowid is not None:
                            columns = [columns[i] for i in keep]
                        cursor.executemany(sql, zip(*columns, strict=True))
                    else:
                        cursor.executemany(sql, [()] * n)
            finally:
                cursor.close()
            return
        cursor = self.driver.cursor()
        try:
            statement = f"COPY {table} ({cols}) FROM STDIN"
            with (
                self._foreign_keys_after(cursor, table, plan.count),
                cursor.copy(statement) as copy,
            ):
                for payload in _ahead(
                    "\n".join(map("\t".join, zip(*c, strict=True))) + "\n" for c in batches
                ):
                    copy.write(payload)
        finally:
            cursor.close()

    def _rowid_alias(self, plan: Plan) -> str | None:
        """The serial key, when SQLite gives it the very numbers the engine would write.

        An ``INTEGER PRIMARY KEY`` (not ``WITHOUT ROWID``, not ``AUTOINCREMENT``) is the
        rowid, and a row inserted without one gets the largest rowid plus one: the engine's
        keys start after the largest key and go up by one, so leaving the column out writes
        the same rows, binding one value less per row.
        """
        info = plan.info
        if info.serial is None or info.serial_omitted or info.serial not in plan.columns:
            return None
        schema = info.table.schema
        master = f"{self.prep.quote(schema)}.sqlite_master" if schema else "sqlite_master"
        pragma = f"{self.prep.quote(schema)}." if schema else ""
        cursor = self.driver.cursor()
        try:
            row = cursor.execute(
                f"SELECT sql FROM {master} WHERE type = 'table' AND name = ?", (info.name,)
            ).fetchone()
            if row is None or row[0] is None:
                return None
            sql = " ".join(str(row[0]).upper().split())
            if "AUTOINCREMENT" in sql or "WITHOUT ROWID" in sql:
                return None
            columns = cursor.execute(
                f"PRAGMA {pragma}table_info({self.prep.quote(info.name)})"
            ).fetchall()
        finally:
            cursor.close()
        keys = [c for c in columns if c[5]]
        if len(keys) != 1 or keys[0][1] != info.serial or str(keys[0][2]).upper() != "INTEGER":
            return None
        return info.serial

    @contextlib.contextmanager
    def _foreign_keys_after(self, cursor: Any, table: str, count: int) -> Iterator[None]:
        """On PostgreSQL, for a large table: its foreign keys dropped for the COPY, re-added after.

        A foreign key checks each copied row with a locking lookup in the parent; re-adding
        the constraint checks all of them in one join. This is PostgreSQL's own advice for
        bulk loads. It happens inside the transaction, the constraints come back with their
        exact definitions (``pg_get_constraintdef``), and a user who may not alter the table
        simply gets the row-by-row checks.
        """
        if count < _BULK or self.driver.autocommit:  # no transaction: nothing could undo it
            yield
            return
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
            (table,),
        )
        keys = [k for k in cursor.fetchall() if k[0] not in self.keep]
        if not keys:
            yield
            return
        cursor.execute("SAVEPOINT wb_seed_foreign_keys")
        try:
            for name, _ in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.prep.quote(name)}")
        except Exception:  # not the table's owner: keep the constraints
            cursor.execute("ROLLBACK TO SAVEPOINT wb_seed_foreign_keys")
            yield
            return
        cursor.execute("RELEASE SAVEPOINT wb_seed_foreign_keys")
        yield
        for name, definition in keys:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {self.prep.quote(name)} {definition}"
            )

    def update(
        self,
        table: Table,
        set_cols: Sequence[str],
        key_cols: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        mark = "?" if self.backend == "sqlite" else "%s"
        sets = ", ".join(f"{self._name(c)} = {mark}" for c in set_cols)
        where = " AND ".join(f"{self._name(c)} = {mark}" for c in key_cols)
        sql = f"UPDATE {self._name(table)} SET {sets} WHERE {where}"
        cursor = self.driver.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def after_table(self, plan: Plan) -> None:
        """Move a PostgreSQL sequence past the keys the engine assigned."""
        info = plan.info
        if self.backend != "postgresql" or info.serial is None or info.serial_omitted:
            return
        if plan.count == 0:
            return
        table = self.prep.format_table(info.table)
        cursor = self.driver.cursor()
        try:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, str(info.serial)))
            row = cursor.fetchone()
            if row and row[0]:
                top = f"SELECT max({self._name(info.serial)}) FROM {self._name(info.table)}"
                cursor.execute(f"SELECT setval(%s, ({top}))", (row[0],))
        finally:
            cursor.close()


def batches(
    plan: Plan, seed: int, writer: Writer, on_batch: Callable[[int], None]
) -> Iterator[list[list[Any]]]:
    encoders = [writer.encoder(plan.encoders[c]) for c in plan.columns]
    for number, i0 in enumerate(range(0, plan.count, BATCH_SIZE)):
        n = min(BATCH_SIZE, plan.count - i0)
        batch = Batch(Random(f"{seed}:{plan.info.key}:{number}"), i0, n, plan.existing + i0)
        for slot in plan.slots:
            slot.make(batch)
        yield [enc(batch.cols[c]) for enc, c in zip(encoders, plan.columns, strict=True)]
        on_batch(i0 + n)


def write_table(writer: Writer, plan: Plan, seed: int, on_progress: OnProgress | None) -> None:
    name = plan.info.name

    def progress(done: int) -> None:
        if on_progress is not None:
            on_progress(name, done, plan.count)

    progress(0)
    if plan.count == 0:
        return
    try:
        writer.insert(plan, batches(plan, seed, writer, progress))
    except SeedError:
        raise
    except Exception as exc:
        raise insert_error(exc, plan) from None
    writer.after_table(plan)


def insert_error(exc: BaseException, plan: Plan) -> SeedError:
    info = plan.info
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    diag = getattr(exc, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint is None:
        match = re.search(r"constraint failed: ([\w.]+)", text)
        constraint = match.group(1) if match else None
    check = next((c for c in info.checks if constraint and c.name == constraint), None)
    if check is None and "check" in text.lower():
        check = next((c for c in info.checks if not c.complete), None)
    if check is not None:
        return SeedError(
            f"seeding {info.name} violated CHECK constraint {check.name} ({check.text}): the "
            "database validates every row, and that constraint is not of a form the seed engine "
            f"understands. The database said: {text}.",
            hint="Write it with comparisons to constants, BETWEEN, IN or comparisons of two "
            f"columns joined by AND, or leave {info.name} empty with --rows {info.name}=0. "
            "Nothing was committed.",
        )
    named = f" ({constraint})" if constraint else ""
    return SeedError(
        f"seeding {info.name} failed: the database refused a row the seed engine made{named}. "
        f"The database said: {text}.",
        hint="Nothing was committed. Say how to make the values of the column it names in the "
        'models (info={"seed": [...]} or a function; see docs/seed.md), or leave '
        f"{info.name} empty with --rows {info.name}=0.",
    )


def fill_deferred(writer: Writer, planner: Planner, plans: list[Plan], seed: int) -> None:
    """Fill the foreign keys left empty to break a cycle, now that every table has rows."""
    for plan in plans:
        info = plan.info
        for fk in plan.deferred:
            own = plan.keys.get((info.serial,)) if info.serial else None
            if own is None and len(info.pk) == 1:
                own = plan.keys.get(info.pk)
            if own is None or plan.count == 0:
                if fk.nullable:
                    continue
                raise SeedError(  # pragma: no cover - cycles need a nullable foreign key
                    f"cannot fill {info.name}.{', '.join(fk.columns)} after the insert.",
                )
            parents = planner.parent_keys(fk)
            if parents.size == 0:
                continue
            rng = Random(f"{seed}:{info.key}:{fk.name}:fill")
            values = _deferred_values(info, fk, parents, plan.count, rng)
            mine = own.take(range(plan.count))
            key_col = info.pk[0] if info.serial is None else info.serial
            enc_key = param_encoder(info.cols[key_col], writer.backend, writer.conn.dialect)
            ref_col = planner.encoding_for(info, fk.columns[0], {fk.name: parents}, {})
            enc_val = param_encoder(ref_col, writer.backend, writer.conn.dialect)
            rows = []
            for value, key in zip(values, mine, strict=True):
                parts = value if len(fk.columns) > 1 and value is not None else [value]
                rows.append((*[enc_val(p) for p in parts], enc_key(key)))
            if len(fk.columns) > 1:
                rows = [
                    (*(r[:-1] if r[0] is not None else [None] * len(fk.columns)), r[-1])
                    for r in rows
                ]
            try:
                writer.update(info.table, fk.columns, [key_col], rows)
            except Exception as exc:  # the driver's error, named and explained
                raise insert_error(exc, plan) from None


def _deferred_values(
    info: TableSpec, fk: ForeignKeySpec, parents: Keys, count: int, rng: Random
) -> list[Any]:
    """Parents for a deferred foreign key; each parent at most once when a UNIQUE covers it
    (``store.manager_staff_id``): rows beyond the parents stay NULL."""
    if any(set(u) <= set(fk.columns) for u in info.uniques):
        step, start = V.stride(parents.size, rng), int(parents.size * rng.random())
        picked = [(start + step * i) % parents.size for i in range(min(count, parents.size))]
        values = parents.take(picked)
        return values + [None] * (count - len(values))
    share = NULL_SHARE if fk.nullable else 0.0
    return with_nulls(parents.take(V.skewed(rng, count, parents.size)), rng, share)


def param_encoder(col: ColumnSpec, backend: str, dialect: Any) -> Callable[[Any], Any]:
    """One value as a query parameter (not COPY text)."""
    if col.typed is not None:
        convert = to_python(col.kind, col.scale, col.utc)
        bind = col.typed.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        return lambda v: None if v is None else bind(convert(v))
    if backend == "sqlite":
        encode = encoder(col, backend)
        return lambda v: None if v is None else encode([v])[0]
    if col.kind in ("raw", "int"):
        return lambda v: v
    if col.kind == "uuid":
        import uuid

        return lambda v: None if v is None else uuid.UUID(int=v)
    encode = encoder(col, backend)
    return lambda v: None if v is None else encode([v])[0]


def _outside_references(conn: Connection, catalog: Catalog) -> list[tuple[str, str, str]]:
    """``(table, foreign key, schema table)`` for each table outside the schema that refers to
    one of its tables: emptying those would cascade into it, null it, or fail."""
    prep = RawNames(conn.dialect)
    with db.driver_cursor(conn) as cursor:
        if conn.dialect.name == "postgresql":
            ours = [prep.format_table(i.table) for i in catalog.order]
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, c.confrelid::regclass::text "
                "FROM pg_constraint c WHERE c.contype = 'f' "
                "AND c.confrelid = ANY(%s::text[]::regclass[]) "
                "AND NOT c.conrelid = ANY(%s::text[]::regclass[]) ORDER BY 1, 2",
                (ours, ours),
            )
            return [(str(a), str(b), str(c)) for a, b, c in cursor.fetchall()]
        ours_lower = {i.name.lower() for i in catalog.order}
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        found = []
        for (name,) in cursor.fetchall():
            if name.lower() in ours_lower:
                continue
            quoted = prep.quote(name)
            for row in cursor.execute(f"PRAGMA foreign_key_list({quoted})").fetchall():
                if str(row[2]).lower() in ours_lower:
                    found.append((str(name), f"{name}({row[3]}) -> {row[2]}", str(row[2])))
        return found


def empty_tables(conn: Connection, catalog: Catalog) -> tuple[str, ...]:
    """Empty the schema's tables (and only those); refused when another table refers to one."""
    outside = _outside_references(conn, catalog)
    if outside:
        table, key, ours = outside[0]
        others = sorted({t for t, _, _ in outside})
        raise SeedError(
            f"cannot empty the schema's tables: {', '.join(others)}, which the schema does not "
            f"declare, refers to them by foreign key ({key} refers to {ours}); emptying {ours} "
            f"would delete or change rows of {table}, or fail. Nothing was changed.",
            hint=f"Empty {table} yourself first, or seed without --truncate.",
        )
    prep = RawNames(conn.dialect)
    names = [i.name for i in catalog.order]
    with db.driver_cursor(conn) as cursor:
        if conn.dialect.name == "postgresql":
            tables = ", ".join(prep.format_table(i.table) for i in catalog.order)
            if tables:
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")
        else:
            cursor.execute("PRAGMA defer_foreign_keys = ON")
            # Deleting a row that a self-reference (or a cycle) may point at makes SQLite
            # look for referencing rows: without an index on the referencing columns, every
            # deleted row scans the table. A transient index, dropped in this transaction,
            # keeps it linear.
            transient = []
            for info in catalog.order:
                for number, fk in enumerate(info.fks):
                    if fk.self_ref or fk.deferred or fk.early:
                        name = prep.quote(f"wb_seed_truncate_{info.name}_{number}")
                        cols = ", ".join(prep.quote(c) for c in fk.columns)
                        cursor.execute(
                            f"CREATE INDEX {name} ON {prep.format_table(info.table)} ({cols})"
                        )
                        transient.append(name)
            for info in reversed(catalog.order):
                cursor.execute(f"DELETE FROM {prep.format_table(info.table)}")
            for name in transient:
                cursor.execute(f"DROP INDEX {name}")
            has_sequence = cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
            ).fetchone()
            if has_sequence:
                cursor.executemany(
                    "DELETE FROM sqlite_sequence WHERE name = ?", [(n,) for n in names]
                )
    return tuple(names)
