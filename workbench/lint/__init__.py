"""Migration safety lint: rules over each revision's Alembic operations, without a database.

Each revision's ``upgrade()`` and ``downgrade()`` are read with
:func:`workbench.revisions.capture` (the Alembic operation objects, with the
file line that made each), and the history before it is replayed with
:class:`~workbench.revisions.HistoryModel` (so a rule knows whether a table
already existed and what type a column had). Rules are small registered units
in :data:`RULES`: an id (``WB101``), a name, a severity, the backend they are
about (or both) and a docstring that says the risk and the fix.

A finding is silenced by a comment on the operation's statement, or on the
comment line right above it::

    op.drop_column("users", "bio")  # workbench: ignore[WB102]

``[WB101,WB102]`` silences several; rule names work as well as ids.

Public API, stable for the other capabilities (``check`` fails on lint errors,
proof 5 of `check`: see ARCHITECTURE.md and docs/check.md):

* :func:`lint_revisions` ``(cfg, schema, revision=None) -> list[Finding]``:
  the findings, base to head; ``revision`` limits them to one revision
  (an id, a unique prefix, or ``head``). Findings carry ``schema``,
  ``revision``, ``path``, ``line``, ``code``, ``severity``, ``message``,
  ``details`` (``("fix: ...",)``) and ``backend`` (``postgresql`` or
  ``sqlite`` for a rule about one backend, ``""`` for both).
* :func:`lint` ``(cfg, schema, revision=None) -> LintReport``: the same as a
  report (``ok`` is false when any finding is an error).
* :data:`RULES`: code to :class:`Rule`.
"""

from workbench.lint import postgres as _postgres  # noqa: F401  (registers its rules)
from workbench.lint import rules as _rules  # noqa: F401  (registers the rules)
from workbench.lint import sqlite as _sqlite  # noqa: F401  (registers its rules)
from workbench.lint.base import RULES, Hit, RevisionOps, Rule, rule
from workbench.lint.run import check_revision, lint, lint_revisions

__all__ = [
    "RULES",
    "Hit",
    "RevisionOps",
    "Rule",
    "check_revision",
    "lint",
    "lint_revisions",
    "rule",
]
