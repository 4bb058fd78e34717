"""Index advice: from the models, from the queries the application runs, proved on seeded data.

``advise(cfg, schema)`` runs the *model rules* (:mod:`workbench.advise.rules`)
on every table: foreign keys without an index, duplicate and prefix indexes,
link tables without the reverse index, lone indexes on booleans and enums,
tables without a primary key. Given a *workload* (SQL statements from a file,
or captured from a test run by the pytest plugin, ``pytest --workbench-capture
FILE``), it also parses each statement (:mod:`workbench.advise.workload`),
proposes single- and two-column candidate indexes for its filter, join and
sort columns, and proves each candidate on a scratch database migrated to head
and seeded to a realistic volume (:mod:`workbench.advise.proof`): only an index
the planner uses and that at least halves a query's cost or time is advised,
with the measurements as evidence. ``message`` writes the advised indexes as a
revision (:mod:`workbench.advise.revision`).

Nothing here touches the user's target database except to *read* its indexes
when ``url`` is given; every measurement runs on a throwaway database.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import db, pgschemas
from workbench.advise.catalog import TableView, view_of, views_of
from workbench.advise.rules import RULES, Candidate, Rule, candidates, consolidate, model_advice
from workbench.config import VERSION_TABLE, Config
from workbench.errors import DatabaseError, WorkbenchError
from workbench.loader import load_schema
from workbench.modelcheck import require_built
from workbench.results import Advice, AdviceReport, Rejected

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from workbench.advise.proof import Progress
    from workbench.advise.workload import Query

# Model advice must start fast (a 200-table schema in well under a second, process
# included): Alembic, sqlglot and the proof machinery are imported only for a workload.

DEFAULT_ROWS = 20_000
"""Rows seeded per table for the proof: a scan of 20,000 rows takes milliseconds where a
lookup takes microseconds, on SQLite and PostgreSQL alike."""


def advise(
    cfg: Config,
    schema: str,
    *,
    queries: Path | None = None,
    statements: Sequence[str] = (),
    url: str | None = None,
    against: str = "sqlite",
    rows: int = DEFAULT_ROWS,
    seed: int = 0,
    message: str | None = None,
    hypothetical: bool | None = None,
    progress: Progress | None = None,
) -> AdviceReport:
    """Advise indexes for ``schema``; prove workload advice on seeded data; optionally write it.

    Args:
        cfg: the project.
        schema: the schema's name.
        queries: a file of SQL statements separated by ``;`` (literals or
            placeholders in any DB-API style), such as the pytest plugin writes.
        statements: more statements, already split.
        url: read the indexes from this live database instead of the models
            (it is only read; the proof still runs on a scratch database).
        against: where to prove: ``sqlite`` or a PostgreSQL server URL on which
            a throwaway database is created and dropped.
        rows: rows seeded in each table the workload reads (and the tables
            they refer to).
        seed: the seed of the generated data, for repeatable advice.
        message: write the advised indexes as a revision with this message.
        hypothetical: use HypoPG on PostgreSQL (``None``: when the server has it).
        progress: called with a line of text as each candidate is tried.

    Example:
        >>> advise(Config.at("."), "blog", queries=Path("queries.sql"))  # doctest: +SKIP
    """
    started = time.perf_counter()
    if not statements and queries is None and url is None and message is None:
        # Static advice reads nothing but the rules' view of the models: kept in the
        # project's cache while the models are unchanged (see workbench.advise.cache).
        from workbench.advise.cache import model_views

        views = model_views(cfg, schema)
        return AdviceReport(
            schema=schema, advice=tuple(model_advice(views)), seconds=time.perf_counter() - started
        )
    models = load_schema(cfg, schema, configure=False)
    views = (
        _live_views(url, models.metadata)
        if url
        else views_of(models.metadata, skip=[VERSION_TABLE])
    )
    advice = model_advice(views)
    texts = _workload_texts(queries, statements)
    report = AdviceReport(schema=schema)
    if texts:
        advice, report = _with_workload(
            cfg,
            schema,
            models.metadata,
            {v.name: v for v in views},
            texts,
            advice,
            against=against,
            rows=rows,
            seed=seed,
            hypothetical=hypothetical,
            progress=progress,
            url=url,
        )
    report = replace(report, advice=tuple(advice))
    if message is not None:
        from workbench.advise.revision import write

        revision, path = write(cfg, models, advice, message)
        report = replace(report, revision=revision, path=path)
    return replace(report, seconds=time.perf_counter() - started)


def _workload_texts(queries: Path | None, statements: Sequence[str]) -> list[str]:
    """The workload's statements: ``statements``, then those of the ``queries`` file."""
    texts = list(statements)
    if queries is not None:
        read = read_queries(queries)
        if not read:
            raise WorkbenchError(
                f"the workload file {queries} holds no SQL statement.",
                hint="Pass a file of SQL statements separated by ';' (or one written by "
                "`pytest --workbench-capture FILE`).",
            )
        texts += read
    return texts


