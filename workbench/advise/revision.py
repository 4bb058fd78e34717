"""``advise --generate``: the advised indexes, declared in the models and written as a revision.

The models stay the source of truth: the indexes are declared at the end of
the schema module (in a marked block, as ``sqlalchemy.Index`` objects on the
models' tables), and ``migrate.generate`` writes the revision from the
difference, so that ``check`` finds the models and the history in agreement
and the next ``generate`` does not undo them. Only the rendering differs from
a plain ``generate``: on PostgreSQL each index is built with ``CREATE INDEX
CONCURRENTLY`` (writes to the table go on meanwhile), which cannot run inside a
transaction, hence an autocommit block; on SQLite the indexes are created in
the revision's own transaction. The downgrade drops them the same way.

If anything fails, the schema module is restored and no revision is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from workbench import migrate
from workbench.config import Config
from workbench.errors import WorkbenchError
from workbench.loader import Schema, load_schema
from workbench.results import Advice

if TYPE_CHECKING:
    from sqlalchemy import MetaData

BLOCK_START = "# --- indexes advised by `workbench advise`"


def writable(advice: Sequence[Advice]) -> list[Advice]:
    """The advice a revision can carry: indexes to create (not primary keys, not drops)."""
    return [a for a in advice if a.action == "create" and a.columns and a.code != "WB306"]


def write(cfg: Config, schema: Schema, advice: Sequence[Advice], message: str) -> tuple[str, Path]:
    """Declare ``advice``'s indexes in the models and write the revision that creates them.

    Returns:
        The revision id and its path.

    Raises:
        WorkbenchError: the models have other changes the history lacks (run
            ``workbench generate`` first), or the revision does not apply.
    """
    creates = writable(advice)
    if not creates:
        raise WorkbenchError(
            "there is no index to write: the advice holds no index to create.",
            hint="Drops are written by removing the index from the models and running "
            "`workbench generate`.",
        )
    path = schema.path
    original = path.read_text(encoding="utf-8")
    block = declarations(schema.module, schema.metadata, creates, message)
    _register_renderer()
    wanted = {a.index for a in creates}
    try:
        path.write_text(original.rstrip("\n") + "\n\n\n" + block, encoding="utf-8")
        models = load_schema(cfg, schema.name)
        missing = wanted - {str(i.name) for t in models.metadata.tables.values() for i in t.indexes}
        if missing:
            raise WorkbenchError(
                f"the indexes declared in {cfg.rel(path)} did not reach the models "
                f"({', '.join(sorted(missing))}).",
                hint="Please report this schema module; declare the indexes by hand meanwhile.",
            )
        result = migrate.generate(cfg, schema.name, message, hook=_hook(wanted))
    except BaseException:
        path.write_text(original, encoding="utf-8")
        raise
    if result.path is None or result.revision is None:
        path.write_text(original, encoding="utf-8")
        raise WorkbenchError(
            "the advised indexes made no difference between the models and the history.",
            hint="Check that the history is at the models' state (`workbench generate`).",
        )
    return result.revision, result.path


def declarations(
    module: ModuleType, metadata: MetaData, creates: Sequence[Advice], message: str
) -> str:
    """The block appended to the schema module: one ``Index(...)`` per index to create."""
    lines = [
        f"{BLOCK_START} ({message}) ---",
        "# Declared here so that the models and the migration history agree; moving them into",
        "# the models' __table_args__ changes nothing.",
        "import sqlalchemy as _workbench_sa  # noqa: E402",
        "",
    ]
    for a in creates:
        table = _table_expr(module, metadata, a.table)
        cols = ", ".join(f"{table}.c[{c!r}]" for c in a.columns)
        lines.append(f"_workbench_sa.Index({a.index!r}, {cols})")
    return "\n".join(lines) + "\n"


def _table_expr(module: ModuleType, metadata: MetaData, name: str) -> str:
    """A Python expression, valid at the end of ``module``, for the table ``name``."""
    from sqlalchemy import Table

    from workbench.pgschemas import table_named

    table = table_named(metadata, name)
    name = table.key  # `sales.lines` for a table in a named PostgreSQL schema
    found = vars(module)
    for var, value in found.items():
        if isinstance(value, type) and getattr(value, "__table__", None) is table:
            return f"{var}.__table__"
    for var, value in found.items():
        if value is table:
            return var
    for var, value in found.items():
        if value is metadata:
            return f"{var}.tables[{name!r}]"
        if isinstance(value, type) and getattr(value, "metadata", None) is metadata:
            return f"{var}.metadata.tables[{name!r}]"
        if isinstance(value, Table) and value.metadata is metadata:
            return f"{var}.metadata.tables[{name!r}]"
    raise WorkbenchError(
        f"cannot name table {name!r} from the end of the schema module.",
        hint="Give the module a `metadata = ...` variable, then run advise again.",
    )


# --- rendering ----------------------------------------------------------------------------


_OP: type[Any] | None = None


def _register_renderer() -> type[Any]:
    """Define the operation that renders the advised indexes, and its renderer, once."""
    global _OP
    if _OP is not None:
        return _OP
    from alembic.autogenerate import renderers
    from alembic.autogenerate.api import AutogenContext
    from alembic.autogenerate.render import render_op_text
    from alembic.operations import MigrateOperation
    from alembic.operations import ops as alembic_ops

    class AdvisedIndexesOp(MigrateOperation):
        """Create (or drop) indexes; CONCURRENTLY in an autocommit block on PostgreSQL."""

        def __init__(self, ops: list[Any]) -> None:
            self.ops = ops

        def reverse(self) -> AdvisedIndexesOp:
            return AdvisedIndexesOp([o.reverse() for o in reversed(self.ops)])

    def concurrently(op: Any) -> Any:
        if isinstance(op, alembic_ops.CreateIndexOp):
            return alembic_ops.CreateIndexOp(
                op.index_name,
                op.table_name,
                op.columns,
                schema=op.schema,
                unique=op.unique,
                if_not_exists=True,
                postgresql_concurrently=True,
            )
        return alembic_ops.DropIndexOp(
            op.index_name,
            op.table_name,
            schema=op.schema,
            if_exists=True,
            postgresql_concurrently=True,
        )

    @renderers.dispatch_for(AdvisedIndexesOp)
    def render(autogen_context: AutogenContext, op: AdvisedIndexesOp) -> list[str]:
        verb = "builds" if isinstance(op.ops[0], alembic_ops.CreateIndexOp) else "drops"
        # Alembic's printer indents by itself: a line ending in ':' opens a block,
        # an empty line closes one, and 'else:' closes one and opens the next.
        lines = [
            f"# Written by `workbench advise`. PostgreSQL {verb} each index CONCURRENTLY, so",
            "# writes to the table go on meanwhile; that cannot run inside a transaction.",
            'if op.get_context().dialect.name == "postgresql":',
            "with op.get_context().autocommit_block():",
        ]
        lines += [render_op_text(autogen_context, concurrently(o)) for o in op.ops]
        lines += ["", "else:"]
        lines += [render_op_text(autogen_context, o) for o in op.ops]
        lines.append("")
        return lines

    _OP = AdvisedIndexesOp
    return AdvisedIndexesOp


def _hook(wanted: set[str]) -> Any:
    """A ``process_revision_directives`` step: only the advised indexes, rendered our way."""
    from alembic.operations import ops as alembic_ops

    op_class = _register_renderer()

    def leaves(ops: Sequence[Any], table: str | None = None) -> list[Any]:
        out: list[Any] = []
        for o in ops:
            if isinstance(o, alembic_ops.ModifyTableOps):
                out += leaves(o.ops, o.table_name)
            else:
                out.append(o)
        return out

    def hook(context: Any, revision: Any, directives: list[Any]) -> None:
        if not directives:
            return
        script = directives[0]
        ups = leaves(script.upgrade_ops.ops)
        downs = leaves(script.downgrade_ops.ops)
        other = [
            o
            for o in ups
            if not (isinstance(o, alembic_ops.CreateIndexOp) and str(o.index_name) in wanted)
        ]
        if other:
            from workbench.autogen import describe

            raise WorkbenchError(
                "the models have changes that the history does not have yet ("
                + "; ".join(describe(o) for o in other[:3])
                + ("; ..." if len(other) > 3 else "")
                + "), and the advised indexes must go in a revision of their own.",
                hint="Write those changes first with `workbench generate`, then advise again.",
            )
        creates = [_plain_create(o) for o in ups]
        drops = [
            alembic_ops.DropIndexOp(str(o.index_name), o.table_name, schema=o.schema)
            for o in downs
            if isinstance(o, alembic_ops.DropIndexOp)
        ]
        script.upgrade_ops.ops[:] = [op_class(creates)]
        script.downgrade_ops.ops[:] = [op_class(drops)] if drops else []

    return hook


def _plain_create(op: Any) -> Any:
    from alembic.operations import ops as alembic_ops

    return alembic_ops.CreateIndexOp(
        str(op.index_name),
        op.table_name,
        [str(getattr(c, "name", c)) for c in op.columns],
        schema=op.schema,
        unique=bool(op.unique),
    )
