"""Rows: seeding before each step, measuring, and comparing after it (the fourth proof)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench import snapshot as snap
from workbench.check.history import def_line

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from workbench.check.effects import Effect
    from workbench.check.step import Step
    from workbench.check.walk import Walk

ROWS = 5
"""Rows seeded into each empty table before a step."""
SEED = 0
"""The seed engine's seed: the same history gets the same rows on every run."""


@dataclass(frozen=True)
class TableRows:
    """What is measured of one table: its row count, and either a checksum or per-column counts."""

    rows: int
    digest: str | None = None
    non_null: tuple[tuple[str, int], ...] = ()

    def count(self, column: str) -> int | None:
        return next((n for c, n in self.non_null if c == column), None)


def _report_drop(step: Step, what: str, held: str, fix: str, line: int | None) -> None:
    step.report("WB222", f"revision {step.rev}'s upgrade drops {what} holding {held}.", fix, line)


class Data:
    """Seeds rows before each step and proves the step keeps them (the fourth proof)."""

    def __init__(self, conn: Connection, check: Walk) -> None:
        self.conn = conn
        self.check = check
        self.filled: set[str] = set()
        """Tables seeded (or found holding rows) and not emptied since."""
        self.unseedable: set[str] = set()
        self.seeded = False

    def seed_empty(self, scope: set[str] | None) -> None:
        """Seed the tables a step may change (``scope``; ``None``: all) that hold no rows yet.

        Only those can show a step losing rows: the others are neither measured
        nor at risk. The tables they refer to are seeded first when empty, so
        that foreign keys find parent rows. Seeding uses the seed engine on the
        tables as they are now (reflected), in its own transaction; a table it
        cannot fill is reported (WB223) and left out of the data proofs.
        """
        from workbench.errors import SeedError

        current = self.check.current
        wanted = set(current.table_names) if scope is None else scope
        empty = self._parents_first(wanted)
        if not empty:
            return
        try:
            self._seed(empty)
        except SeedError:
            self.conn.rollback()
            for table in empty:
                try:
                    self._seed([table])
                except SeedError as exc:
                    self.conn.rollback()
                    self.unseedable.add(table)
                    self.check.add(
                        "WB223",
                        f"table {table} could not be seeded on {self.check.backend} ({exc.text}); "
                        "the data proofs leave it out.",
                        "nothing to fix in the history if the table is valid; the other proofs "
                        "still cover it.",
                    )
        self.filled.update(t for t in empty if t not in self.unseedable)

    def _parents_first(self, tables: set[str]) -> list[str]:
        """The empty tables among ``tables`` and their empty ancestors, parents before children."""
        current = self.check.current
        existing = set(current.table_names)
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in existing:
                return
            seen.add(name)
            snapshot = current.table(name)
            for fk in snapshot.foreign_keys if snapshot is not None else ():
                if fk.referred_table != name:
                    visit(fk.referred_table)
            if (
                name not in self.filled
                and name not in self.unseedable
                and not name.startswith("_alembic_tmp_")
            ):
                order.append(name)

        for name in sorted(tables):
            visit(name)
        return order

    def _seed(self, tables: list[str]) -> None:
        import sqlalchemy as sa

        from workbench.seed import seed_connection

        # The tables they refer to come along (without theirs: the cost stays per table),
        # so that foreign keys find their parents' rows.
        current = self.check.current
        parents = {
            fk.referred_table
            for name in tables
            for fk in (current.table(name) or snap.TableSnapshot(name, ())).foreign_keys
        }
        wanted = set(current.table_names) & (set(tables) | parents)
        metadata = sa.MetaData()
        by_schema: dict[str | None, list[str]] = {}
        for name in sorted(wanted):
            where = current.schema_of(name)
            by_schema.setdefault(where, []).append(name.removeprefix(f"{where}."))
        for where, names in sorted(by_schema.items(), key=lambda item: item[0] or ""):
            metadata.reflect(self.conn, schema=where, only=names, resolve_fks=False)
        rows: dict[str, int] = {"*": 0, **dict.fromkeys(tables, ROWS)}
        report = seed_connection(self.conn, metadata, rows, seed=SEED, schema=self.check.schema)
        self.conn.commit()
        self.seeded = self.seeded or any(t.rows for t in report.tables)

    def forget(self, effect: Effect) -> None:
        """Tables the step made are empty (and dropped ones gone): seed them before the next."""
        self.filled -= effect.created | effect.dropped

    def measure(self, up: Effect, down: Effect, scope: set[str] | None) -> dict[str, TableRows]:
        """Row counts and checksums of the tables a step may change."""
        current = self.check.current
        named = up.touched | down.touched
        names = set(current.table_names) if scope is None else (scope & set(current.table_names))
        out: dict[str, TableRows] = {}
        for name in sorted(names):
            if name.startswith("_alembic_tmp_"):
                continue
            table = current.table(name)
            if name in named and table is not None:
                out[name] = self._counts(name, table.column_names)
            else:
                out[name] = self._digest(name)
        return out

    def _quote(self, name: str) -> str:
        return str(self.conn.dialect.identifier_preparer.quote(name))

    def _table(self, name: str) -> str:
        """Table ``name`` as SQL, qualified when it is in a named PostgreSQL schema."""
        where = self.check.current.schema_of(name)
        if where is None:
            return self._quote(name)
        return f"{self._quote(where)}.{self._quote(name.removeprefix(f'{where}.'))}"

    def _counts(self, table: str, columns: Sequence[str]) -> TableRows:
        parts = ["count(*)", *(f"count({self._quote(c)})" for c in columns)]
        row = self.conn.exec_driver_sql(
            f"SELECT {', '.join(parts)} FROM {self._table(table)}"
        ).one()
        return TableRows(int(row[0]), None, tuple(zip(columns, map(int, row[1:]), strict=True)))

    def _digest(self, table: str) -> TableRows:
        rows = self.conn.exec_driver_sql(f"SELECT * FROM {self._table(table)}").fetchall()
        body = "\n".join(sorted(repr(tuple(r)) for r in rows))
        return TableRows(len(rows), hashlib.sha256(body.encode()).hexdigest())

    def compare(
        self,
        step: Step,
        direction: str,
        effect: Effect,
        before: dict[str, TableRows],
        after: dict[str, TableRows],
    ) -> None:
        """Rows of the tables ``effect`` touches survive where its operations keep data."""
        for table, was in sorted(before.items()):
            if table not in effect.touched or was.digest is not None or was.rows == 0:
                continue
            new_name = effect.after(table)
            line = effect.lines.get(table)
            if new_name is None:
                if direction == "upgrade":
                    _report_drop(
                        step,
                        f"table {table}",
                        f"{was.rows} row(s)",
                        "if the data is still wanted, copy it elsewhere first, or rename the "
                        "table instead of dropping it.",
                        effect.drop_lines.get((table, None), line),
                    )
                continue
            now = after.get(new_name)
            if now is None:
                continue
            if now.rows < was.rows and table in effect.deletes & effect.shaped:
                # Rows it deletes from a table it also changes (invalid ones, before a
                # constraint): its purpose. A DELETE of a table it does not otherwise
                # change stays an error below.
                step.report(
                    "WB221",
                    f"revision {step.rev}'s {direction} deletes {was.rows - now.rows} of "
                    f"{was.rows} row(s) of {table} on {step.check.backend}, as its DELETE "
                    "says.",
                    "if those rows must come back on the way down, save them in the revision; "
                    "otherwise nothing to fix.",
                    line,
                    severity="warning",
                )
                continue
            if now.rows < was.rows:
                step.report(
                    "WB221",
                    f"revision {step.rev}'s {direction} loses rows of {table}: "
                    f"{was.rows - now.rows} of {was.rows} row(s) are gone on "
                    f"{step.check.backend}.",
                    "a schema change must keep every row; move DELETE statements out of the "
                    "revision, or make them restore the rows in the other direction.",
                    line,
                )
                continue
            for column, count in was.non_null:
                moved = effect.column_after(table, column)
                if moved is None:
                    if direction == "upgrade" and count:
                        _report_drop(
                            step,
                            f"column {table}.{column}",
                            f"{count} non-null value(s)",
                            "if this is a rename, rename in place (alter_column(..., "
                            "new_column_name=...)); if the data is still wanted, copy it first.",
                            effect.drop_lines.get((table, column), line),
                        )
                    continue
                kept = now.count(moved)
                renamed = (new_name, moved) != (table, column)
                if kept is not None and kept < count:
                    step.report(
                        "WB221",
                        f"revision {step.rev}'s {direction} loses values of {table}.{column}"
                        f"{f' (now {new_name}.{moved})' if renamed else ''}"
                        f": {count - kept} of {count} non-null value(s) are NULL now on "
                        f"{step.check.backend}.",
                        "keep the values: rename in place instead of drop + add, change the type "
                        "with a USING expression that converts them, backfill before dropping.",
                        line,
                    )

    def untouched(
        self,
        step: Step,
        direction: str,
        before: dict[str, TableRows],
        after: dict[str, TableRows],
    ) -> None:
        """Tables the step does not name keep exactly their rows.

        A table whose columns or constraints the step changed is touched, named
        or not: its rows may differ in value (not in number). When the step's
        operations could not be read to the end (it inspects the database and
        decides from what it finds), which tables it means to change is not
        known: rows added or rewritten there are one warning that says so;
        rows lost stay an error.
        """
        history = step.check.history
        captured = (history.up if direction == "upgrade" else history.down)[step.rev]
        unreadable = captured.error is not None and captured.raises is None
        shapes = step.shapes(direction)
        unread: list[str] = []
        # Code that could not be read may move rows between tables (v1 limits into a v2
        # table, and back in the downgrade): rows gone here and as many come elsewhere.
        moved = unreadable and _gained(before, after) >= _lost(before, after)
        for table, was in sorted(before.items()):
            now = after.get(table)
            if was.digest is None or now is None or now.digest == was.digest:
                continue
            if now.rows == was.rows and shapes is not None:
                old, new = (shape.table(table) for shape in shapes)
                if old is not None and new is not None and old != new:
                    # The step changed the table itself (a column added by code that could
                    # not be read): its rows' values differ because its columns do.
                    continue
            change = (
                f"{was.rows} row(s) before, {now.rows} after"
                if now.rows != was.rows
                else f"the same {was.rows} row count, different values"
            )
            if unreadable and (now.rows >= was.rows or moved):
                # Rows added or rewritten by code that could not be read may be its purpose;
                # rows lost are lost whatever it meant, unless as many came elsewhere.
                unread.append(f"{table} ({change})")
                continue
            step.report(
                "WB220",
                f"revision {step.rev}'s {direction} changes the rows of {table} on "
                f"{step.check.backend}, a table it does not touch: {change}.",
                "a revision must only change the tables it names: look for op.execute() "
                "statements that reach other tables, and for cascading foreign keys.",
                def_line(step.script, direction),
            )
        if unread:
            step.report(
                "WB220",
                f"revision {step.rev}'s {direction} changes the rows of "
                f"{len(unread)} table(s) on {step.check.backend} that its operations, as far as "
                f"they could be read, do not name: {', '.join(unread)}. Its operations could not "
                f"be read to the end ({captured.error}), so whether it means to is not known.",
                "if these tables are not meant to change, look for statements that reach them "
                "and for cascading foreign keys; otherwise nothing to fix.",
                def_line(step.script, direction),
                severity="warning",
            )


def _gained(before: dict[str, TableRows], after: dict[str, TableRows]) -> int:
    """Rows added across the tables measured on both sides (and in tables new since)."""
    return sum(
        max(0, now.rows - (before[t].rows if t in before else 0))
        for t, now in after.items()
        if t in before or now.rows
    )


def _lost(before: dict[str, TableRows], after: dict[str, TableRows]) -> int:
    """Rows gone across the tables measured on both sides."""
    return sum(max(0, was.rows - after[t].rows) for t, was in before.items() if t in after)
