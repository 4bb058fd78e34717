"""``workbench check``: prove that every revision goes down and up without a trace or a loss.

For each schema and each backend (``sqlite``, or a PostgreSQL server on which
throwaway databases are made), on scratch databases only, :func:`check` proves:

1. the history has one head and applies from base;
2. at every revision: snapshot, upgrade, snapshot, downgrade, snapshot (equal
   to the one before the upgrade: leftover enum types, indexes, CHECKs,
   defaults and ``_alembic_tmp_*`` tables included), upgrade again (equal to
   the first upgrade). A downgrade that raises ``NotImplementedError`` is
   reported as irreversible;
3. at head, the models and the database agree: autogenerate, run exactly as
   ``workbench generate`` runs it, has nothing to write, and a database made
   from the models has the same enum values, CHECK constraints and server
   defaults (which autogenerate does not compare);
4. with rows seeded before every step into the tables it may change (those
   its operations name and the tables referring to them; all of them when it
   runs SQL the workbench cannot read), a step leaves the rows of the tables
   it does not touch unchanged (checksums), and keeps rows and values where
   its operations keep data (a rename, a widening, an added nullable column);
5. lint findings of severity error fail the check.

The chain is walked once, in one Alembic run on one scratch database per
schema and backend: the work between steps (snapshots, seeding, checksums)
happens between Alembic's per-revision transactions, and each step reflects
only the tables its operations name (and the tables that refer to them), or
everything when it runs SQL the workbench cannot read. The cost is linear in
the number of revisions.

Findings have stable codes (:data:`CODES`); each message says which revision,
what differs, and how to fix it.

The package is a pipeline, one module per stage: :mod:`~workbench.check.codes`
(codes, findings and fixes), :mod:`~workbench.check.history` (the revisions,
read once), :mod:`~workbench.check.effects` (what a step does, from its
operations), :mod:`~workbench.check.rows` (seeding and the data proofs),
:mod:`~workbench.check.step` (the proofs around one revision),
:mod:`~workbench.check.head` (models and database at head),
:mod:`~workbench.check.walk` (one schema on one backend) and
:mod:`~workbench.check.api` (the entry point).
"""

from workbench.check.api import check
from workbench.check.codes import CODES, Code
from workbench.check.rows import ROWS, SEED
from workbench.check.targets import backend_of, default_against, resolve_schemas
from workbench.check.walk import StepProgress

__all__ = [
    "CODES",
    "ROWS",
    "SEED",
    "Code",
    "StepProgress",
    "backend_of",
    "check",
    "default_against",
    "resolve_schemas",
]
