"""What a lint rule is and what it sees: the registry, one revision's operations, helpers."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.lint.keys import Keys
from workbench.results import Severity
from workbench.revisions import Capture, CapturedOp, HistoryModel

Direction = Literal["upgrade", "downgrade"]


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: a message, and the operation (or line) it is about."""

    message: str
    op: CapturedOp | None = None
    direction: Direction = "upgrade"
    line: int | None = None
    severity: Literal["error", "warning", "info"] | None = None
    """Overrides the rule's: a warning where the rule cannot decide (it says why)."""


Check = Callable[["RevisionOps"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered lint rule; its check function's docstring is its documentation."""

    code: str
    name: str
    severity: Severity
    backend: str
    """``postgresql`` or ``sqlite`` when the risk exists on one backend only; ``""`` for both."""
    check: Check

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name

    @property
    def risk(self) -> str:
        return _section(self.doc, "Risk")

    @property
    def fix(self) -> str:
        return _section(self.doc, "Fix")


def _section(doc: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*?)(?=^\w+:|\Z)", doc, re.S | re.M)
    return " ".join(match.group(1).split()).replace("``", "`") if match else ""


RULES: dict[str, Rule] = {}
"""Every rule, by code, in the order they are registered."""


def rule(
    code: str, name: str, severity: Severity, *, backend: str = ""
) -> Callable[[Check], Check]:
    """Register a check function as rule ``code``."""

    def register(check: Check) -> Check:
        if code in RULES:
            raise ValueError(f"lint rule {code} is registered twice")
        RULES[code] = Rule(code, name, severity, backend, check)
        return check

    return register


# --- what a rule sees --------------------------------------------------------------------


@dataclass
class RevisionOps:
    """One revision as the rules see it: both directions' operations and the schema before it."""

    revision: str
    path: Path
    upgrade: Capture
    downgrade: Capture
    before: HistoryModel
    """The tables and columns the history built before this revision."""
    source: list[str] = field(default_factory=list)
    keys_before: Keys = field(default_factory=Keys)
    """The keys, constraints and indexes the history built before this revision."""
    keys_after: Keys = field(default_factory=Keys)
    """The same after its upgrade: what its downgrade starts from."""
    filled: frozenset[tuple[str, str]] = frozenset()
    """Columns an earlier revision's upgrade filled with an UPDATE (backfilled)."""
    backend: str = "postgresql"
    """The dialect these operations were read for (revisions may branch on it)."""
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    """The backends the schema supports."""

    def keys(self, direction: Direction) -> Keys:
        """A copy of the keys as they stand when ``direction`` starts."""
        return (self.keys_before if direction == "upgrade" else self.keys_after).copy()

    def ops(self, direction: Direction) -> tuple[CapturedOp, ...]:
        return self.upgrade.ops if direction == "upgrade" else self.downgrade.ops

    def created(self, direction: Direction) -> set[str]:
        """Tables this direction creates: operations on them touch no existing rows."""
        return {_op(c).table_name for c in self.ops(direction) if c.kind == "create_table"}

    def on_existing(self, direction: Direction, *kinds: str) -> Iterator[tuple[CapturedOp, str]]:
        """The operations of ``kinds`` on tables that existed before this direction ran."""
        created = self.created(direction)
        for c in self.ops(direction):
            table = table_of(c)
            if c.kind in kinds and table is not None and table not in created:
                yield c, table

    def def_line(self, direction: Direction) -> int | None:
        for number, text in enumerate(self.source, start=1):
            if text.startswith(f"def {direction}("):
                return number
        return None

    def old_type(self, table: str, column: str, op: Any = None) -> Any:
        """A column's type before the change: the operation's ``existing_type``, else history."""
        if op is not None and getattr(op, "existing_type", None) is not None:
            return op.existing_type
        state = self.before.column(table, column)
        return state.type if state is not None else None


def _op(captured: CapturedOp) -> Any:
    """The Alembic operation object, typed loosely: rules read attributes of many kinds."""
    return captured.op


def table_of(captured: CapturedOp) -> str | None:
    """The table an operation changes (a new foreign key's source table included)."""
    return captured.table


def _prefix(direction: Direction) -> str:
    return "" if direction == "upgrade" else "downgrade: "


def _sql(op: Any) -> str:
    text = op.sqltext if isinstance(op.sqltext, str) else getattr(op.sqltext, "text", op.sqltext)
    return " ".join(str(text).split())


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_DML = ("UPDATE", "DELETE", "INSERT", "TRUNCATE", "MERGE", "COPY")


def _is_dml(sql: str) -> bool:
    words = _COMMENTS.sub(" ", sql).upper().split()
    if not words:
        return False
    if words[0] == "WITH":
        return any(w in _DML for w in words)
    return words[0] in _DML


def _updates(sql: str, table: str, column: str) -> bool:
    """Whether ``sql`` is an UPDATE of ``table`` that sets ``column``."""
    pattern = (
        rf'^\s*UPDATE\s+(?:"?\w+"?\.)?"?{re.escape(table)}"?\s+SET\s+(?:[^;]*?,\s*)?'
        rf'"?{re.escape(column)}"?\s*='
    )
    return re.search(pattern, sql, re.I | re.S) is not None


_UPDATE = re.compile(
    r'^\s*UPDATE\s+(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?\s+(?:AS\s+\w+\s+)?SET\s+(.*?)'
    r"(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|;|$)",
    re.I | re.S,
)
_ASSIGNED = re.compile(r'(?:^|,)\s*(?:\w+\.)?"?(\w+)"?\s*=')


def filled_by(captured: CapturedOp) -> set[tuple[str, str]]:
    """The ``(table, column)`` pairs an ``op.execute`` UPDATE sets (SQL text or ``sa.update``)."""
    if captured.kind != "execute":
        return set()
    match = _UPDATE.search(_COMMENTS.sub(" ", _sql(captured.op)))
    if match is None:
        return set()
    table, assignments = match.group(1), match.group(2)
    return {(table, column) for column in _ASSIGNED.findall(assignments)}


def _short(sql: str, size: int = 60) -> str:
    return sql if len(sql) <= size else sql[: size - 3] + "..."
