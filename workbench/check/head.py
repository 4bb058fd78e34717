"""At head: the models and the database agree (the third proof).

Autogenerate, run exactly as ``workbench generate`` runs it, has nothing to
write; and a database made from the models has the same enum values, CHECK
constraints and server defaults (which autogenerate does not compare).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import db, pgschemas
from workbench import snapshot as snap
from workbench.autogen import default_sql, describe_all, is_empty
from workbench.envpy import RunContext
from workbench.loader import Schema
from workbench.results import Finding

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

    from workbench.check.walk import Walk


def models_agree(walk: Walk, url: str) -> None:
    pending = _pending(walk)
    if pending:
        shown = "; ".join(pending[:4]) + (
            f"; and {len(pending) - 4} more" if len(pending) > 4 else ""
        )
        walk.add(
            "WB210",
            f"the models of {walk.schema!r} are ahead of its migrations on {walk.backend}: "
            f"`workbench generate` would write: {shown}.",
            f"Write the revision: workbench generate {walk.schema} -m '...'.",
            details=pending,
        )
        walk.findings[-1] = _with_path(walk.findings[-1], walk.models.path)
        return
    # The snapshot kept up to date along the walk is the database at head.
    expected = _models_snapshot(walk, url)
    actual = _names_as_declared(expected, walk.current)
    differences = snap.diff(
        expected,
        actual,
        only={"enums", "checks", "defaults"},
        missing="is in the models but not in the database",
        extra="is in the database but not in the models",
        was="the models say",
        same_check=lambda a, b: snap.loose_sql(a) == snap.loose_sql(b),
        same_default=_same_default,
    )
    if differences:
        head = walk.history.chain[-1].revision if walk.history.chain else "base"
        walk.add(
            "WB211",
            f"at head ({head}) the database of {walk.schema!r} on {walk.backend} disagrees "
            f"with the models on what autogenerate does not compare: "
            f"{'; '.join(differences[:4])}"
            f"{f'; and {len(differences) - 4} more' if len(differences) > 4 else ''}.",
            "Write a revision by hand (workbench generate "
            f"{walk.schema} --empty -m '...') that makes the database match the models, "
            "or change the models to match the database.",
            details=differences,
        )
        walk.findings[-1] = _with_path(walk.findings[-1], walk.models.path)


def _models_snapshot(walk: Walk, url: str) -> snap.Snapshot:
    """The schema ``create_all`` makes from the models, on the same backend.

    Made beside the walked schema, in a schema of its own on the scratch
    database (PostgreSQL) or an attached file (SQLite), so that the models
    and the history are reflected by the same server the same way.
    """
    conn = walk.conn
    if walk.backend == "sqlite":
        path = db.sqlite_path(url)
        assert path is not None
        raw: Any = conn.connection.driver_connection  # ATTACH needs autocommit
        raw.execute(f"ATTACH DATABASE '{path.with_name('models.sqlite3')}' AS {MODELS}")
    else:
        conn.exec_driver_sql(f"CREATE SCHEMA {MODELS}")
    # Named PostgreSQL schemas get a models' twin each (sales -> wb_models__sales).
    twins = pgschemas.twins(walk.models.metadata, MODELS)
    for twin in twins.values():
        conn.exec_driver_sql(f'CREATE SCHEMA "{twin}"')
    translate: dict[str | None, str] = {None: MODELS, **twins}
    walk.models.metadata.create_all(conn.execution_options(schema_translate_map=translate))
    conn.commit()
    found = snap.take(conn, schema=MODELS)
    if twins:
        found = pgschemas.untwinned(
            snap.fold(conn, None, tuple(twins.values()), base=MODELS), twins
        )
    # Defaults and CHECKs that name a type or sequence name it in that schema.
    return _unnamed_again(_unqualified(found, MODELS), walk.models)


def _unnamed_again(found: snap.Snapshot, models: Schema) -> snap.Snapshot:
    """The CHECKs the models leave unnamed, unnamed again in their snapshot.

    The loader names every unnamed constraint of models without a naming
    convention, for the revisions workbench writes; the database a history
    made names them its own way (PostgreSQL: ``products_price_check``;
    SQLite: no name). Like autogenerate, the comparison does not hold a
    constraint the models leave unnamed to a name.
    """
    invented = set(models.named_by_workbench)
    if not invented:
        return found
    tables = tuple(
        replace(
            t,
            checks=tuple(replace(c, name=None) if c.name in invented else c for c in t.checks),
        )
        for t in found.tables
    )
    return replace(found, tables=tables)


def _names_as_declared(models: snap.Snapshot, database: snap.Snapshot) -> snap.Snapshot:
    """``database`` with a CHECK that matches an unnamed CHECK of the models by its text
    shown as that one: whatever name the database gave it, it is the same constraint."""
    tables = []
    for t in database.tables:
        wanted = models.table(t.name)
        unnamed = [c for c in wanted.checks if c.name is None] if wanted is not None else []
        if not unnamed:
            tables.append(t)
            continue
        checks = []
        for c in t.checks:
            same = next(
                (m for m in unnamed if snap.loose_sql(m.sqltext) == snap.loose_sql(c.sqltext)),
                None,
            )
            if same is not None:
                unnamed.remove(same)
            checks.append(same if same is not None else c)
        tables.append(replace(t, checks=tuple(checks)))
    return replace(database, tables=tuple(tables))


@contextlib.contextmanager
def _declared_names(models: Schema) -> Iterator[None]:
    """The models' constraints with the names their author gave them, while autogenerate runs.

    The loader names the constraints models without a naming convention leave
    unnamed (:attr:`~workbench.loader.Schema.named_by_workbench`), so that the
    revisions workbench writes can drop them by name. Autogenerate matches an
    unnamed unique constraint by its columns, and never compares the names of
    foreign keys or primary keys: a history written by plain Alembic relies
    on the backend's own names (PostgreSQL's ``categories_name_key``,
    ``products_category_id_fkey``), which must not read as a difference
    against names workbench made up.
    """
    from sqlalchemy import Index
    from sqlalchemy.sql.elements import conv

    invented = set(models.named_by_workbench)
    renamed: list[tuple[Any, Any]] = []
    for table in models.metadata.tables.values():
        for item in table.constraints:
            name = item.name
            if isinstance(item, Index) or not isinstance(name, conv) or name not in invented:
                continue
            renamed.append((item, name))
            item.name = None
    try:
        yield
    finally:
        for item, name in renamed:
            item.name = name


def _pending(walk: Walk) -> list[str]:
    """What ``workbench generate`` would write now, in words (empty: nothing)."""
    from alembic.autogenerate import RevisionContext
    from alembic.runtime.environment import EnvironmentContext

    assert walk.history.scripts is not None
    found: list[str] = []

    def record(context: Any, revision: Any, directives: list[Any]) -> None:
        if directives and not is_empty(directives[0]):
            ops = [o for o in directives[0].upgrade_ops.ops if not _already_there(walk, o)]
            found.extend(describe_all(ops))
        directives[:] = []

    run = RunContext(schema=walk.models, history=walk.history.history_model(), extra_hook=record)
    ac = _with_attributes(walk.ac, {"workbench": run, "workbench.autogenerate": True})
    revision_context = RevisionContext(
        ac,
        walk.history.scripts,
        {
            "message": "check",
            "autogenerate": True,
            "sql": False,
            "head": "head",
            "splice": False,
            "branch_label": None,
            "version_path": None,
            "rev_id": None,
            "depends_on": None,
        },
    )

    def retrieve(rev: Any, context: Any) -> list[Any]:
        revision_context.run_autogenerate(rev, context)
        return []

    with (
        _quoted_serials(),
        _declared_names(walk.models),
        EnvironmentContext(
            ac,
            walk.history.scripts,
            fn=retrieve,
            as_sql=False,
            template_args=revision_context.template_args,
            revision_context=revision_context,
        ),
    ):
        walk.history.scripts.run_env()
    if walk.conn.in_transaction():
        walk.conn.commit()
    return found


MODELS = "wb_models"
"""The schema (attached database on SQLite) the models are created in, beside the history's."""


