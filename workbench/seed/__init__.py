"""Seed data: rows that satisfy every constraint, deterministic, close to the driver's insert limit.

The public API, in the order other capabilities are likely to want it:

``seed(cfg, schema, *, rows=None, seed=0, url=None, truncate=False, fill_defaults=False,
sample=0, on_progress=None) -> SeedReport``
    The ``workbench seed`` verb: loads the models, refuses a target that is not
    at head, seeds it through :func:`seed_connection` and commits.

``seed_connection(conn, metadata, rows=None, *, seed=0, truncate=False, fill_defaults=False,
verify=True, sample=0, on_progress=None, schema="") -> SeedReport``
    The core. Seeds the tables of ``metadata`` through ``conn`` (SQLite or
    PostgreSQL), inside the connection's transaction (begun if none is open);
    the caller commits or rolls back. ``metadata`` may come from the models or
    from :func:`reflect` (a live database at any revision: reflected types,
    CHECKs as text, PostgreSQL enums with their values). Rows are appended to
    what the tables hold, and stay apart from it on every UNIQUE.

``reflect(conn) -> MetaData``
    The live database's tables, without ``alembic_version``.

``plan_rows(metadata, rows=None) -> dict[str, int]``
    The row count each table would be asked for, before any capping (pure).

``rows`` is an ``int`` (that many rows in every table), a mapping of table
name to count (other tables get the default; the key ``"*"`` sets a count for
every table not named), or ``None``: root tables get :data:`DEFAULT_ROWS` and
a child table :data:`PER_PARENT` rows per row of its largest parent
(:data:`PER_LINK_PARENT` for a link table). A count that the table's keys
cannot reach (more link rows than parent pairs) is an error when the table
was named, and is capped otherwise (``TableSeed.requested`` says so).
``on_progress(table, done, total)`` is called after each batch.

How rows are made: tables in foreign-key order, cycles broken by inserting one
nullable foreign key empty and filling it afterwards; integer keys assigned by
the engine (so children know their parents without reading them back, and
PostgreSQL sequences are moved past them), UUID keys from a bijection of the
row index; foreign keys spread over parents with a long tail; composite keys
and composite UNIQUEs walk a permutation of the parent pairs, so they are
distinct by construction. Values come from fixed pools in
:mod:`workbench.seed.pools` a batch at a time, a batch being made by a
``random.Random`` seeded from ``(seed, table, batch number)``: the same seed
gives the same rows. SQLite gets ``executemany`` in the caller's transaction,
PostgreSQL ``COPY ... FROM STDIN``; memory stays flat (one batch at a time).

The package is a pipeline, one module per stage: :mod:`~workbench.seed.catalog`
(the tables, their order and counts) -> :mod:`~workbench.seed.planner` (one
table turned into :mod:`~workbench.seed.slots`, with the column rules of
:mod:`~workbench.seed.rules`) -> :mod:`~workbench.seed.writer` (batches to the
database) -> :mod:`~workbench.seed.verify` (the database asked whether every
constraint holds). :mod:`~workbench.seed.constraints` reads CHECK constraints;
:mod:`~workbench.seed.values` and :mod:`~workbench.seed.pools` make the values.
"""

from workbench.seed.api import reflect, seed, seed_connection
from workbench.seed.catalog import (
    BATCH_SIZE,
    DEFAULT_ROWS,
    EVERY_TABLE,
    NULL_SHARE,
    PER_LINK_PARENT,
    PER_PARENT,
    SELF_ROOT_SHARE,
    OnProgress,
    Rows,
    plan_rows,
)

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_ROWS",
    "EVERY_TABLE",
    "NULL_SHARE",
    "PER_LINK_PARENT",
    "PER_PARENT",
    "SELF_ROOT_SHARE",
    "OnProgress",
    "Rows",
    "plan_rows",
    "reflect",
    "seed",
    "seed_connection",
]
