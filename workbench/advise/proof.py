"""Proof by measurement: each candidate index is tried on a seeded scratch database.

For every workload query that touches a candidate's table, the plan, the
PostgreSQL cost and the run time are measured without the candidate and with
it. A candidate is *proven* on a query when the plan uses it and the cost or
the time at least halves (time differences under :data:`NOISE_MS` do not
count). From the proven candidates a small set is chosen greedily: the one
that serves the most still-unserved queries first, a longer index only when it
is markedly faster, until every query that some candidate speeds up is served.

SQLite: ``EXPLAIN QUERY PLAN`` and wall-clock time (SQLite has no cost), with
``ANALYZE`` statistics. PostgreSQL: ``EXPLAIN (FORMAT JSON)`` total cost and
wall-clock time after ``ANALYZE``; with the HypoPG extension available on the
server, candidates are first screened as hypothetical indexes (no build), and
only those whose cost halves are built for real to measure time.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.advise.catalog import IndexView, TableView, index_name
from workbench.advise.rules import Candidate
from workbench.advise.workload import Query, bind
from workbench.results import Advice, Evidence, Rejected

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

NOISE_MS = 0.05
"""A time difference smaller than this (milliseconds) is noise, not proof."""
TIMEOUT_S = 2.0
"""One run of a statement is stopped after this long; its time then counts as (at least) this.

