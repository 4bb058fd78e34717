"""advise --url on PostgreSQL: proved on the target's own statistics with HypoPG, or says why not.

These tests never skip for want of HypoPG: where the server has it, they
assert the HypoPG path (hypothetical indexes in the plans, nothing created in
the target, the composite verdict); where it does not, they assert the clear
"not proved with HypoPG because the server has no HypoPG" message. Either way
the target is only read.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Project
from tests.helpers import runner
from tests.test_advise import CORPUS, CORPUS_ROWS, _seeded_target, corpus_project
from workbench import db
from workbench.advise import advise
from workbench.cli import app

pytestmark = pytest.mark.postgres

WORKLOAD = CORPUS / "clinic" / "workload.sql"
COMPOSITE = ("create", "appointments", ("doctor_id", "starts_at"))


def _available(url: str) -> bool:
    with db.connect(url) as conn:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"
        ).first()
        conn.rollback()
    return found is not None


def _state(url: str) -> dict[str, Any]:
    """What the target holds: relations (tables, indexes), extensions, rows per table."""
    with db.connect(url) as conn:
        relations = sorted(
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT relname, relkind FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            )
        )
        extensions = sorted(r[0] for r in conn.exec_driver_sql("SELECT extname FROM pg_extension"))
        rows = {
            t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()
            for t in ("doctors", "appointments", "categories", "items")
        }
        conn.rollback()
    return {"relations": relations, "extensions": extensions, "rows": rows}


def _execute(url: str, *statements: str) -> None:
    with db.connect(url) as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
        conn.commit()


def _advise(project: Project, url: str) -> Any:
    return advise(project.cfg, "clinic", url=url, queries=WORKLOAD, rows=CORPUS_ROWS)


def test_url_on_postgresql_proves_with_hypopg_on_the_targets_statistics_or_says_why_not(
    project: Project, pg_url: str
) -> None:
    corpus_project(project, "clinic")
    _seeded_target(project, pg_url, 4000)
    _execute(pg_url, "ANALYZE")
    available = _available(pg_url)

    # HypoPG is not installed in the target database: never installed by workbench, and said.
    before = _state(pg_url)
    report = _advise(project, pg_url)
    assert report.proved_on == "seeded" and report.rows == CORPUS_ROWS
    assert report.proof_note.startswith("not proved with HypoPG on the target's own statistics")
    if available:
        assert "HypoPG is not installed in the target database" in report.proof_note
        assert "CREATE EXTENSION hypopg" in report.proof_note
    else:
        assert "the target's server has no HypoPG" in report.proof_note
        assert "-hypopg" in report.proof_note
    assert COMPOSITE in {(a.action, a.table, a.columns) for a in report.advice}
    assert _state(pg_url) == before
    shown = runner.invoke(
        app,
        ["--project", str(project.root), "advise", "clinic", "--url", pg_url, "--queries",
         str(WORKLOAD), "--rows", str(CORPUS_ROWS)],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "not proved with HypoPG on the target's own statistics because" in shown.stdout
    if not available:
        return  # the rest needs HypoPG on the server; what it says without it is proven above

    # Installed in the target: proved there, read only, with hypothetical indexes.
    _execute(pg_url, "CREATE EXTENSION hypopg")
    before = _state(pg_url)
    report = _advise(project, pg_url)
    assert report.proved_on == "target hypopg" and report.hypothetical
    assert report.rows is None and report.proof_note == ""
    composite = next(a for a in report.advice if (a.action, a.table, a.columns) == COMPOSITE)
    # The plan after names HypoPG's hypothetical index (<oid>btree_...), not a built one.
    assert any("btree_appointments" in e.plan_after for e in composite.evidence), composite
    assert _state(pg_url) == before
    with db.connect(pg_url) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hypopg_list_indexes").scalar() == 0
        conn.rollback()
    shown = runner.invoke(
        app,
        ["--project", str(project.root), "advise", "clinic", "--url", pg_url, "--queries",
         str(WORKLOAD)],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "proved on the target itself, read only: EXPLAIN with HypoPG" in shown.stdout
    assert "not proved with HypoPG" not in shown.stdout


def test_hypopg_without_the_targets_statistics_is_not_trusted(
    project: Project, pg_url: str
) -> None:
    corpus_project(project, "clinic")
    from workbench import migrate

    migrate.upgrade(project.cfg, "clinic", url=pg_url)
    # No autovacuum: the tables stay without statistics until someone runs ANALYZE.
    _execute(
        pg_url,
        *(
            f"ALTER TABLE {t} SET (autovacuum_enabled = off)"
            for t in ("doctors", "appointments", "categories", "items")
        ),
    )
    _seeded_target(project, pg_url, 2000)
    available = _available(pg_url)
    if available:
        _execute(pg_url, "CREATE EXTENSION hypopg")
    before = _state(pg_url)
    report = _advise(project, pg_url)
    assert report.proved_on == "seeded"
    if available:
        assert "no planner statistics yet (never ANALYZEd)" in report.proof_note
        assert "ANALYZE appointments, items" in report.proof_note
    else:
        assert "the target's server has no HypoPG" in report.proof_note
    assert _state(pg_url) == before
