"""The results ``advise`` returns: indexes to create or drop, and the measurements behind them.

Frozen dataclasses with a ``to_json()``, like every result in
:mod:`workbench.results`, which re-exports them. They live apart so that the
commands that never advise (``upgrade`` first of all) do not pay for
building them: :mod:`workbench.results` loads this module on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

AdviceAction = Literal["create", "drop"]


@dataclass(frozen=True)
class Evidence:
    """One query measured on a seeded scratch database without and with an index."""

    query: str
    plan_before: str
    """A one-line summary of the plan (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL node types)."""
    plan_after: str
    ms_before: float
    ms_after: float
    cost_before: float | None = None
    """PostgreSQL's estimated total cost; on SQLite, the virtual-machine instructions the query
    ran (SQLite has no cost estimate); both are the same for the same data, unlike a time."""
    cost_after: float | None = None
    timed_out: bool = False
    """The query was stopped at the time limit without the index: ``ms_before`` is a lower
    bound."""

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "plan_before": self.plan_before,
            "plan_after": self.plan_after,
            "ms_before": round(self.ms_before, 4),
            "ms_after": round(self.ms_after, 4),
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "timed_out": self.timed_out,
        }


@dataclass(frozen=True)
class Advice:
    """One index to create or drop, with the rule that asks for it and why.

    A redundant index is a ``drop`` naming its ``index``; a ``create`` names the
    index it would make. Workload advice carries the measurements that proved it.
    """

    action: AdviceAction
    table: str
    columns: tuple[str, ...]
    index: str
    code: str
    reason: str
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "table": self.table,
            "columns": list(self.columns),
            "index": self.index,
            "code": self.code,
            "reason": self.reason,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class Rejected:
    """A workload candidate that was measured and not kept, and why."""

    table: str
    columns: tuple[str, ...]
    code: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "columns": list(self.columns),
            "code": self.code,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AdviceReport:
    """What ``advise`` found for one schema, and the revision it wrote if asked to."""

    schema: str
    advice: tuple[Advice, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    queries: int = 0
    """Workload statements analysed."""
    skipped: tuple[str, ...] = ()
    """Workload statements that could not be used, each with the reason."""
    backend: str | None = None
    """Where the workload was proved (``sqlite`` or ``postgresql``), if it was."""
    rows: int | None = None
    """Rows seeded per table for the proof."""
    hypothetical: bool = False
    """Whether PostgreSQL costs were first screened with HypoPG's hypothetical indexes."""
    proved_on: str | None = None
    """Whose data the proof used: ``seeded`` (a scratch database seeded with ``rows``),
    ``target copy`` (a copy of the ``--url`` SQLite file, its own rows) or ``target hypopg``
    (the ``--url`` PostgreSQL database itself, read only: EXPLAIN with HypoPG's
    hypothetical indexes and its own statistics)."""
    proof_note: str = ""
    """Why the proof used seeded data although ``--url`` was given, when it did."""
    revision: str | None = None
    path: Path | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "advice": [a.to_json() for a in self.advice],
            "rejected": [r.to_json() for r in self.rejected],
            "queries": self.queries,
            "skipped": list(self.skipped),
            "backend": self.backend,
            "rows": self.rows,
            "hypothetical": self.hypothetical,
            "proved_on": self.proved_on,
            "proof_note": self.proof_note or None,
            "revision": self.revision,
            "path": str(self.path) if self.path else None,
            "seconds": round(self.seconds, 3),
        }