def _unqualified(found: snap.Snapshot, schema: str) -> snap.Snapshot:
    def plain(text: str | None) -> str | None:
        if text is None:
            return None
        return text.replace(f'"{schema}".', "").replace(f"{schema}.", "")

    tables = tuple(
        replace(
            t,
            columns=tuple(replace(c, default=plain(c.default)) for c in t.columns),
            checks=tuple(replace(c, sqltext=plain(c.sqltext) or "") for c in t.checks),
        )
        for t in found.tables
    )
    return replace(found, tables=tables)


def _with_path(finding: Finding, path: Path) -> Finding:
    return replace(finding, path=path)


def _same_default(a: str | None, b: str | None) -> bool:
    if a is not None and b is not None and a.startswith("nextval(") and b.startswith("nextval("):
        # A serial column's sequence keeps the table's old name after a rename.
        return True
    norm = [snap.loose_sql(default_sql(x) or "") if x is not None else None for x in (a, b)]
    return norm[0] == norm[1]


def _with_attributes(ac: AlembicConfig, attributes: dict[str, Any]) -> AlembicConfig:
    ac.attributes.update(attributes)
    return ac


_ADD_VALUE = re.compile(
    r"ALTER\s+TYPE\s+(?:\w+\.)?\"?(\w+)\"?\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'([^']*)'",
    re.IGNORECASE,
)


