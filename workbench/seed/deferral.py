"""Foreign keys deferred while a cycle's rows are written: a NOT NULL, deferrable edge.

When every edge of a foreign-key cycle is NOT NULL, one declared ``DEFERRABLE``
lets its table be written before its parent, naming the keys the parent will
get (:meth:`~workbench.seed.planner.Planner.promise`). The database must not
check that edge until the parent has its rows:

- PostgreSQL: ``SET CONSTRAINTS ... DEFERRED`` for that constraint (found in the
  live catalog by its columns, so its name may differ from the models'), and
  ``SET CONSTRAINTS ... IMMEDIATE`` once every table is written, which checks it
  there and then; an ``INITIALLY DEFERRED`` constraint goes back to deferred.
- SQLite: ``PRAGMA defer_foreign_keys = ON`` for the transaction (SQLite defers
  only ``DEFERRABLE INITIALLY DEFERRED`` keys by itself, and the pragma resets at
  COMMIT); ``PRAGMA foreign_key_check`` (the integrity check) finds a violation.

The same declaration is asked for on both backends: SQLite could defer any key
with the pragma, but a cycle SQLite alone could be seeded through would fail on
PostgreSQL, and the application inserting its own rows faces the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.errors import SeedError
from workbench.seed.catalog import Catalog, ForeignKeySpec, RawNames, TableSpec

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass
class Deferral:
    """The constraints deferred for this run, and how to put them back."""

    conn: Connection
    edges: list[tuple[TableSpec, ForeignKeySpec]]
    names: dict[str, bool] = field(default_factory=dict)
    """PostgreSQL: ``{qualified constraint name: initially deferred}``."""
    bare: set[str] = field(default_factory=set)
    """PostgreSQL: the deferred constraints' names as they are (a bulk load keeps them)."""
    pragma_before: int | None = None

    def begin(self) -> None:
        if not self.edges:
            return
        with db.driver_cursor(self.conn) as cursor:
            if self.conn.dialect.name == "sqlite":
                self.pragma_before = int(cursor.execute("PRAGMA defer_foreign_keys").fetchone()[0])
                cursor.execute("PRAGMA defer_foreign_keys = ON")
                return
            for info, fk in self.edges:
                found = _live_constraint(cursor, RawNames(self.conn.dialect), info, fk)
                if found is None:  # not in the database: nothing checks it
                    continue
                name, bare, deferrable, initially_deferred = found
                if not deferrable:
                    raise SeedError(
                        f"the models declare the foreign key {fk.describe(info.name)} "
                        f"DEFERRABLE, but the database's constraint {name} is not, so the "
                        "cycle it closes cannot be seeded. Nothing was written.",
                        hint="Bring the database in line with the models: a revision that drops "
                        "the constraint and creates it again with deferrable=True "
                        '(op.create_foreign_key(..., deferrable=True, initially="DEFERRED")), '
                        "then upgrade.",
                    )
                self.names[name] = initially_deferred
                self.bare.add(bare)
            if self.names:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.names)} DEFERRED")

    def end(self) -> None:
        """Check the deferred keys now (PostgreSQL) and put the modes back."""
        if not self.edges:
            return
        with db.driver_cursor(self.conn) as cursor:
            if self.conn.dialect.name == "sqlite":
                if not self.pragma_before:
                    cursor.execute("PRAGMA defer_foreign_keys = OFF")
                return
            if not self.names:
                return
            try:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.names)} IMMEDIATE")
            except Exception as exc:  # the driver's error, named and explained
                edges = "; ".join(fk.describe(info.name) for info, fk in self.edges)
                text = " ".join(str(exc).split())
                raise SeedError(
                    f"the rows written before their parents through {edges} do not all find "
                    f"their parent. The database said: {text}.",
                    hint="Nothing was committed. Leave the cycle's tables empty (--rows "
                    "TABLE=0), or make one of its foreign keys nullable.",
                ) from None
            again = [n for n, deferred in self.names.items() if deferred]
            if again:
                cursor.execute(f"SET CONSTRAINTS {', '.join(again)} DEFERRED")


def deferral(conn: Connection, catalog: Catalog, counts: dict[str, int]) -> Deferral:
    """The edges written before their parents in this run (tables with rows to write)."""
    edges = [
        (info, fk)
        for info in catalog.order
        for fk in info.fks
        if fk.early and counts.get(info.key, 0) > 0
    ]
    return Deferral(conn, edges)


def _live_constraint(
    cursor: Any, names: RawNames, info: TableSpec, fk: ForeignKeySpec
) -> tuple[str, str, bool, bool] | None:
    """``(qualified quoted name, name, deferrable, initially deferred)`` of the database's foreign
    key on ``fk``'s columns of ``info``'s table, or ``None`` if it has none."""
    cursor.execute(
        "SELECT n.nspname, c.conname, c.condeferrable, c.condeferred, "
        "ARRAY(SELECT a.attname::text FROM unnest(c.conkey) AS k(n) JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = k.n) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s) ORDER BY c.conname",
        (names.format_table(info.table),),
    )
    wanted = sorted(fk.columns)
    for schema, name, deferrable, deferred, cols in cursor.fetchall():
        if sorted(cols) == wanted:
            qualified = f"{names.quote(schema)}.{names.quote(name)}"
            return qualified, str(name), bool(deferrable), bool(deferred)
    return None
