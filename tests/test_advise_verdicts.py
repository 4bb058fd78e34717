"""How advise explains a rejected candidate: the verdict rests on the planner's cost, so the
message must not blame timings it did not use."""

from __future__ import annotations

import sqlglot

from workbench.advise.proof import Measurement, _why_not
from workbench.advise.workload import Query

SQL = "SELECT id FROM posts WHERE published = 1"


def _query() -> Query:
    return Query(SQL, sqlglot.parse_one(SQL), (), "select")


def test_a_rejection_by_cost_says_the_timings_decided_nothing() -> None:
    query = _query()
    before = Measurement("SCAN posts", 90016.0, 137.13)
    after = Measurement("SEARCH posts USING INDEX ix", 60032.0, 13.53)
    why = _why_not(query, before, after, "ix")
    assert "planner's cost (90016.0 -> 60032.0" in why
    assert "not used for the verdict" in why
    assert "cost or the time" not in why


def test_without_a_cost_the_time_is_the_verdict() -> None:
    query = _query()
    why = _why_not(query, Measurement("SCAN", None, 3.0), Measurement("SEARCH", None, 2.0), "ix")
    assert why.startswith("it does not halve the time (3.00 ms -> 2.00 ms")