def _with_workload(
    cfg: Config,
    schema: str,
    metadata: MetaData,
    tables: Mapping[str, TableView],
    texts: Sequence[str],
    advice: list[Advice],
    *,
    against: str,
    rows: int,
    seed: int,
    hypothetical: bool | None,
    progress: Progress | None,
    url: str | None,
) -> tuple[list[Advice], AdviceReport]:
    """The model advice with what the workload proved added, and the report of the proof."""
    proven, rejected, queries_used, skipped, backend, hypo, proof = _workload(
        cfg,
        schema,
        metadata,
        tables,
        texts,
        against=against,
        rows=rows,
        seed=seed,
        hypothetical=hypothetical,
        progress=progress,
        given=[a for a in advice if a.action == "create"],
        url=url,
    )
    report = AdviceReport(
        schema=schema,
        rejected=tuple(rejected),
        queries=queries_used,
        skipped=tuple(skipped),
        backend=backend,
        rows=proof.rows if proof else rows,
        hypothetical=hypo,
        proved_on=proof.on if proof else None,
        proof_note=proof.note if proof else "",
    )
    return consolidate([*advice, *proven]), report


def read_queries(path: Path) -> list[str]:
    """The statements of a workload file; a ``WorkbenchError`` if it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkbenchError(
            f"cannot read the workload file {path}: {exc.strerror or exc}.",
            hint="Pass a file of SQL statements separated by ';' (or one written by "
            "`pytest --workbench-capture FILE`).",
        ) from None
    from workbench.advise.workload import split_statements

    return split_statements(text)


def _live_views(url: str, models: MetaData) -> list[TableView]:
    import sqlalchemy as sa

    if not db.exists(url):
        raise DatabaseError(
            f"the database {db.redact(url)} does not exist.",
            hint="Leave out --url to advise from the models, or point it at a live database.",
        )
    metadata = sa.MetaData()
    with db.connect(url) as conn:
        metadata.reflect(conn)
        pgschemas.reflect_named(metadata, conn, pgschemas.model_schemas(models))
    return views_of(metadata, skip=[VERSION_TABLE])


def _workload(
    cfg: Config,
    schema: str,
    metadata: MetaData,
    tables: Mapping[str, TableView],
    texts: Sequence[str],
    *,
    against: str,
    rows: int,
    seed: int,
    hypothetical: bool | None,
    progress: Progress | None,
    given: Sequence[Advice],
    url: str | None = None,
) -> tuple[list[Advice], list[Rejected], int, list[str], str, bool, _Proof | None]:
    backend = "sqlite" if against == "sqlite" else db.backend(against)
    from workbench.advise.proof import Bench, prove
    from workbench.advise.workload import NOT_SQL, analyse

    parsed, skipped = analyse(texts, tables, backend)
    if not parsed and all(NOT_SQL in line for line in skipped):
        shown = "; ".join(skipped[:2])
        raise WorkbenchError(
            f"the workload has no SQL statement advise can read ({len(skipped)} "
            f"statement{'s' if len(skipped) != 1 else ''}: {shown}).",
            hint="Pass a file of SQL statements separated by ';' (SELECT, UPDATE or DELETE "
            "with literals or placeholders), such as `pytest --workbench-capture FILE` writes.",
        )
    if not parsed:
        return [], [], 0, skipped, backend, False, None
    found = [
        replace(c, query=q.text)
        for q in parsed
        for u in q.usages
        for c in candidates(u, tables[u.table])
    ]
    naming = dict(metadata.naming_convention)
    read = sorted({t for q in parsed for t in q.tables})
    with _proof_bench(cfg, schema, metadata, parsed, url, read, against, rows, seed) as found_on:
        bench_conn, proof = found_on
        bench = Bench(bench_conn, hypothetical=hypothetical, read_only=proof.on == "target hypopg")
        bench.analyze()
        advice, rejected, failed = prove(
            bench, parsed, found, tables, given=given, naming=naming, progress=progress
        )
        hypo = bench.hypothetical
    return advice, rejected, len(parsed), [*skipped, *failed], proof.backend, hypo, proof


@dataclass(frozen=True)
class _Proof:
    on: str
    backend: str
    rows: int | None
    note: str = ""


@contextlib.contextmanager
def _proof_bench(
    cfg: Config,
    schema: str,
    metadata: MetaData,
    parsed: Sequence[Query],
    url: str | None,
    read: Sequence[str],
    against: str,
    rows: int,
    seed: int,
) -> Iterator[tuple[Connection, _Proof]]:
    """Where to prove: the ``--url`` target's own data (read only) when it holds rows, else a
    scratch database seeded with ``rows``."""
    note = ""
    if url:
        backend = db.backend(url)
        held = _rows_held(url, read)
        if not held:
            note = f"the target's tables {', '.join(read)} hold no rows"
        elif backend == "sqlite":
            path = db.sqlite_path(url)
            assert path is not None
            with tempfile.TemporaryDirectory(prefix=db.SCRATCH_PREFIX) as folder:
                copy = Path(folder) / "target-copy.sqlite3"
                _copy_sqlite(path, copy)
                with db.connect(f"sqlite:///{copy.as_posix()}") as conn:
                    yield conn, _Proof("target copy", "sqlite", None)
            return
        elif backend == "postgresql":
            with db.connect(url) as conn:
                pgschemas.search_named(conn, pgschemas.model_schemas(metadata))
                why = _hypopg_unusable(conn, read)
                if why is None:
                    yield conn, _Proof("target hypopg", "postgresql", None)
                    return
            note = f"not proved with HypoPG on the target's own statistics because {why}"
    from workbench import migrate
    from workbench.seed import seed_connection

    counts = rows_for(metadata, parsed, rows)
    with _proof_source(metadata, against) as source, db.scratch(source) as scratch_url:
        backend = db.backend(scratch_url)
        migrate.upgrade(cfg, schema, url=scratch_url)
        with db.connect(scratch_url) as conn:
            require_built(conn, metadata, schema, "the scratch database of the proof")
            pgschemas.search_named(conn, pgschemas.model_schemas(metadata))
            # fill_defaults: a created_at left to its server default would be one
            # value in every row, and no range or sort on it would mean anything.
            seed_connection(conn, metadata, counts, seed=seed, verify=False, fill_defaults=True)
            conn.commit()
            yield conn, _Proof("seeded", backend, rows, note)


@contextlib.contextmanager
def _proof_source(metadata: MetaData, against: str) -> Iterator[str]:
    """``against``; for models in named PostgreSQL schemas, a PostgreSQL server instead of
    SQLite (``$WORKBENCH_POSTGRES_URL``, else a local or throwaway one)."""
    if against != "sqlite" or not pgschemas.model_schemas(metadata):
        yield against
        return
    from workbench import pgserver

    with pgserver.for_scratch() as server:
        yield server


def _rows_held(url: str, tables: Sequence[str]) -> bool:
    """Whether any of ``tables`` holds a row in the target (read only)."""
    import sqlalchemy as sa

    with db.connect(url) as conn:
        live = set(sa.inspect(conn).get_table_names())
        for name in tables:
            if name in live:
                query = sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)
                if conn.execute(query).first() is not None:
                    return True
        if conn.in_transaction():
            conn.rollback()
    return False


def _hypopg_unusable(conn: Connection, tables: Sequence[str]) -> str | None:
    """Why the target cannot be proved on with HypoPG (read only), or ``None`` when it can.

    HypoPG must be installed in the target database itself (workbench never
    creates an extension there), and the tables the workload reads must have
    planner statistics: costs planned without them would be guesses.
    """

    def one(sql: str, *params: Any) -> Any:
        row = (
            conn.exec_driver_sql(sql, params).first()
            if params
            else conn.exec_driver_sql(sql).first()
        )
        return None if row is None else row[0]

    try:
        if one("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'") is None:
            if one("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'") is not None:
                return (
                    "HypoPG is not installed in the target database (the server has it: run "
                    "CREATE EXTENSION hypopg in that database, then advise again; workbench never "
                    "creates anything there itself)"
                )
            major = int(one("SHOW server_version_num") or 0) // 10000
            return (
                "the target's server has no HypoPG (install it there, for example the package "
                f"postgresql-{major or 'NN'}-hypopg, then CREATE EXTENSION hypopg in the target "
                "database)"
            )
        bare = []
        for t in tables:
            space, _, name = t.rpartition(".")
            quoted = ".".join('"' + p.replace('"', '""') + '"' for p in (space, name) if p)
            if one("SELECT to_regclass(%s)", quoted) is None:
                continue
            where = "schemaname = %s" if space else "schemaname = ANY (current_schemas(false))"
            params = (space, name) if space else (name,)
            if one(f"SELECT 1 FROM pg_stats WHERE {where} AND tablename = %s LIMIT 1", *params):
                continue
            bare.append(t)
    finally:
        if conn.in_transaction():
            conn.rollback()
    if bare:
        listed = ", ".join(bare)
        return (
            f"the target's {'table' if len(bare) == 1 else 'tables'} {listed} "
            f"{'has' if len(bare) == 1 else 'have'} no planner statistics yet (never ANALYZEd): "
            f"run ANALYZE {listed} on the target, then advise again"
        )
    return None


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database, read through a read-only connection."""
    import sqlite3

    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


FAN_OUT = 20
"""Rows of a table per row of a parent table no query reads: a doctor has many appointments.
With as many parents as children, every foreign key would match one row, and an index that
serves the sort after the key (``WHERE doctor_id = ? ORDER BY starts_at``) would prove
nothing."""


def rows_for(metadata: MetaData, queries: Iterable[Query], rows: int) -> dict[str, int]:
    """``rows`` for each table the queries read; ``rows / FAN_OUT`` (at least 10) for each
    table those refer to that no query reads; 0 elsewhere."""
    read = {t for q in queries for t in q.tables}
    wanted = set(read)
    todo = list(wanted)
    while todo:
        table = metadata.tables.get(todo.pop())
        if table is None:
            continue
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table.name
            if parent not in wanted:
                wanted.add(parent)
                todo.append(parent)
    parents = max(rows // FAN_OUT, min(rows, 10))
    return {
        name: (rows if name in read else parents if name in wanted else 0)
        for name in metadata.tables
    }


__all__ = [
    "DEFAULT_ROWS",
    "RULES",
    "Candidate",
    "Rule",
    "advise",
    "candidates",
    "consolidate",
    "model_advice",
    "read_queries",
    "rows_for",
    "view_of",
    "views_of",
]