def _already_there(walk: Walk, op: Any) -> bool:
    """Whether an enum change autogenerate proposes is already made by the history.

    The history model follows Alembic operations only; a member added with raw
    ``ALTER TYPE ... ADD VALUE`` (in ``op.execute``, often guarded to run on
    PostgreSQL only) escapes it. On PostgreSQL the database at head says
    whether the type already has the models' members. On SQLite an enum is a
    plain VARCHAR (no CHECK unless ``create_constraint``): members added by
    such statements in the history's files change nothing there.
    """
    from workbench.ops import CreateEnumTypeOp, DropEnumTypeOp, SyncEnumValuesOp

    if isinstance(op, CreateEnumTypeOp | DropEnumTypeOp):
        # SQLite has no enum types: these do nothing there (PostgreSQL's walk judges them).
        return walk.backend == "sqlite"
    if not isinstance(op, SyncEnumValuesOp):
        return False
    if walk.backend == "postgresql":
        found = {e.name: e.values for e in walk.current.enums}
        return found.get(op.name) == tuple(op.values)
    if not any(c[2] for c in op.columns) and "postgresql" in walk.cfg.backends(walk.schema):
        # No CHECK spells the members out: a plain VARCHAR on SQLite, unchanged by them. The
        # PostgreSQL walk, which sees the real type, judges the members.
        return True
    added = set(op.values) - set(op.old_values)
    if not added or set(op.old_values) - set(op.values) or any(c[2] for c in op.columns):
        return False
    by_sql: set[str] = set()
    for script in walk.history.chain:
        text = Path(script.path).read_text(encoding="utf-8", errors="replace")
        by_sql.update(v for name, v in _ADD_VALUE.findall(text) if name == op.name)
    return added <= by_sql


_NEXTVAL = re.compile(r"nextval\('(.+?)'::regclass\)$")


@contextlib.contextmanager
def _quoted_serials() -> Iterator[None]:
    """Serial columns of tables whose name holds a quote (``it's``) reflect as serials.

    Alembic's PostgreSQL reflection hook passes the sequence named in
    ``nextval('"it''s_id_seq"'::regclass)`` to ``regclass`` without undoing the
    doubled quote, and the query fails. This listener, which runs before
    Alembic's, does what that hook means to do for such a name: a sequence
    owned by the column is the column's serial, so its default is not one.
    """
    import sqlalchemy as sa
    from sqlalchemy import event

    def reflect(inspector: Any, table: Any, info: dict[str, Any]) -> None:
        match = _NEXTVAL.match(str(info.get("default") or ""))
        if (
            match is None
            or "''" not in match.group(1)
            or inspector.bind.dialect.name != "postgresql"
        ):
            return
        owner = inspector.bind.execute(
            sa.text(
                "SELECT a.attname FROM pg_depend d "
                "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
                "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                "AND d.objid = cast(:seq AS regclass)"
            ),
            {"seq": match.group(1).replace("''", "'")},
        ).scalar()
        if owner == info["name"]:
            del info["default"]

    event.listen(sa.Table, "column_reflect", reflect)
    try:
        yield
    finally:
        event.remove(sa.Table, "column_reflect", reflect)
