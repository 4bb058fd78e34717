"""workbench advise: model rules, workload parsing, proof on seeded data, revisions, CLI, capture.

Rule cases, parsing cases and the workload corpus (schemas, workloads and ground
truth) are data, in tests/advise_corpus/.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Project, readme_section
from tests.helpers import invoke
from workbench import db, migrate
from workbench.advise import RULES, advise, model_advice, views_of
from workbench.advise.catalog import index_name
from workbench.advise.rules import Usage, candidates, consolidate
from workbench.advise.workload import normalize_placeholders, parse, split_statements
from workbench.results import Advice

pytest_plugins = ["pytester"]

CORPUS = Path(__file__).parent / "advise_corpus"
REPO = Path(__file__).resolve().parents[1]


def item(a: Advice) -> str:
    """The notation of the corpus: ``create TABLE(COLS) CODE`` or ``drop INDEX CODE``."""
    if a.action == "drop":
        return f"drop {a.index} {a.code}"
    return f"create {a.table}({', '.join(a.columns)}) {a.code}"


# --- the rules themselves -----------------------------------------------------------------


def test_every_rule_has_an_id_a_name_a_risk_a_fix_and_a_docs_row() -> None:
    docs = (REPO / "docs" / "advise.md").read_text()
    assert list(RULES) == sorted(RULES)
    for code, rule in RULES.items():
        assert re.fullmatch(r"WB3\d\d", code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
        assert rule.risk and rule.fix, code
        assert re.search(rf"^\| {code} \| `{rule.name}` \|", docs, re.M), f"{code} not in docs"


# --- model rules: cases as data -----------------------------------------------------------

RULE_CASES = tomllib.loads((CORPUS / "rules.toml").read_text())["case"]


def _tables(source: str) -> sa.MetaData:
    md = sa.MetaData()
    namespace: dict[str, Any] = {n: getattr(sa, n) for n in dir(sa) if not n.startswith("_")}
    namespace["md"] = md
    exec(textwrap.dedent(source), namespace)
    return md


@pytest.mark.parametrize("case", RULE_CASES, ids=[c["id"] for c in RULE_CASES])
def test_model_rules(case: dict[str, Any]) -> None:
    found = [item(a) for a in model_advice(views_of(_tables(case["tables"])))]
    assert sorted(found) == sorted(case["expect"])


def test_model_advice_on_the_examples() -> None:
    from workbench.config import Config

    report = advise(Config.at(REPO), "blog")
    assert [item(a) for a in report.advice] == [
        "create comments(author_id) WB301",
        "create comments(parent_id) WB301",
        "create comments(post_id) WB301",
        "create post_tags(tag_id, post_id) WB304",
    ]
    link = report.advice[-1]
    assert link.index == "ix_post_tags_tag_id_post_id" and "also covers (tag_id)" in link.reason


def test_consolidate_folds_a_create_into_a_longer_one_and_keeps_drops_once() -> None:
    a = Advice("create", "t", ("a",), "ix_t_a", "WB301", "fk")
    ab = Advice("create", "t", ("a", "b"), "ix_t_a_b", "WB313", "sort")
    drop = Advice("drop", "t", ("x",), "ix_t_x", "WB302", "dup")
    merged = consolidate([a, ab, drop, drop, a])
    assert [item(m) for m in merged] == ["create t(a, b) WB313", "drop ix_t_x WB302"]
    assert "also covers (a) (WB301)" in merged[0].reason


def test_index_names_follow_the_schema_convention_and_avoid_taken_names() -> None:
    assert index_name("posts", ["author_id", "created_at"]) == "ix_posts_author_id_created_at"
    assert index_name("posts", ["a"], {"ix": "idx_%(column_0_name)s"}) == "idx_a"
    # A convention we cannot fill in falls back to the default one.
    assert index_name("posts", ["a"], {"ix": "%(constraint_name)s"}) == "ix_posts_a"
    assert index_name("posts", ["a"], taken=["ix_posts_a"]) == "ix_posts_a_2"
    assert len(index_name("t" * 40, ["c" * 40])) == 63


# --- workload parsing: cases as data ------------------------------------------------------

PARSE_CASES = tomllib.loads((CORPUS / "parsing.toml").read_text())["case"]


def _blog_views() -> dict[str, Any]:
    from workbench.loader import load_path

    schema = load_path(REPO / "schemas" / "blog.py")
    return {v.name: v for v in views_of(schema.metadata)}


def _usage(u: Usage) -> str:
    parts = [u.table]
    for label, cols in (("eq", u.equality), ("range", u.ranges), ("join", u.joins)):
        if cols:
            parts.append(f"{label}({', '.join(cols)})")
    if u.order:
        parts.append(f"order({', '.join(u.order)})")
    return " ".join(parts)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("case", PARSE_CASES, ids=[c["sql"][:50] for c in PARSE_CASES])
def test_workload_parsing(case: dict[str, Any], backend: str) -> None:
    result = parse(case["sql"], _blog_views(), backend)
    if "skip" in case:
        assert isinstance(result, str) and case["skip"] in result
    else:
        assert not isinstance(result, str), result
        assert sorted(_usage(u) for u in result.usages) == sorted(case["usages"])


def test_statements_split_on_semicolons_outside_strings_and_comments() -> None:
    text = """
    -- a comment; with a semicolon
    SELECT 1 FROM t WHERE a = 'x;y';
    /* block; comment */ SELECT "we;ird" FROM t
    ;;
    """
    assert split_statements(text) == [
        "SELECT 1 FROM t WHERE a = 'x;y'",
        'SELECT "we;ird" FROM t',
    ]


def test_placeholders_of_every_dbapi_style_become_one() -> None:
    sql = "a = %(name)s AND b = %s AND c = $2 AND d = '%s' AND e LIKE 'x%%'"
    assert (
        normalize_placeholders(sql)
        == "a = :name AND b = ? AND c = :p2 AND d = '%s' AND e LIKE 'x%%'"
    )
    # As a %-style driver received it: %% is its escape for %, in strings too.
    assert normalize_placeholders(sql, pyformat=True).endswith("d = '%s' AND e LIKE 'x%'")


BIND_CASES = [
    ("SELECT * FROM posts WHERE author_id = ?", "author_id = 'posts.author_id.eq'"),
    ("SELECT * FROM posts WHERE created_at > ?", "created_at > 'posts.created_at.high'"),
    ("SELECT * FROM posts WHERE ? > created_at", "'posts.created_at.low' > "),
    ("SELECT * FROM posts WHERE created_at <= ?", "created_at <= 'posts.created_at.low'"),
    (
        "SELECT * FROM posts WHERE created_at BETWEEN ? AND ?",
        "BETWEEN 'posts.created_at.high' AND 'posts.created_at.top'",
    ),
    ("SELECT * FROM posts WHERE id IN (?, ?)", "IN ('posts.id.eq', 'posts.id.eq')"),
    ("SELECT * FROM users WHERE name LIKE ?", "LIKE 'users.%'"),  # half the value, then %
    ("SELECT * FROM posts WHERE id = 1 LIMIT ? OFFSET ?", "LIMIT 10 OFFSET 0"),
    ("UPDATE posts SET title = ? WHERE id = ?", "title = 'posts.title.eq'"),
    ("SELECT * FROM users WHERE email = %(e)s::VARCHAR", "CAST('users.email.eq' AS VARCHAR)"),
    ("SELECT * FROM users WHERE lower(email) = ? AND id = 1", "LOWER(users.email) = NULL"),
]


@pytest.mark.parametrize(("sql", "fragment"), BIND_CASES, ids=[c[0][14:50] for c in BIND_CASES])
def test_placeholders_are_bound_to_values_sampled_from_the_compared_column(
    sql: str, fragment: str
) -> None:
    from workbench.advise.workload import bind

    query = parse(sql, _blog_views(), "postgresql")
    assert not isinstance(query, str), query

    def sampler(table: str, column: str, where: str) -> str:
        return f"{table}.{column}.{where}"

    bound = bind(query, sampler, "postgresql")
    assert fragment in bound
    assert "?" not in bound and ":" not in bound.replace("::", "")


def test_candidates_skip_what_an_existing_index_covers() -> None:
    views = _blog_views()
    usage = Usage("posts", equality=("author_id",), order=("created_at",))
    found = {(c.columns, c.code) for c in candidates(usage, views["posts"])}
    # ix_posts_author_id leads with author_id: only the sort candidate is new.
    assert found == {(("author_id", "created_at"), "WB313")}
    usage = Usage("post_tags", equality=("tag_id", "post_id"))
    columns = {c.columns for c in candidates(usage, views["post_tags"])}
    # (post_id, tag_id) in any order is the primary key; post_id alone leads it.
    assert columns == {("tag_id",)}


# --- the workload corpus, proved on both backends -----------------------------------------

CORPUS_ROWS = 5000
"""Small for speed, yet a scan is measurably slower than a lookup on both backends."""


WORKLOADS = sorted(p.name for p in CORPUS.iterdir() if (p / "workload.sql").is_file())


def corpus_project(project: Project, name: str) -> Project:
    """The corpus schema ``name`` in a project, with its initial revision written by generate.

    A corpus entry without a schema.py is the repository's example of that name.
    """
    source = CORPUS / name / "schema.py"
    if not source.is_file():
        source = REPO / "schemas" / f"{name}.py"
    shutil.copy(source, project.root / "schemas" / f"{name}.py")
    migrate.generate(project.cfg, name, "initial")
    return project


@pytest.mark.parametrize("name", WORKLOADS)
def test_corpus_workload_advice_matches_the_ground_truth(
    project: Project, against: str, name: str
) -> None:
    corpus_project(project, name)
    expected = tomllib.loads((CORPUS / name / "expected.toml").read_text())
    report = advise(
        project.cfg,
        name,
        queries=CORPUS / name / "workload.sql",
        against=against,
        rows=CORPUS_ROWS,
    )
    found = {item(a): a for a in report.advice}
    why = "\n".join(f"rejected {r.table}{r.columns} {r.code}: {r.reason}" for r in report.rejected)
    assert sorted(found) == sorted(expected["advice"]), why
    for proven in expected["proven"]:
        evidence = found[proven].evidence
        assert evidence, f"{proven} carries no evidence"
        for e in evidence:
            assert e.plan_before != e.plan_after
            assert found[proven].index in e.plan_after
            halved_cost = (
                e.cost_before is not None
                and e.cost_after is not None
                and e.cost_after <= e.cost_before / 2
            )
            assert halved_cost or e.ms_after <= e.ms_before / 2
    rejected = {f"{r.table}({', '.join(r.columns)})" for r in report.rejected}
    for key in expected["not_advised"]:
        assert key in rejected, f"{key} was never measured"
    assert len(report.skipped) == len(expected["skipped"])
    for fragment, line in zip(expected["skipped"], report.skipped, strict=True):
        assert fragment in line
    assert report.backend == ("sqlite" if against == "sqlite" else "postgresql")


# --- advise --generate: a revision that applies and round-trips ---------------------------


def _indexes(url: str, table: str) -> set[str]:
    with db.connect(url) as conn:
        return {str(i["name"]) for i in sa.inspect(conn).get_indexes(table)}


def test_generated_revision_applies_and_round_trips(project: Project, target_url: str) -> None:
    corpus_project(project, "blog")
    schema_file = project.root / "schemas" / "blog.py"
    before = schema_file.read_text()
    report = advise(project.cfg, "blog", message="advised indexes")
    assert report.revision and report.path and report.path.is_file()
    # The models declare the indexes, so the models and the history agree.
    assert schema_file.read_text().startswith(before.rstrip("\n"))
    assert "_workbench_sa.Index('ix_comments_post_id', Comment.__table__.c['post_id'])" in (
        schema_file.read_text()
    )
    assert migrate.generate(project.cfg, "blog", "nothing left").path is None
    assert advise(project.cfg, "blog").advice == ()
    created = {a.index for a in report.advice}
    for step in ("head", "-1", "head"):
        if step == "head":
            migrate.upgrade(project.cfg, "blog", url=target_url)
        else:
            migrate.downgrade(project.cfg, "blog", step, url=target_url)
        found = _indexes(target_url, "comments") | _indexes(target_url, "post_tags")
        assert (created <= found) == (step == "head"), step
    if target_url.startswith("postgresql"):
        with db.connect(target_url) as conn:
            invalid = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_index WHERE NOT indisvalid"
            ).scalar()
        assert invalid == 0
    migrate.downgrade(project.cfg, "blog", "base", url=target_url)


def test_generated_revision_passes_check_and_lint(project: Project, against: str) -> None:
    from workbench.check import check
    from workbench.lint import lint

    corpus_project(project, "shop")
    report = advise(project.cfg, "shop", message="advised indexes")
    assert report.revision
    linted = lint(project.cfg, "shop")
    assert linted.ok and linted.findings == (), linted.findings
    checked = check(project.cfg, ["shop"], against=[against])
    problems = [f.message for run in checked.runs for f in run.findings]
    assert checked.ok, problems


def test_generated_revision_builds_concurrently_on_postgresql(project: Project) -> None:
    corpus_project(project, "blog")
    advise(project.cfg, "blog", message="advised indexes")
    sql = migrate.upgrade(
        project.cfg, "blog", url="postgresql://nobody@localhost/none", sql=True
    ).sql
    assert sql is not None
    # Out of the revision's transaction, then each index, then back in for the version row.
    step = sql[sql.rindex("-- Running upgrade") :].split()
    text = " ".join(step)
    assert (
        "COMMIT; CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_comments_author_id ON comments" in text
    )
    creates = [i for i, word in enumerate(step) if word == "CONCURRENTLY"]
    assert len(creates) == 4
    assert step.index("COMMIT;") < creates[0] and creates[-1] < step.index("BEGIN;")


def test_generate_refuses_models_ahead_of_the_history_and_restores_them(project: Project) -> None:
    corpus_project(project, "blog")
    schema_file = project.root / "schemas" / "blog.py"
    changed = schema_file.read_text().replace(
        "    name: str = Field(max_length=50, unique=True)",
        "    name: str = Field(max_length=50, unique=True)\n    color: str | None = None",
    )
    schema_file.write_text(changed)
    versions = project.versions("blog")
    from workbench.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match=r"add column tags\.color"):
        advise(project.cfg, "blog", message="advised indexes")
    assert schema_file.read_text() == changed
    assert project.versions("blog") == versions


def test_generate_with_nothing_to_create_says_so(project: Project) -> None:
    from workbench.errors import WorkbenchError

    project.write_schema(
        "clean",
        """
        from sqlalchemy import Column, Integer, MetaData, Table
        metadata = MetaData()
        t = Table("t", metadata, Column("id", Integer, primary_key=True))
        """,
    )
    migrate.generate(project.cfg, "clean", "initial")
    with pytest.raises(WorkbenchError, match="no index to create"):
        advise(project.cfg, "clean", message="advised")


# --- the command line ---------------------------------------------------------------------


def test_cli_renders_advice_grouped_by_table(project: Project) -> None:
    corpus_project(project, "shop")
    result = invoke(project, "advise", "shop")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["table", "code", "action", "columns", "reason", "evidence"]
    tables = [line.split()[0] for line in lines[1:] if line[:1].strip()]
    assert tables == sorted(set(tables)) == ["audit_events", "order_items", "orders", "products"]
    assert re.search(
        r"WB302\s+drop ix_products_sku\s+\(sku\)\s+ix_products_sku \(sku\)", result.stdout
    )


def test_cli_json_follows_the_contract(project: Project) -> None:
    corpus_project(project, "shop")
    result = invoke(project, "advise", "shop", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for entry in document["advice"]:
        assert {"action", "table", "columns", "index", "code", "reason"} <= set(entry)
        assert entry["action"] in ("create", "drop")
    drops = {e["index"]: e["code"] for e in document["advice"] if e["action"] == "drop"}
    assert drops == {
        "ix_products_sku": "WB302",
        "ix_orders_customer_id": "WB303",
        "ix_orders_status": "WB305",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--generate"], "needs a message"),
        (["-m", "x"], "-m is the message of --generate"),
        (["--queries", "missing.sql"], "cannot read the workload file"),
    ],
)
def test_cli_refuses_bad_input_with_exit_2(project: Project, args: list[str], message: str) -> None:
    corpus_project(project, "shop")
    result = invoke(project, "advise", "shop", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_generate_writes_the_revision(project: Project) -> None:
    corpus_project(project, "blog")
    result = invoke(project, "advise", "blog", "--generate", "-m", "advised indexes")
    assert result.exit_code == 0, result.output
    (path,) = [p for p in project.versions("blog") if "advised_indexes" in p.name]
    assert f"wrote revision {path.name.split('_')[3]}" in result.stdout


# --- pytest --workbench-capture -----------------------------------------------------------

APP_TESTS = """
import os