A query that slow on the scratch database (a correlated subquery scanning a
table per row, say) is exactly what an index should fix, so it is measured
as "at least 2 s" rather than skipped or waited for."""
STEP = 16
"""SQLite counts its virtual-machine instructions in steps of this many (a progress handler)."""
MARGIN = 1.25
"""A replacement index (one that extends an existing index, which it makes redundant) is kept
when it cuts the cost by this factor: it adds no index, so halving is not the bar."""
MAX_RUNS, BUDGET_S = 25, 0.05
"""Each timing is the fastest of the runs that fit in 50 ms (at least one, at most 25)."""


@dataclass(frozen=True)
class Measurement:
    plan: str
    cost: float | None
    ms: float
    capped: bool = False
    """The run was stopped at :data:`TIMEOUT_S`: ``ms`` is a lower bound."""


class Bench:
    """A seeded scratch database on which statements are planned and timed.

    Measurements go through the DB-API connection (no SQLAlchemy overhead in
    the timings); data-changing statements run in a transaction that is rolled
    back, so every measurement sees the same data.
    """

    def __init__(
        self, conn: Connection, *, hypothetical: bool | None = None, read_only: bool = False
    ) -> None:
        self.conn = conn
        self.backend = conn.dialect.name
        if conn.in_transaction():
            conn.commit()
        self.raw: Any = conn.connection.driver_connection
        assert self.raw is not None
        self._samples: dict[tuple[str, str, str], Any] = {}
        self._counts: dict[str, int] = {}
        self.read_only = read_only
        """A live target (PostgreSQL with HypoPG installed): every statement runs in a
        read-only transaction, nothing is timed or built, indexes are hypothetical and
        verdicts rest on the planner's costs with the target's own statistics."""
        if self.backend == "postgresql":
            self.raw.autocommit = True
            if read_only:
                self._exec("SET default_transaction_read_only = on")
            self._exec(f"SET statement_timeout = {int(TIMEOUT_S * 1000)}")
        if read_only:
            if self.backend != "postgresql" or not self._exec(
                "SELECT 1 FROM pg_extension WHERE extname = 'hypopg'"
            ):
                raise ValueError("a read-only bench needs PostgreSQL with HypoPG installed")
            self.hypothetical = True
            return
        self.hypothetical = self._hypopg() if hypothetical is not False else False
        if hypothetical and not self.hypothetical:
            from workbench.errors import DatabaseError

            raise DatabaseError(
                "HypoPG was asked for, but the extension is not available on the server.",
                hint="Install it (postgresql-NN-hypopg), or leave hypothetical indexes off.",
            )

    # -- plumbing ---------------------------------------------------------------------------

    def _exec(self, sql: str) -> list[tuple[Any, ...]]:
        cur = self.raw.cursor()
        try:
            cur.execute(sql)
            return list(cur.fetchall()) if cur.description else []
        finally:
            cur.close()

    def _hypopg(self) -> bool:
        if self.backend != "postgresql":
            return False
        if not self._exec("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"):
            return False
        try:
            self._exec("CREATE EXTENSION IF NOT EXISTS hypopg")
        except Exception:  # no right to create it, or a broken install: advise without it
            return False
        return True

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[None]:
        """Stop a SQLite statement after :data:`TIMEOUT_S` (PostgreSQL: ``statement_timeout``)."""
        if self.backend != "sqlite":
            yield
            return
        stop = time.monotonic() + TIMEOUT_S
        self.raw.set_progress_handler(lambda: int(time.monotonic() > stop), 10_000)
        try:
            yield
        finally:
            self.raw.set_progress_handler(None, 0)

    def analyze(self) -> None:
        """Refresh the planner's statistics (after seeding, and after adding an index)."""
        if not self.read_only:
            self._exec("ANALYZE")

    # -- sampling values for placeholders ---------------------------------------------------

    def sample(self, table: str, column: str, where: str) -> Any:
        """A stored value of ``table.column``: the median (``eq``), or 0.1% from the top or bottom.

        A range query in an application looks for the few latest (or earliest)
        rows, as in "orders since yesterday"; the 0.1% end stands for that.
        """
        key = (table, column, where)
        if key not in self._samples:
            n = self.count(table)
            order, offset = {
                "eq": ("ASC", n // 2),
                "low": ("ASC", n // 1000),
                "high": ("DESC", n // 1000),
                "top": ("DESC", 0),
            }[where]
            t, c = self.quote(table), self.quote(column)
            rows = self._exec(
                f"SELECT {c} FROM {t} WHERE {c} IS NOT NULL ORDER BY {c} {order} "
                f"LIMIT 1 OFFSET {offset}"
            )
            self._samples[key] = rows[0][0] if rows else None
        return self._samples[key]

    def count(self, table: str) -> int:
        if table not in self._counts:
            self._counts[table] = int(self._exec(f"SELECT count(*) FROM {self.quote(table)}")[0][0])
        return self._counts[table]

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    # -- measuring --------------------------------------------------------------------------

    def explain(self, sql: str) -> tuple[str, float | None]:
        """A one-line plan summary, and PostgreSQL's estimated total cost."""
        if self.backend == "postgresql":
            document = self._exec(f"EXPLAIN (FORMAT JSON) {sql}")[0][0]
            if isinstance(document, str):
                import json

                document = json.loads(document)
            plan = document[0]["Plan"]
            return "; ".join(_pg_nodes(plan)), float(plan["Total Cost"])
        rows = self._exec(f"EXPLAIN QUERY PLAN {sql}")
        return "; ".join(str(r[-1]) for r in rows), None

    def time(self, sql: str, *, dml: bool) -> tuple[float, bool]:
        """The fastest run after a warm-up, in milliseconds, and whether it hit the time limit.

        Runs are repeated until they add up to :data:`BUDGET_S` (at most
        :data:`MAX_RUNS`): a lookup is timed many times, a slow scan once.
        """
        if self.read_only:
            return 0.0, False
        cur = self.raw.cursor()
        best, spent, runs = math.inf, 0.0, 0
        try:
            if self._run(cur, sql, dml) is None:  # the warm-up run
                return TIMEOUT_S * 1000, True
            while spent < BUDGET_S and runs < MAX_RUNS:
                took = self._run(cur, sql, dml)
                if took is None:
                    return TIMEOUT_S * 1000, True
                best, spent, runs = min(best, took), spent + took, runs + 1
        finally:
            cur.close()
        return best * 1000, False

    def _run(self, cur: Any, sql: str, dml: bool) -> float | None:
        """One run, in seconds; ``None`` when the time limit stopped it."""
        if dml:
            cur.execute("BEGIN")
        try:
            with self._deadline():
                started = time.perf_counter()
                cur.execute(sql)
                if cur.description:
                    cur.fetchall()
                return time.perf_counter() - started
        except Exception as exc:
            if _timed_out(exc):
                return None
            raise
        finally:
            # SQLite rolls an interrupted statement's transaction back by itself.
            if dml and (self.backend != "sqlite" or self.raw.in_transaction):
                cur.execute("ROLLBACK")

    def work(self, sql: str, *, dml: bool) -> float | None:
        """SQLite: the virtual-machine instructions one run executes (deterministic for the
        same data and plan, unlike a time); ``None`` elsewhere (PostgreSQL has its cost)."""
        if self.backend != "sqlite":
            return None
        counted = [0]
        stop = time.monotonic() + TIMEOUT_S

        def tick() -> int:
            counted[0] += 1
            return int(time.monotonic() > stop)

        cur = self.raw.cursor()
        if dml:
            cur.execute("BEGIN")
        self.raw.set_progress_handler(tick, STEP)
        try:
            cur.execute(sql)
            if cur.description:
                cur.fetchall()
        except Exception as exc:
            if not _timed_out(exc):
                raise
        finally:
            self.raw.set_progress_handler(None, 0)
            if dml and self.raw.in_transaction:
                cur.execute("ROLLBACK")
            cur.close()
        return float(counted[0] * STEP)

    def measure(self, sql: str, *, dml: bool) -> Measurement:
        plan, cost = self.explain(sql)
        if cost is None:
            cost = self.work(sql, dml=dml)
        ms, capped = self.time(sql, dml=dml)
        return Measurement(plan, cost, ms, capped)

    @contextlib.contextmanager
    def index(self, table: str, columns: Sequence[str], name: str) -> Iterator[str]:
        """A real index on the scratch database for the duration; yields its name.

        On a read-only bench, a hypothetical one (yields the name plans show)."""
        if self.read_only:
            with self.hypothetical_index(table, columns) as hypo:
                yield hypo
            return
        cols = ", ".join(self.quote(c) for c in columns)
        self._exec(f"CREATE INDEX {self.quote(name)} ON {self.quote(table)} ({cols})")
        try:
            if self.backend == "sqlite":
                self._exec(f"ANALYZE {self.quote(name)}")
            yield name
        finally:
            self._exec(f"DROP INDEX {self.quote(name)}")

    @contextlib.contextmanager
    def hypothetical_index(self, table: str, columns: Sequence[str]) -> Iterator[str]:
        """A HypoPG hypothetical index (seen by EXPLAIN only); yields the name plans show."""
        cols = ", ".join(self.quote(c) for c in columns)
        ddl = f"CREATE INDEX ON {self.quote(table)} ({cols})".replace("'", "''")
        oid, name = self._exec(f"SELECT indexrelid, indexname FROM hypopg_create_index('{ddl}')")[0]
        try:
            yield str(name)
        finally:
            self._exec(f"SELECT hypopg_drop_index({int(oid)})")


def _timed_out(exc: BaseException) -> bool:
    """SQLite's progress handler stopped it, or PostgreSQL's statement_timeout did."""
    return type(exc).__name__ == "QueryCanceled" or "interrupted" in str(exc).lower()


def _pg_nodes(node: Mapping[str, Any]) -> Iterator[str]:
    text = str(node["Node Type"])
    if node.get("Index Name"):
        text += f" using {node['Index Name']}"
    if node.get("Relation Name"):
        text += f" on {node['Relation Name']}"
    yield text
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child)


# --- proving candidates -------------------------------------------------------------------


def uses(plan: str, name: str) -> bool:
    return re.search(rf"(?<![\w<>]){re.escape(name)}(?!\w)", plan) is not None


def halves(before: Measurement, after: Measurement, factor: float = 2.0) -> bool:
    """Whether the cost at least halved (divided by ``factor``).

    The cost is PostgreSQL's estimate or SQLite's instruction count: both the
    same for the same data, so two runs with one seed give one verdict. Only
    without a cost does the time decide (beyond noise).
    """
    if before.cost is not None and after.cost is not None:
        return after.cost <= before.cost / factor
    if after.capped:
        return False
    return after.ms <= before.ms / factor and before.ms - after.ms >= NOISE_MS


def gain(before: Measurement, after: Measurement) -> float:
    """How many times better: the cost ratio where there is a cost, else the time ratio."""
    if before.cost is not None and after.cost:
        return before.cost / after.cost
    return before.ms / after.ms if after.ms > 0 else before.ms / 1e-6


@dataclass
class _Trial:
    candidate: Candidate
    name: str
    proven: dict[int, tuple[Measurement, Measurement]]
    """Query index to (before, after), for the queries it is proven on."""
    note: str = ""
    replaces: IndexView | None = None
    """An existing index this one extends and makes redundant (to drop when it is advised)."""


Progress = Callable[[str], None]


def prove(
    bench: Bench,
    queries: Sequence[Query],
    candidates: Sequence[Candidate],
    tables: Mapping[str, TableView],
    *,
    given: Sequence[Advice] = (),
    naming: Mapping[object, object] | None = None,
    progress: Progress | None = None,
) -> tuple[list[Advice], list[Rejected], list[str]]:
    """Measure every candidate against the queries it could serve; keep a proven few.

    ``given`` are indexes advised anyway (by the model rules): they are measured
    too, for evidence, and the queries they speed up need no other index.

    Returns:
        The advice (each with its evidence), the candidates rejected with why,
        and one line per query that could not be measured.
    """
    skipped: list[str] = []
    sqls: dict[int, str] = {}
    before: dict[int, Measurement] = {}
    for i, q in enumerate(queries):
        try:
            sqls[i] = bind(q, bench.sample, bench.backend)
            before[i] = bench.measure(sqls[i], dml=q.kind != "select")
        except Exception as exc:  # the user's query fails there: reported as skipped, never fatal
            skipped.append(f"{_short(q.text)}: fails on the scratch database: {_reason(exc)}")
    trials: list[_Trial] = []
    rejected: list[Rejected] = []
    fixed = [Candidate(a.table, a.columns, a.code, a.reason) for a in given if a.columns]
    names = {(a.table, a.columns): a.index for a in given}
    for candidate in [*fixed, *_unique(candidates)]:
        related = [i for i in before if candidate.table in queries[i].tables]
        if not related:
            continue
        table = tables[candidate.table]
        name = names.get((candidate.table, candidate.columns)) or index_name(
            candidate.table, candidate.columns, naming, taken=table.index_names()
        )
        if candidate in fixed:
            trials.append(_measure(bench, candidate, name, related, queries, sqls, before)[0])
            continue
        if (candidate.table, candidate.columns) in names:
            continue
        if progress:
            progress(f"trying {candidate.table} ({', '.join(candidate.columns)})")
        if bench.hypothetical:
            with bench.hypothetical_index(candidate.table, candidate.columns) as hypo:
                factor = MARGIN if _extended(table, candidate.columns) else 2.0
                screened = [
                    i for i in related if _cost_halves(bench, sqls[i], before[i], hypo, factor)
                ]
            if not screened:
                rejected.append(
                    _rejection(candidate, "as a hypothetical index it halves no query's cost")
                )
                continue
            related = screened
        replaces = _extended(table, candidate.columns)
        trial, worst = _measure(
            bench, candidate, name, related, queries, sqls, before, replaces=replaces
        )
        if trial.proven:
            trials.append(trial)
        else:
            rejected.append(_rejection(candidate, worst))
    advice, superseded = _choose(trials, queries, fixed=sum(t.candidate in fixed for t in trials))
    rejected.extend(superseded)
    return advice, rejected, skipped


def _measure(
    bench: Bench,
    candidate: Candidate,
    name: str,
    related: Sequence[int],
    queries: Sequence[Query],
    sqls: Mapping[int, str],
    before: Mapping[int, Measurement],
    replaces: IndexView | None = None,
) -> tuple[_Trial, str]:
    """Build the index for real and measure the related queries; why not, if proven on none."""
    trial = _Trial(candidate, name, {}, replaces=replaces)
    why: dict[str, str] = {}
    with bench.index(candidate.table, candidate.columns, name) as built:
        for i in related:
            plan, cost = bench.explain(sqls[i])
            if not uses(plan, built):  # cannot be proven on this query: no need to time it
                why[queries[i].text] = _why_not(queries[i], before[i], None, name)
                continue
            dml = queries[i].kind != "select"
            if cost is None:
                cost = bench.work(sqls[i], dml=dml)
            ms, capped = bench.time(sqls[i], dml=dml)
            after = Measurement(plan, cost, ms, capped)
            if (
                better(before[i], after, MARGIN)
                if replaces is not None
                else halves(before[i], after)
            ):
                trial.proven[i] = (before[i], after)
            else:
                why[queries[i].text] = _why_not(queries[i], before[i], after, name)
    return trial, why.get(candidate.query) or next(iter(why.values()), "")


def _cost_halves(
    bench: Bench, sql: str, before: Measurement, name: str, factor: float = 2.0
) -> bool:
    plan, cost = bench.explain(sql)
    return (
        uses(plan, name)
        and cost is not None
        and before.cost is not None
        and (cost <= before.cost / factor)
    )


def _extended(table: TableView, columns: Sequence[str]) -> IndexView | None:
    """A plain index that is a leading prefix of ``columns``: the new index would serve every
    lookup it serves (its foreign key's included) and make it redundant."""
    for index in table.indexes:
        if (
            index.kind == "index"
            and not index.unique
            and not index.partial
            and len(index.columns) < len(columns)
            and tuple(columns[: len(index.columns)]) == index.columns
        ):
            return index
    return None


def _unique(candidates: Sequence[Candidate]) -> list[Candidate]:
    seen: dict[tuple[str, frozenset[str] | tuple[str, ...]], Candidate] = {}
    for c in candidates:
        key = (c.table, frozenset(c.columns) if c.any_order else c.columns)
        seen.setdefault(key, c)
    return list(seen.values())


def _choose(
    trials: list[_Trial], queries: Sequence[Query], *, fixed: int = 0
) -> tuple[list[Advice], list[Rejected]]:
    """Greedy cover: the trial serving most unserved queries, then the markedly faster one.

    The first ``fixed`` trials are advised anyway: they are chosen first.
    """
    unserved: set[int] = set().union(*(t.proven for t in trials)) if trials else set()
    chosen: list[_Trial] = list(trials[:fixed])
    left = list(trials[fixed:])
    for t in list(chosen):
        unserved -= set(t.proven)
        # An index advised anyway (a foreign key's) that a proven longer one extends and
        # beats: the longer one is advised, and the advice folds the shorter into it.
        wider = _wider(t, left, advised=True)
        if wider is not None:
            chosen.append(wider)
            left.remove(wider)
            unserved -= set(wider.proven)
    while unserved and left:
        best = max(left, key=lambda t: _rank(t, unserved))
        if _rank(best, unserved)[0] == 0:
            break
        best = _wider(best, left) or best
        chosen.append(best)
        left.remove(best)
        unserved -= set(best.proven)
    rejected = [
        _rejection(
            t.candidate,
            "proven, but the queries it speeds up are served by "
            + ", ".join(c.name for c in chosen if set(t.proven) & set(c.proven)),
        )
        for t in left
    ]
    advice = [_advice(t, queries) for t in chosen if t.proven]
    for t in chosen:
        if t.proven and t.replaces is not None:
            short = t.replaces
            advice.append(
                Advice(
                    "drop",
                    t.candidate.table,
                    short.columns,
                    short.name,
                    "WB303",
                    f"{short.name} ({', '.join(short.columns)}) is a leading prefix of the "
                    f"advised {t.name} ({', '.join(t.candidate.columns)}), which serves every "
                    "lookup it serves (a foreign key's included)",
                )
            )
    return advice, rejected


_SORT = re.compile(r"TEMP B-TREE FOR (ORDER|GROUP) BY|(^|; )(Incremental )?Sort\b")
"""A plan step that sorts rows (SQLite's temporary B-tree, PostgreSQL's Sort node)."""

SORT_TOLERANCE = 1.05
"""An index that removes a sort is better even at this much more estimated cost: the sort
grows with the rows a lookup returns, the index's extra cost does not."""


def sorts(plan: str) -> bool:
    return _SORT.search(plan) is not None


def better(base: Measurement, other: Measurement, factor: float) -> bool:
    """Whether ``other`` beats ``base``: ``factor`` times cheaper (cost, else time), or it
    drops a sort ``base`` needs at no more than :data:`SORT_TOLERANCE` the cost."""
    if base.cost is not None and other.cost is not None:
        a, b = base.cost, other.cost
    else:
        a, b = base.ms, other.ms
    if b * factor <= a:
        return True
    return sorts(base.plan) and not sorts(other.plan) and b <= a * SORT_TOLERANCE


def _cost(m: Measurement) -> float:
    return m.cost if m.cost is not None else m.ms


def _wider(base: _Trial, left: Sequence[_Trial], *, advised: bool = False) -> _Trial | None:
    """A proven index that extends ``base``'s columns (equality columns, then a range or sort
    column) and serves every query ``base`` serves at no more cost: the index a DBA would
    keep instead of ``base``.

    ``advised``: ``base`` is advised anyway (a foreign key's index), so one index is built
    either way and the longer one, which also serves the range or the order its query asks
    for, wins unless it costs more. Otherwise the longer one must also be at least
    :data:`MARGIN` times cheaper on one query, or drop a sort ``base`` needs.
    """
    cols = base.candidate.columns
    found = []
    for other in left:
        more = other.candidate.columns
        if len(more) <= len(cols) or more[: len(cols)] != cols:
            continue
        if other.candidate.table != base.candidate.table:
            continue
        shared = list(base.proven)
        if not shared or not set(shared) <= set(other.proven):
            continue
        pairs = [(base.proven[i][1], other.proven[i][1]) for i in shared]
        if not all(better(b, o, 1.0) or _cost(o) <= _cost(b) * SORT_TOLERANCE for b, o in pairs):
            continue
        if not advised and not any(better(b, o, MARGIN) for b, o in pairs):
            continue
        found.append(other)
    if not found:
        return None
    return max(
        found,
        key=lambda t: (
            len(t.proven),
            sum(math.log(max(gain(*t.proven[i]), 1.0)) for i in t.proven),
            -len(t.candidate.columns),
            t.candidate.columns,
        ),
    )


def _rank(trial: _Trial, unserved: set[int]) -> tuple[int, int, bool, int]:
    """Queries newly served; the mean gain in whole doublings; replacing an index it extends
    (one index either way) over adding one; fewer columns."""
    served = [i for i in trial.proven if i in unserved]
    ratios = [gain(*trial.proven[i]) for i in served] or [1.0]
    mean = math.exp(sum(math.log(max(r, 1.0)) for r in ratios) / len(ratios))
    return (
        len(served),
        int(math.log2(max(mean, 1.0))),
        trial.replaces is not None,
        -len(trial.candidate.columns),
    )


def _advice(trial: _Trial, queries: Sequence[Query]) -> Advice:
    c = trial.candidate
    ordered = sorted(trial.proven.items(), key=lambda kv: -gain(*kv[1]))
    evidence = tuple(
        Evidence(
            query=queries[i].text,
            plan_before=b.plan,
            plan_after=a.plan,
            ms_before=b.ms,
            ms_after=a.ms,
            timed_out=b.capped,
            cost_before=b.cost,
            cost_after=a.cost,
        )
        for i, (b, a) in ordered
    )
    n = len(ordered)
    faster = "cheaper with it than with" if trial.replaces else "at least twice as fast with it"
    if trial.replaces is not None:
        faster = f"{faster} {trial.replaces.name}, which it replaces"
    reason = f"{c.reason}; {n} quer{'y' if n == 1 else 'ies'} {faster}"
    return Advice("create", c.table, c.columns, trial.name, c.code, reason, evidence)


def _why_not(query: Query, before: Measurement, after: Measurement | None, name: str) -> str:
    on = _short(query.text, 60)
    if after is None:
        return f"the planner does not use it (on {on})"
    if before.cost is not None and after.cost is not None:
        # The verdict rests on the planner's cost (the same seed gives the same verdict);
        # the timings are shown, but one cold run can differ tenfold and decides nothing.
        return (
            f"it does not halve the planner's cost ({before.cost:.1f} -> {after.cost:.1f}; "
            f"timed {before.ms:.2f} -> {after.ms:.2f} ms, not used for the verdict) on {on}"
        )
    return f"it does not halve the time ({before.ms:.2f} ms -> {after.ms:.2f} ms on {on})"


def _rejection(candidate: Candidate, why: str) -> Rejected:
    return Rejected(candidate.table, candidate.columns, candidate.code, why)


def _reason(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
