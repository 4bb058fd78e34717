"""After a step fails: rebuild the state at that revision, so the walk goes on to head.

A failed upgrade (or a failed upgrade after the downgrade) leaves the scratch
database at the revision before. To walk the rest of the history, the state at
the failing revision is rebuilt on a fresh scratch database, by the most
faithful means that works:

1. ``upgraded``: the history upgraded directly from base to that revision,
   without seeded rows or round trips. Exact when the failure came from the
   walk itself (rows seeded before the step, what the downgrade left behind).
2. ``replayed``: the revision's own upgrade fails even on an empty database,
   so the database is upgraded to the revision before, then each operation the
   revision performs (as read from it) is applied on its own, a failing one
   skipped (on SQLite, an ``ALTER`` SQLite cannot run is retried in batch mode,
   as the author meant), and the database is stamped at the revision. This is
   an approximation: findings that follow it say so, as warnings.
3. ``replayed on the walk's database``: an earlier revision fails on an empty
   database too (the walk got past it by an earlier rebuild), so no fresh
   database reaches the revision before. The walk's own database, which the
   failed step left at the revision before, is kept, and the operations are
   replayed on it as in 2. Also an approximation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.errors import MigrationFailed

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from workbench.check.walk import Walk


@dataclass(frozen=True)
class Rebuilt:
    """How the state at a revision was rebuilt after a failed step."""

    revision: str
    exact: bool
    how: str
    """A sentence that finishes "The walk went on from ..."."""


def rebuild(walk: Walk, index: int) -> Rebuilt | None:
    """A fresh scratch database at revision ``index``; ``None`` when even that cannot be made.

    The walk's connection, configuration and data are those of the new database
    on return (the old one is dropped).
    """
    chain = walk.history.chain
    rev = chain[index].revision
    kept = walk.detach()
    try:
        walk.open_scratch()
        walk.run_env(functools.partial(_plain_upgrade, walk, index))
    except MigrationFailed:
        if walk.crash is not None:
            kept[0].close()
            raise walk.crash from None
        if walk.at.index != index:
            # An earlier revision fails on an empty database although the walk got past it
            # (by an earlier rebuild): go on from the walk's own database, at the revision
            # before, which the failed step left as it was.
            walk.attach(kept)
            return _replayed(walk, index, "the walk's own database")
        kept[0].close()
        return _replayed(walk, index, "a fresh scratch database")
    except BaseException:
        kept[0].close()
        raise
    kept[0].close()
    return Rebuilt(
        rev,
        True,
        f"a fresh scratch database upgraded directly from base to {rev} (no seeded rows, "
        "no round trips)",
    )


def _plain_upgrade(walk: Walk, index: int, _heads: Any, _context: Any) -> Iterator[Any]:
    from alembic.runtime.migration import MigrationStep

    from workbench.check.walk import Point

    assert walk.history.scripts is not None
    revision_map = walk.history.scripts.revision_map
    for i, script in enumerate(walk.history.chain[: index + 1]):
        walk.at = Point(i, "rebuild")
        yield MigrationStep.upgrade_from_script(revision_map, script)


def _replayed(walk: Walk, index: int, where: str) -> Rebuilt:
    """The database at ``index - 1`` plus the operations of ``index`` that run, stamped."""
    chain = walk.history.chain
    script = chain[index]
    conn = walk.conn
    if conn.in_transaction():
        conn.commit()
    ran, skipped = _apply_each(conn, walk.history.up[script.revision].ops)
    walk.run_env(functools.partial(_stamp, walk, script.revision))
    if conn.in_transaction():
        conn.commit()
    before = chain[index - 1].revision if index else "base"
    left = f"; skipped: {', '.join(skipped)}" if skipped else ""
    return Rebuilt(
        script.revision,
        False,
        f"{where} at {before}, then the {ran} operation(s) of "
        f"{script.revision} that run applied one by one{left}, and stamped at {script.revision}",
    )


def _stamp(walk: Walk, revision: str, _heads: Any, context: Any) -> list[Any]:
    """Stamp through the schema's own env.py, so its version table is the one written."""
    assert walk.history.scripts is not None
    context.stamp(walk.history.scripts, revision)
    # Outside a revision's transaction: kept now, or the env's run rolls it back.
    if context.connection.in_transaction():
        context.connection.commit()
    return []


def _apply_each(conn: Connection, captured: Any) -> tuple[int, list[str]]:
    """Apply each captured operation in a savepoint of its own; (applied, names skipped)."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn)
    operations = Operations(context)
    ran = 0
    skipped: list[str] = []
    for item in captured:
        table: str | None = item.batch or getattr(item.op, "table_name", None)
        # Inside a batch block only in batch mode; on SQLite a plain ALTER it cannot run is
        # retried in batch mode, as the author meant it.
        modes = (
            [True] if item.batch else [False, True] if conn.dialect.name == "sqlite" else [False]
        )
        for in_batch in modes:
            if in_batch and table is None:
                continue
            if not conn.in_transaction():
                conn.begin()
            savepoint = conn.begin_nested()
            try:
                if in_batch and table is not None:
                    with operations.batch_alter_table(table) as batch:
                        batch.invoke(item.op)
                else:
                    operations.invoke(item.op)
            except Exception:  # this order fails: rolled back, the next order is tried
                savepoint.rollback()
                continue
            savepoint.commit()
            ran += 1
            break
        else:
            skipped.append(f"{item.kind}{f' on {item.table}' if item.table else ''}")
    if conn.in_transaction():
        conn.commit()
    return ran, skipped