import sqlalchemy as sa

md = sa.MetaData()
users = sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.String(50)), sa.Column("name", sa.String(50)))


def _engine():
    return sa.create_engine(os.environ.get("APP_URL") or "sqlite://")


def test_signup_and_login():
    engine = _engine()
    md.drop_all(engine)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(users.insert(), [{"email": "a@x.org", "name": "a"}])
        for _ in range(3):
            conn.execute(sa.select(users.c.id).where(users.c.email == "a@x.org")).all()
        conn.execute(sa.select(users.c.name).where(users.c.name.like("a%"))).all()
        conn.execute(users.update().where(users.c.id == 1).values(name="b"))
        assert sa.inspect(conn).get_table_names()
    md.drop_all(engine)
"""


def _capture(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_app=APP_TESTS)
    return pytester.runpytest("-p", "no:faker", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_capture_records_each_distinct_statement_once_with_its_count(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    backend: str,
) -> None:
    if backend == "postgresql":
        monkeypatch.setenv("APP_URL", request.getfixturevalue("pg_url"))
    out = pytester.path / "captured" / "workload.sql"
    result = _capture(pytester, "--workbench-capture", str(out))
    result.assert_outcomes(passed=1)
    text = out.read_text()
    statements = split_statements(text)
    # Selects and updates, placeholders in one style ('%' escapes undone, psycopg's casts
    # kept); no INSERT, no DDL, no reflection.
    if backend == "postgresql":
        expected = [
            "SELECT users.id FROM users WHERE users.email = :email_1::VARCHAR",
            "SELECT users.name FROM users WHERE users.name LIKE :name_1::VARCHAR",
            "UPDATE users SET name=:name::VARCHAR WHERE users.id = :id_1::INTEGER",
        ]
    else:
        expected = [
            "SELECT users.id FROM users WHERE users.email = ?",
            "SELECT users.name FROM users WHERE users.name LIKE ?",
            "UPDATE users SET name=? WHERE users.id = ?",
        ]
    assert statements == expected
    assert "-- 3 executions\nSELECT users.id" in text
    assert text.startswith("-- Captured by `pytest --workbench-capture`: 3 distinct statements")
    # What advise reads back: usable statements on the capture's own tables.
    md = sa.MetaData()
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(50)),
        sa.Column("name", sa.String(50)),
    )
    tables = {v.name: v for v in views_of(md)}
    usages = [parse(s, tables, backend) for s in statements]
    assert not any(isinstance(u, str) for u in usages)


def test_capture_is_inert_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inert="""
        def test_no_recorder(request):
            from sqlalchemy import event
            from sqlalchemy.engine import Engine
            from workbench.pytest_plugin import _KEY

            assert request.config.pluginmanager.has_plugin("workbench")
            assert _KEY not in request.config.stash
            assert not event.contains(Engine, "before_cursor_execute", lambda *a: None)
        """
    )
    result = pytester.runpytest("-p", "no:faker", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.glob("*.sql"))


def test_importing_the_plugin_imports_neither_sqlalchemy_nor_workbench() -> None:
    import subprocess
    import sys

    code = (
        "import sys, workbench.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'sqlglot', "
        "'workbench.advise', 'workbench.db'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_capture_merges_the_shares_of_xdist_workers(tmp_path: Path) -> None:
    from workbench.pytest_plugin import Recorder

    out = tmp_path / "w.sql"
    for worker, statement in (("gw0", "SELECT 1 FROM t"), ("gw1", "SELECT 2 FROM t")):
        share = Recorder(out, worker=worker)
        share.counts[statement] += 2
        share.counts["SELECT 3 FROM t"] += 1
        share.stop()
    controller = Recorder(out)
    controller.stop()
    text = out.read_text()
    assert split_statements(text) == ["SELECT 1 FROM t", "SELECT 2 FROM t", "SELECT 3 FROM t"]
    assert "-- 2 executions\nSELECT 3 FROM t" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.sql"]


def test_cli_proves_a_workload_and_shows_the_evidence(project: Project) -> None:
    corpus_project(project, "blog")
    shutil.copy(CORPUS / "blog" / "workload.sql", project.root / "queries.sql")
    # A relative --queries not found in the working folder is read from the project.
    result = invoke(project, "advise", "blog", "--queries", "queries.sql", "--rows", "3000")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("blog: 5 queries proved on sqlite with 3,000 seeded rows per table")
    assert re.search(r"WB313\s+create\s+\(created_at\)", out)
    assert "before: SCAN posts; USE TEMP B-TREE FOR ORDER BY" in out
    assert "after:  SCAN posts USING INDEX ix_posts_created_at" in out
    assert "Tried and not kept:\n  posts (published) WB311:" in out
    document = json.loads(
        invoke(
            project, "advise", "blog", "--queries", "queries.sql", "--rows", "3000", "--json"
        ).stdout
    )
    (sort,) = [a for a in document["advice"] if a["code"] == "WB313" and a["table"] == "posts"]
    (evidence,) = sort["evidence"]
    assert evidence["query"] == "SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 10"
    # SQLite's cost is the instructions the query ran: the verdict does not hang on a timing.
    assert evidence["cost_after"] * 2 <= evidence["cost_before"]
    assert document["backend"] == "sqlite" and document["rows"] == 3000
    assert document["queries"] == 5 and document["skipped"] == []


# --- the measuring bench ------------------------------------------------------------------


def test_a_run_past_the_time_limit_counts_as_the_limit_and_leaves_the_bench_usable(
    target_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.advise import proof

    monkeypatch.setattr(proof, "TIMEOUT_S", 0.05)
    slow = (
        "SELECT 1 FROM pg_sleep(1)"
        if target_url.startswith("postgresql")
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) "
        "SELECT count(*) FROM c"
    )
    with db.connect(target_url) as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 1)")
        conn.commit()
        bench = proof.Bench(conn, hypothetical=False)
        assert bench.time(slow, dml=False) == (50.0, True)
        assert bench.time(f"UPDATE t SET v = ({slow})", dml=True) == (50.0, True)
        # A generous limit again, so a loaded machine cannot cap the quick query.
        monkeypatch.setattr(proof, "TIMEOUT_S", 60.0)
        if bench.backend == "postgresql":
            bench._exec("SET statement_timeout = 60000")
        _, capped = bench.time("SELECT v FROM t", dml=False)
        assert not capped
        assert bench._exec("SELECT v FROM t") == [(1,)]  # the update was rolled back
    before = proof.Measurement("SCAN t", None, 50.0, capped=True)
    assert proof.halves(before, proof.Measurement("SEARCH t", None, 1.0))
    assert not proof.halves(before, proof.Measurement("SEARCH t", None, 50.0, capped=True))


def test_the_readme_advise_commands_run(project: Project) -> None:
    import shlex

    from workbench.cli.advise import TOUR_WORKLOAD

    section = readme_section("Index advice")
    block = re.search(r"```sh\n(.*?)\n```", section, re.S)
    assert block is not None
    commands = [
        shlex.split(line.split("#")[0])[1:]
        for line in block.group(1).splitlines()
        if line.startswith("workbench advise")
    ]
    assert len(commands) == 3
    corpus_project(project, "blog")
    (project.root / "queries.sql").write_text(TOUR_WORKLOAD)
    for args in commands:
        result = invoke(project, *args)
        assert result.exit_code == 0, (args, result.output)
    assert any("advised_indexes" in p.name for p in project.versions("blog"))


# --- reading a live database --------------------------------------------------------------


def test_url_reads_the_live_indexes_instead_of_the_models(
    project: Project, target_url: str
) -> None:
    corpus_project(project, "blog")
    migrate.upgrade(project.cfg, "blog", url=target_url)
    with db.connect(target_url) as conn:
        # Added by hand: the foreign key's index, and a copy of the unique constraint.
        conn.exec_driver_sql("CREATE INDEX ix_comments_post_id ON comments (post_id)")
        conn.exec_driver_sql("CREATE INDEX ix_users_email_copy ON users (email)")
        conn.commit()
    live = {item(a) for a in advise(project.cfg, "blog", url=target_url).advice}
    models = {item(a) for a in advise(project.cfg, "blog").advice}
    assert models - live == {"create comments(post_id) WB301"}
    assert live - models == {"drop ix_users_email_copy WB302"}
    with db.connect(target_url) as conn:
        assert "ix_users_email_copy" in {i["name"] for i in sa.inspect(conn).get_indexes("users")}
    migrate.downgrade(project.cfg, "blog", "base", url=target_url)


def test_url_of_a_database_that_does_not_exist_is_an_error(
    project: Project, tmp_path: Path
) -> None:
    from workbench.errors import DatabaseError

    corpus_project(project, "blog")
    missing = tmp_path / "nowhere.sqlite3"
    with pytest.raises(DatabaseError, match="does not exist"):
        advise(project.cfg, "blog", url=f"sqlite:///{missing}")
    assert not missing.exists()


def test_a_workload_needs_a_history_to_prove_on(project: Project) -> None:
    from workbench.errors import RevisionError

    shutil.copy(REPO / "schemas" / "blog.py", project.root / "schemas" / "blog.py")
    with pytest.raises(RevisionError, match="no migrations yet"):
        advise(project.cfg, "blog", statements=["SELECT * FROM posts WHERE title = 'x'"])


def test_hypopg_asked_for_is_used_where_the_server_has_it_else_an_error(target_url: str) -> None:
    from workbench.advise import proof
    from workbench.errors import DatabaseError

    with db.connect(target_url) as conn:
        available = target_url.startswith("postgresql") and bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"
            ).first()
        )
        if available:
            # A scratch database of the proof: HypoPG is installed there and used.
            assert proof.Bench(conn, hypothetical=True).hypothetical is True
            assert proof.Bench(conn, hypothetical=False).hypothetical is False
            return
        with pytest.raises(DatabaseError, match="HypoPG was asked for"):
            proof.Bench(conn, hypothetical=True)
        assert proof.Bench(conn).hypothetical is False


# --- advice a DBA would sign (issue 14) -----------------------------------------------------


def _verdicts(report: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    advised = sorted((a.action, a.table, a.columns, a.index, a.code) for a in report.advice)
    rejected = sorted((r.table, r.columns, r.code) for r in report.rejected)
    return advised, rejected


def test_the_same_seed_gives_the_same_verdicts(project: Project, against: str) -> None:
    for name in ("clinic", "shop"):
        corpus_project(project, name)
    runs = [
        _verdicts(
            advise(
                project.cfg,
                name,
                queries=CORPUS / name / "workload.sql",
                against=against,
                rows=CORPUS_ROWS,
                seed=3,
            )
        )
        for name in ("clinic", "shop", "clinic", "shop")
    ]
    assert runs[0] == runs[2] and runs[1] == runs[3]
    # Verdicts rest on costs (PostgreSQL's estimate, SQLite's instruction count).
    report = advise(
        project.cfg, "clinic", queries=CORPUS / "clinic" / "workload.sql", against=against,
        rows=CORPUS_ROWS, seed=3,
    )  # fmt: skip
    for a in report.advice:
        for e in a.evidence:
            assert e.cost_before is not None and e.cost_after is not None


def test_equality_range_and_order_get_the_composite_that_serves_the_foreign_key(
    project: Project,
) -> None:
    corpus_project(project, "clinic")
    report = advise(
        project.cfg, "clinic", queries=CORPUS / "clinic" / "workload.sql", rows=CORPUS_ROWS
    )
    by_table = {(a.table, a.action): a for a in report.advice}
    composite = by_table[("appointments", "create")]
    assert composite.columns == ("doctor_id", "starts_at")
    assert composite.index == "ix_appointments_doctor_id_starts_at"
    # The foreign key's own index (WB301) is folded into the composite, not advised beside it.
    assert "it also covers (doctor_id) (WB301)" in composite.reason
    assert not any(a.columns == ("doctor_id",) for a in report.advice)
    # The plan lost its sort.
    assert all("TEMP B-TREE" not in e.plan_after for e in composite.evidence)
    replacing = by_table[("items", "create")]
    assert replacing.columns == ("category_id", "price")
    assert "ix_items_category_id, which it replaces" in replacing.reason
    drop = by_table[("items", "drop")]
    assert drop.index == "ix_items_category_id" and drop.code == "WB303"


def test_index_names_name_every_column_without_a_naming_convention(project: Project) -> None:
    project.write_schema(
        "orders",
        """
        from datetime import datetime
        from sqlalchemy import DateTime, String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class Order(Base):
            __tablename__ = "orders"
            id: Mapped[int] = mapped_column(primary_key=True)
            status: Mapped[str] = mapped_column(String(20))
            placed_at: Mapped[datetime] = mapped_column(DateTime)
            note: Mapped[str] = mapped_column(String(200))
        """,
    )
    migrate.generate(project.cfg, "orders", "initial")
    report = advise(
        project.cfg,
        "orders",
        statements=[
            "SELECT id, note FROM orders WHERE status = ? AND placed_at > ? ORDER BY placed_at"
        ],
        rows=CORPUS_ROWS,
    )
    names = {a.columns: a.index for a in report.advice}
    assert names == {("status", "placed_at"): "ix_orders_status_placed_at"}
    assert index_name("orders", ("status", "placed_at"), {"ix": "idx_%(column_0_name)s"}) == (
        "idx_status_placed_at"
    )


@pytest.mark.parametrize("text", ["", "-- nothing but a comment\n", "this is not sql at all;\n"])
def test_a_workload_with_no_sql_is_an_error(project: Project, text: str) -> None:
    corpus_project(project, "blog")
    (project.root / "queries.sql").write_text(text)
    result = invoke(project, "advise", "blog", "--queries", "queries.sql")
    assert result.exit_code == 2, result.output
    assert "no SQL statement" in result.stderr and "Traceback" not in result.stderr


def _seeded_target(project: Project, url: str, rows: int) -> None:
    migrate.upgrade(project.cfg, "clinic", url=url)
    from workbench.seed import seed

    counts = {"doctors": rows // 20, "categories": rows // 20, "appointments": rows, "items": rows}
    seed(project.cfg, "clinic", url=url, fill_defaults=True, rows=counts, seed=1)


def test_url_with_rows_proves_on_a_copy_of_the_target_and_leaves_it_alone(
    project: Project, tmp_path: Path
) -> None:
    corpus_project(project, "clinic")
    url = f"sqlite:///{(tmp_path / 'live.db').as_posix()}"
    _seeded_target(project, url, CORPUS_ROWS)
    before = (tmp_path / "live.db").read_bytes()
    report = advise(project.cfg, "clinic", url=url, queries=CORPUS / "clinic" / "workload.sql")
    assert report.proved_on == "target copy" and report.proof_note == ""
    assert report.rows is None
    assert ("create", "appointments", ("doctor_id", "starts_at")) in {
        (a.action, a.table, a.columns) for a in report.advice
    }
    assert (tmp_path / "live.db").read_bytes() == before
    result = invoke(
        project, "advise", "clinic", "--url", url, "--queries",
        str(CORPUS / "clinic" / "workload.sql"),
    )  # fmt: skip
    assert result.exit_code == 0 and "proved on a copy of the target, on its own rows" in (
        result.stdout
    )


def test_url_without_rows_or_hypopg_says_it_proved_on_seeded_data(
    project: Project, target_url: str
) -> None:
    corpus_project(project, "clinic")
    migrate.upgrade(project.cfg, "clinic", url=target_url)
    report = advise(
        project.cfg, "clinic", url=target_url, queries=CORPUS / "clinic" / "workload.sql",
        rows=CORPUS_ROWS,
    )  # fmt: skip
    assert report.proved_on == "seeded" and "hold no rows" in report.proof_note
    if target_url.startswith("postgresql"):
        _seeded_target(project, target_url, 200)
        report = advise(
            project.cfg, "clinic", url=target_url, queries=CORPUS / "clinic" / "workload.sql",
            rows=CORPUS_ROWS,
        )  # fmt: skip
        with db.connect(target_url) as conn:
            hypopg = conn.exec_driver_sql(
                "SELECT 1 FROM pg_extension WHERE extname = 'hypopg'"
            ).first()
        if hypopg is None:
            assert report.proved_on == "seeded" and "HypoPG" in report.proof_note
        else:  # pragma: no cover - a server with HypoPG installed in the database
            assert report.proved_on == "target hypopg"
