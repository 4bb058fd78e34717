"""`workbench check` on a corpus of small histories, each with one injected defect.

Every case in ``tests/check_corpus/`` is the shop of ``_base/`` (revision
``a0001``) plus the case's own revisions and models. Each is checked on real
SQLite and real PostgreSQL (the ``against`` fixture); the table below says
which of check's own findings (code, revision, words of the message) it must
give on each backend: exactly those, so a correct history passing is asserted
too. Lint's findings (proof 5) are asserted where a case is about them.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import EXAMPLES, Project, readme_section
from tests.helpers import outcome, runner
from workbench import db
from workbench.check import CODES, check, default_against, resolve_schemas
from workbench.cli import app
from workbench.errors import ProjectError, WorkbenchError
from workbench.migrate import ensure_environment
from workbench.results import CheckReport, Finding

CORPUS = Path(__file__).parent / "check_corpus"

Expected = list[tuple[str, str | None, str]]
"""(code, revision, words the message contains)."""


def both(*findings: tuple[str, str | None, str]) -> dict[str, Expected]:
    return {"sqlite": list(findings), "postgresql": list(findings)}


def only(backend: str, *findings: tuple[str, str | None, str]) -> dict[str, Expected]:
    other = "postgresql" if backend == "sqlite" else "sqlite"
    return {backend: list(findings), other: []}


CASES: dict[str, dict[str, Expected]] = {
    # -- defects: the exact finding, on the backend where it bites --
    "missing_import": both(
        ("WB202", "b0002", "NameError: name 'sqlmodel' is not defined"),
        # The revision cannot run at all: the walk goes on from an approximate state, and
        # what it finds after is a warning that says so.
        ("WB210", None, "add column products.sku"),
    ),
    "non_batch_alter": only("sqlite", ("WB202", "b0002", "fails to upgrade on sqlite")),
    "enum_left_behind": only("postgresql", ("WB205", "b0002", "enum type rating still exists")),
    # On SQLite the type is a plain VARCHAR (no CHECK): PostgreSQL's walk judges the members.
    "enum_member_not_migrated": only(
        "postgresql", ("WB210", None, "change enum type productstatus: add archived")
    ),
    # Added by PostgreSQL's ALTER TYPE in op.execute: not "models ahead" on either backend;
    # on PostgreSQL the downgrade leaves the member behind.
    "enum_member_added_by_sql": only(
        "postgresql", ("WB205", "b0002", "enum type productstatus: values")
    ),
    "extension_left_behind": only(
        "postgresql", ("WB205", "b0002", "extension pg_trgm still exists")
    ),
    "check_not_restored": both(("WB205", "b0002", "CHECK ck_products_price_nonnegative missing")),
    "index_left_behind": both(("WB205", "b0002", "index ix_products_name still exists")),
    "default_not_restored": both(
        ("WB205", "b0002", "column products.in_stock: server default missing")
    ),
    "two_heads": both(("WB201", None, "2 heads (b0002, c0002)")),
    "models_ahead": both(("WB210", None, "create table suppliers")),
    "check_never_migrated": both(
        ("WB211", None, "CHECK ck_products_price_nonnegative is in the models but not in the")
    ),
    "irreversible": both(("WB204", "b0002", "the notes cannot be put back")),
    # -- defects that need rows: every table is seeded before each step --
    "not_null_populated": both(("WB202", "b0002", "(its tables held seeded rows)")),
    "rename_as_drop_add": both(
        ("WB222", "b0002", "drops column products.description holding 4 non-null value(s)")
    ),
    "deletes_unrelated_rows": both(("WB221", "b0002", "loses rows of tags: 5 of 5 row(s)")),
    "deletes_unrelated_rows_via_bind": both(
        ("WB220", "b0002", "changes the rows of tags on {backend}, a table it does not touch")
    ),
    # -- type changes whose values may not fit: rows that do not fit are written first --
    "cast_text_to_enum": {
        "postgresql": [
            ("WB202", "c0003", "a value VARCHAR(2) admits and enum grade does not, such as 'zz'")
        ],
        "sqlite": [("WB224", "c0003", "keeps 1 value(s) enum grade does not hold: 'zz'")],
    },
    # The USING maps them on PostgreSQL; SQLite ignores it and keeps them.
    "cast_text_to_enum_using_maps": only(
        "sqlite", ("WB224", "c0003", "keeps 1 value(s) enum grade does not hold: 'zz'")
    ),
    "cast_narrowing": {
        "postgresql": [
            ("WB202", "b0002", "changing products.name from VARCHAR(100) to VARCHAR(20)")
        ],
        "sqlite": [("WB225", "b0002", "VARCHAR(20) does not hold: 'xxxxxxxxxxxxxxxxxxxxx'")],
    },
    # -- a failing step in the middle: the walk goes on, later defects and drift still found --
    "walk_on_failed_upgrade": both(
        ("WB202", "b0002", "The walk went on from a fresh scratch database upgraded directly"),
        ("WB205", "c0003", "index ix_products_name still exists"),
        ("WB210", None, "create table suppliers"),
    ),
    "walk_on_broken_upgrade": both(
        ("WB202", "b0002", "then the 1 operation(s) of b0002 that run applied one by one"),
        ("WB205", "c0003", "index ix_products_name still exists"),
        # The comparison at head runs after an approximate rebuild too (as a warning).
        ("WB210", None, "create table suppliers"),
    ),
    "walk_on_failed_downgrade": both(
        ("WB203", "b0002", "the downgrade of revision b0002 fails on {backend}"),
        ("WB205", "c0003", "index ix_products_name still exists"),
        ("WB210", None, "create table suppliers"),
    ),
    # -- correct histories: no finding --
    "ok_in_place_rename": both(),
    "ok_enum_lifecycle": both(),
    "quoted_names": both(),
    "ignored_data_change": both(),
    "ok_enum_in_create_table": both(),
    "ok_backfill_not_null": both(),
    "ok_batch_widen": both(),
    "ok_merged_branches": both(),
    "ok_cast_text_to_enum": both(),
    "ok_cast_narrowing": both(),
}


LINT: dict[str, dict[str, set[str]]] = {
    "rename_as_drop_add": {"sqlite": {"WB101"}, "postgresql": {"WB101"}},
    "not_null_populated": {"sqlite": {"WB103"}, "postgresql": {"WB103"}},
    "non_batch_alter": {"sqlite": {"WB105"}, "postgresql": set()},
}
"""Lint errors (proof 5) a case must fail with, besides check's own findings."""


def build(project: Project, case: str) -> Project:
    """The shop project of one corpus case."""
    shutil.copy(CORPUS / case / "schema.py", project.root / "schemas" / "shop.py")
    ensure_environment(project.cfg, "shop")
    versions = project.root / "migrations" / "shop" / "versions"
    for folder in (CORPUS / "_base" / "versions", CORPUS / case / "versions"):
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            shutil.copy(path, versions / path.name)
    return project


def own(report: CheckReport) -> list[Finding]:
    return [f for f in report.findings if f.code in CODES]


@pytest.mark.parametrize("case", sorted(CASES))
def test_corpus(project: Project, against: str, case: str) -> None:
    build(project, case)
    report = check(project.cfg, ["shop"], against=[against])
    (run,) = report.runs
    expected = CASES[case][run.backend]
    found = own(report)
    assert sorted((f.code, f.revision) for f in found) == sorted(
        (code, revision) for code, revision, _ in expected
    ), [f.message for f in found]
    for (code, revision, words), finding in zip(
        sorted(expected), sorted(found, key=lambda f: (f.code, f.revision or "")), strict=True
    ):
        assert (finding.code, finding.revision) == (code, revision)
        assert words.format(backend=run.backend) in finding.message
        assert finding.backend == run.backend
        assert finding.schema == "shop"
        approximate = any("rebuilt approximately" in d for d in finding.details)
        assert finding.severity == ("warning" if approximate else CODES[code].severity)
        if revision is not None:
            assert finding.path is not None and f"_{revision}_" in finding.path.name
            assert finding.line is not None
    lint_errors = {f.code for f in report.findings if f.code not in CODES and f.severity == "error"}
    assert LINT.get(case, {}).get(run.backend, set()) <= lint_errors
    assert all(f.backend == run.backend for f in report.findings)
    assert report.ok == (not any(f.severity == "error" for f in report.findings))
    if not expected and not report.findings:
        assert run.checked == len(run.chain) >= 1
    # Every revision is walked, whatever fails; the comparison at head always runs.
    if case != "two_heads":
        assert (run.walked, run.skipped) == (len(run.chain), 0)
        failed = {f.revision for f in report.findings if f.severity == "error" and f.revision}
        assert run.proven == len(run.chain) - len(failed)


def test_round_trip_finding_says_what_differs_and_how_to_fix(project: Project) -> None:
    build(project, "check_not_restored")
    (finding,) = own(check(project.cfg, ["shop"], against=["sqlite"]))
    assert finding.message.startswith(
        "the downgrade of revision b0002 does not restore the schema on sqlite: "
        "CHECK ck_products_price_nonnegative missing. Fix: Recreate it in downgrade()"
    )
    assert finding.details[0] == "CHECK ck_products_price_nonnegative missing"
    # The upgrade cannot run again either; said in the same finding, not a second one.
    assert "upgrading it again then fails" in finding.details[-1]
    assert finding.line == 22  # def downgrade()


def test_a_failing_upgrade_names_file_line_and_fix(project: Project) -> None:
    build(project, "non_batch_alter")
    (finding,) = own(check(project.cfg, ["shop"], against=["sqlite"]))
    assert "migrations/shop/versions/0002_b0002_widen_name.py:17" in finding.message
    assert "batch_alter_table" in finding.message
    assert finding.line == 17


def test_the_examples_pass(examples: Project, against: str) -> None:
    report = check(examples.cfg, None, against=[against])
    assert [r.schema for r in report.runs] == list(EXAMPLES)
    assert report.findings == ()
    assert report.ok
    assert all(r.checked == len(r.chain) >= 1 for r in report.runs)


# --- scratch databases only, and always dropped ------------------------------------------


@pytest.fixture
def scratch_names(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The URLs of every scratch database made while the test runs."""
    made: list[str] = []
    real = db.scratch

    def recording(against: str = "sqlite") -> Iterator[str]:
        with real(against) as url:
            made.append(url)
            yield url

    import contextlib

    monkeypatch.setattr(db, "scratch", contextlib.contextmanager(recording))
    yield made


def _exists(url: str, server: str | None) -> bool:
    path = db.sqlite_path(url)
    if path is not None:
        return path.parent.exists()
    assert server is not None
    name = db.parse_url(url).database
    with db.connect(server) as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
    return found is not None


@pytest.mark.parametrize("interrupt", [False, True], ids=["failure", "ctrl-c"])
def test_scratch_databases_are_dropped_after_failure_and_ctrl_c(
    project: Project, against: str, scratch_names: list[str], interrupt: bool
) -> None:
    build(project, "index_left_behind")
    server = None if against == "sqlite" else against

    def stop(schema: str, backend: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    if interrupt:
        with pytest.raises(KeyboardInterrupt):
            check(project.cfg, ["shop"], against=[against], on_progress=stop)
    else:
        assert not check(project.cfg, ["shop"], against=[against]).ok
    assert scratch_names
    assert not any(_exists(url, server) for url in scratch_names)
    # The configured target was never created.
    assert not (project.root / ".workbench").exists()


# --- choosing what to check --------------------------------------------------------------


def test_schemas_from_names_and_changed_paths(
    examples: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(examples.root)
    cfg = examples.cfg
    assert resolve_schemas(cfg, None) == list(EXAMPLES)
    assert resolve_schemas(cfg, ["products", "blog", "products"]) == ["products", "blog"]
    changed = [
        "schemas/blog.py",
        "migrations/products/versions/x.py",
        "README.md",
        "schemas/__init__.py",
        "schemas/blog.py",
    ]
    assert resolve_schemas(cfg, changed) == ["blog", "products"]
    with pytest.raises(ProjectError, match="unknown schema 'nope'"):
        resolve_schemas(cfg, ["nope"])


def test_a_project_without_schemas_is_an_error(project: Project) -> None:
    with pytest.raises(ProjectError, match="the project has no schemas"):
        check(project.cfg, None, against=["sqlite"])


def test_against_defaults_and_refuses_other_backends(project: Project) -> None:
    assert default_against({}) == ["sqlite"]
    assert default_against({"WORKBENCH_POSTGRES_URL": "postgresql://h/db"}) == [
        "sqlite",
        "postgresql://h/db",
    ]
    with pytest.raises(WorkbenchError, match="sqlite` or a PostgreSQL server URL"):
        check(project.cfg, ["shop"], against=["mysql://h/d"])


# --- the command line --------------------------------------------------------------------


def test_cli_passes_on_the_examples(examples: Project) -> None:
    code, out = outcome(examples, "check", "--all", "--against", "sqlite")
    assert code == 0, out
    assert "blog on sqlite: ok; 1 revision" in out
    assert "check passed: 3 schemas on sqlite." in out


def test_cli_reports_findings_with_exit_1(project: Project, tmp_path: Path) -> None:
    build(project, "index_left_behind")
    junit = tmp_path / "reports" / "check.xml"
    code, out = outcome(project, "check", "shop", "--against", "sqlite", "--junit", str(junit))
    assert code == 1, out
    assert "error WB205  revision b0002  migrations/shop/versions/0002_b0002_note.py:22" in out
    assert "Fix: Drop it in downgrade(): op.drop_index('ix_products_name')" in out
    assert "check failed: 1 error in 1 schema on sqlite." in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "shop (sqlite)"
    assert (suite.get("tests"), suite.get("failures")) == ("4", "1")
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["revision b0002"]
    failure = failed[0].find("failure")
    assert failure is not None and failure.get("type") == "WB205"


def test_cli_json_is_one_document_with_the_contract(project: Project) -> None:
    build(project, "irreversible")
    result = runner.invoke(
        app, ["--project", str(project.root), "check", "shop", "--against", "sqlite", "--json"]
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    finding = next(f for f in document["findings"] if f["code"] == "WB204")
    assert {k: finding[k] for k in ("schema", "backend", "revision", "severity")} == {
        "schema": "shop",
        "backend": "sqlite",
        "revision": "b0002",
        "severity": "error",
    }
    assert "irreversible" in finding["message"]
    assert document["runs"][0]["revisions"] == ["a0001", "b0002"]


def test_cli_github_annotations_point_at_the_revision(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, "index_left_behind")
    monkeypatch.chdir(project.root)
    code, out = outcome(
        project, "check", "shop", "--against", "sqlite", env={"GITHUB_ACTIONS": "true"}
    )
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("::error "))
    assert line.startswith(
        "::error file=migrations/shop/versions/0002_b0002_note.py,line=22,"
        "title=WB205 shop on sqlite::the downgrade of revision b0002"
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "check needs the schemas to check"),
        (("nope",), "unknown schema 'nope'"),
        (("--all", "--against", "mysql://h/db"), "a PostgreSQL server URL"),
    ],
)
def test_cli_errors_exit_2(examples: Project, args: tuple[str, ...], words: str) -> None:
    code, out = outcome(examples, "check", *args)
    assert code == 2
    assert words in out


def test_cli_ignores_changed_files_of_no_schema(
    examples: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(examples.root)
    code, out = outcome(examples, "check", "README.md", "--against", "sqlite")
    assert code == 0
    assert "nothing to check" in out


# --- the documented commands, the hook and CI --------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[list[str]]:
    import re
    import shlex

    section = readme_section("The CI gate")
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [
        shlex.split(line.split("#", 1)[0])[1:]
        for line in block.splitlines()
        if line.startswith("workbench check")
    ]


def test_the_readme_commands_run(
    examples: Project, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(examples.root)
    commands = _readme_commands()
    assert len(commands) == 3
    for args in commands:
        args = [postgres_server if a.startswith("postgresql://") else a for a in args]
        code, out = outcome(examples, "check", *args[1:])
        assert code == 0, (args, out)
    assert (examples.root / "reports" / "check.xml").is_file()


def test_the_pre_commit_hook_runs_check_on_changed_files(
    examples: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import shlex

    manifest = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^\s+(\w+): (.+)$", manifest, re.M))
    assert re.search(r"^- id: workbench-check$", manifest, re.M)
    assert fields["pass_filenames"] == "true" and fields["language"] == "python"
    pattern = re.compile(fields["files"])
    changed = ["schemas/blog.py", "migrations/products/versions/x.py", "README.md"]
    passed = [path for path in changed if pattern.search(path)]
    assert passed == changed[:2]
    entry = shlex.split(fields["entry"])
    assert entry[:2] == ["workbench", "check"]
    monkeypatch.chdir(examples.root)
    code, out = outcome(examples, "check", *entry[2:], *passed)
    assert code == 0, out
    assert "blog on sqlite: ok" in out and "products on sqlite: ok" in out
    assert "student_course" not in out


def test_ci_checks_the_examples_on_both_backends() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m workbench.pgserver .venv/bin/workbench check --all" in ci


def test_pgserver_runs_a_command_with_the_server_url(postgres_server: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "workbench.pgserver", sys.executable, "-c",
         "import os; print(os.environ['WORKBENCH_POSTGRES_URL'])"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("postgresql")


def test_a_revision_file_that_does_not_import_is_a_finding(project: Project) -> None:
    build(project, "irreversible")
    broken = project.versions("shop")[-1]
    broken.write_text("import nosuchmodule\n" + broken.read_text(encoding="utf-8"))
    (finding,) = check(project.cfg, ["shop"], against=["sqlite"]).findings
    assert (finding.code, finding.path, finding.line) == ("WB200", broken, 1)
    assert "ModuleNotFoundError: No module named 'nosuchmodule'" in finding.message


def test_a_schema_without_migrations_is_a_finding(project: Project) -> None:
    shutil.copy(CORPUS / "_base" / "schema.py", project.root / "schemas" / "shop.py")
    (finding,) = check(project.cfg, ["shop"], against=["sqlite"]).findings
    assert finding.code == "WB210"
    assert "workbench generate shop -m initial" in finding.message


def test_the_summary_says_walked_proven_and_skipped(project: Project) -> None:
    build(project, "walk_on_failed_upgrade")
    code, out = outcome(project, "check", "shop", "--against", "sqlite")
    assert code == 1
    assert "errors; 3 revisions (walked 3, proven 1, skipped 0;" in out
    assert "revisions: 3 of 3 walked, 1 proven, 0 skipped." in out
    result = runner.invoke(
        app, ["--project", str(project.root), "check", "shop", "--against", "sqlite", "--json"]
    )
    document = json.loads(result.stdout)
    assert (document["walked"], document["proven"], document["skipped"]) == (3, 1, 0)
    assert document["runs"][0]["walked"] == 3


def test_a_backend_the_schema_does_not_support_is_skipped_and_said(project: Project) -> None:
    build(project, "non_batch_alter")
    pyproject = project.root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    pyproject.write_text(
        text + '\n[tool.workbench.schema.shop]\nbackends = ["postgresql"]\n', encoding="utf-8"
    )
    code, out = outcome(project, "check", "shop", "--against", "sqlite")
    assert code == 0, out
    assert "shop on sqlite: skipped (schema 'shop' supports only postgresql" in out
    assert "not checked: shop on sqlite (the schema does not support it)." in out


def test_a_killed_run_leaves_nothing_after_the_next(project: Project, against: str) -> None:
    import signal
    import subprocess
    import sys

    server = None if against == "sqlite" else against
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom workbench import db\n"
         "with db.scratch(sys.argv[1]) as url:\n    print(url, flush=True)\n    time.sleep(120)\n",
         against],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    url = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert _exists(url, server)  # SIGKILL: no cleanup ran
    # A scratch database of a live process (this one) is never taken for an orphan.
    with db.scratch(against) as mine:
        assert _exists(mine, server)
        assert not _exists(url, server)  # the next run dropped the orphan
        assert _exists(mine, server)


def test_an_ignore_comment_accepts_an_intended_data_change(project: Project) -> None:
    build(project, "ignored_data_change")
    report = check(project.cfg, ["shop"], against=["sqlite"])
    (run,) = report.runs
    assert own(report) == []
    assert report.ok
    (accepted,) = run.ignored
    assert (accepted.code, accepted.revision, accepted.line) == ("WB221", "b0002", 20)
    assert "ignored: # workbench: ignore[WB221] at line 20" in accepted.details
    code, out = outcome(project, "check", "shop", "--against", "sqlite")
    assert code == 0, out
    assert "ignored WB221  revision b0002  migrations/shop/versions/0002_b0002_note.py:20" in out
    assert "1 finding ignored by comment" in out
    result = runner.invoke(
        app, ["--project", str(project.root), "check", "shop", "--against", "sqlite", "--json"]
    )
    document = json.loads(result.stdout)
    assert [f["code"] for f in document["ignored"]] == ["WB221"]
    assert document["findings"] == []


def test_backends_walk_concurrently_with_the_same_findings_in_order(
    project: Project, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, "walk_on_failed_upgrade")
    targets = [postgres_server, "sqlite"]
    together = check(project.cfg, ["shop"], against=targets)
    monkeypatch.setenv("WORKBENCH_CHECK_SERIAL", "1")
    one_by_one = check(project.cfg, ["shop"], against=targets)

    def shown(report: CheckReport) -> list[tuple[str, str, str | None, str]]:
        return [(f.backend, f.code, f.revision, f.severity) for f in report.findings]

    assert [r.backend for r in together.runs] == ["postgresql", "sqlite"]
    assert shown(together) == shown(one_by_one)
    assert [(r.walked, r.proven) for r in together.runs] == [(3, 1), (3, 1)]


# -- models without a naming convention: names compared as autogenerate compares them --

UNNAMED_MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "categories", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False, unique=True),
)
sa.Table(
    "products", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id"), nullable=False),
    sa.Column("sku", sa.String(20), nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.UniqueConstraint("category_id", "sku"),
    sa.CheckConstraint("price >= 0"),
)
"""

UNNAMED_HISTORY = '''"""initial, as plain Alembic writes it for models without a convention"""
from alembic import op
import sqlalchemy as sa

revision = "a0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=20), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.CheckConstraint("price >= 0"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("category_id", "sku"),
    )


def downgrade():
    op.drop_table("products")
    op.drop_table("categories")
'''


def _unnamed_project(project: Project, models: str = UNNAMED_MODELS) -> Project:
    (project.root / "schemas" / "shop.py").write_text(models, encoding="utf-8")
    ensure_environment(project.cfg, "shop")
    versions = project.root / "migrations" / "shop" / "versions"
    (versions / "0001_a0001_initial.py").write_text(UNNAMED_HISTORY, encoding="utf-8")
    return project


def test_unnamed_constraints_are_not_compared_by_invented_names(
    project: Project, against: str
) -> None:
    # PostgreSQL names them categories_name_key, products_category_id_fkey,
    # products_price_check; SQLite leaves them unnamed. Neither is a difference from
    # models that name none of them, whatever names workbench gives them for its own use.
    _unnamed_project(project)
    report = check(project.cfg, ["shop"], against=[against])
    assert report.findings == (), [f.message for f in report.findings]
    assert report.ok


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ('sa.Column("sku", sa.String(20), nullable=False),',
         "WB210", "on products (sku)"),
        ('sa.CheckConstraint("price >= 0"),',
         "WB211", "(price >= 1)"),
    ],
)  # fmt: skip
def test_unnamed_constraints_still_differ_by_what_they_are(
    project: Project, against: str, change: str, code: str, words: str
) -> None:
    replacement = {
        "WB210": 'sa.Column("sku", sa.String(20), nullable=False, unique=True),',
        "WB211": 'sa.CheckConstraint("price >= 1"),',
    }[code]
    assert change in UNNAMED_MODELS
    _unnamed_project(project, UNNAMED_MODELS.replace(change, replacement))
    found = own(check(project.cfg, ["shop"], against=[against]))
    assert [f.code for f in found] == [code], [f.message for f in found]
    assert words in found[0].message


# -- text to integer, uuid, date: the data proof on each backend --

RETYPE_MODELS = """
import sqlalchemy as sa
from tests.check_corpus.shop import shop

metadata = shop()
metadata.tables["products"].append_column(sa.Column("code", sa.{new}, nullable=True))
"""

RETYPE_ADD = '''"""products.code, a text

Revision ID: b0002
Revises: a0001
"""

import sqlalchemy as sa
from alembic import op

revision = "b0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("code")
'''

RETYPE_HISTORY = '''"""products.code becomes {new} (no existing_type: the history says what it was)

Revision ID: c0003
Revises: b0002
"""

import sqlalchemy as sa
from alembic import op

revision = "c0003"
down_revision = "b0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column("code", type_=sa.{new}{using})


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.alter_column("code", type_=sa.String(length=40), postgresql_using="code::text")
'''


def _retyped(project: Project, new: str, using: str | None) -> Project:
    shutil.copy(CORPUS / "_base" / "schema.py", project.root / "schemas" / "shop.py")
    (project.root / "schemas" / "shop.py").write_text(
        RETYPE_MODELS.format(new=new), encoding="utf-8"
    )
    ensure_environment(project.cfg, "shop")
    versions = project.root / "migrations" / "shop" / "versions"
    shutil.copy(CORPUS / "_base" / "versions" / "0001_a0001_initial.py", versions)
    kw = f', postgresql_using="{using}"' if using else ""
    (versions / "0002_b0002_code.py").write_text(RETYPE_ADD, encoding="utf-8")
    (versions / "0003_c0003_code_type.py").write_text(
        RETYPE_HISTORY.format(new=new, using=kw), encoding="utf-8"
    )
    return project


@pytest.mark.parametrize(
    ("new", "using", "sqlite", "postgresql"),
    [
        # SQLite's batch copy goes through CAST(... AS INTEGER / DATE): the text is gone.
        ("Integer()", "code::integer", ("WB221", "'abc' became 0"),
         ("WB202", "such as 'abc' (DataError: invalid input syntax for type integer")),
        ("Date()", "code::date", ("WB221", "'2024-01-31' became 2024"),
         ("WB202", "such as 'not a date'")),
        # CHAR(32) keeps the text on SQLite: the models cannot read it back.
        ("Uuid()", "code::uuid", ("WB224", "keeps 1 value(s) UUID does not hold: 'not-a-uuid'"),
         ("WB202", "such as 'not-a-uuid'")),
        # Without USING, PostgreSQL refuses the cast on an empty table too.
        ("Integer()", None, ("WB221", "'abc' became 0"),
         ("WB202", "cannot change products.code from VARCHAR(40) to INTEGER without USING")),
    ],
)  # fmt: skip
def test_text_to_a_typed_column_is_proven_with_values_that_do_not_fit(
    project: Project,
    against: str,
    new: str,
    using: str | None,
    sqlite: tuple[str, str],
    postgresql: tuple[str, str],
) -> None:
    _retyped(project, new, using)
    report = check(project.cfg, ["shop"], against=[against])
    (run,) = report.runs
    code, words = {"sqlite": sqlite, "postgresql": postgresql}[run.backend]
    found = own(report)
    assert [(f.code, f.revision) for f in found] == [(code, "c0003")], [f.message for f in found]
    assert words in found[0].message
    assert found[0].line is not None
    assert not report.ok


def test_a_revision_that_converts_the_values_first_passes(project: Project, against: str) -> None:
    _retyped(project, "Integer()", "code::integer")
    revision = project.versions("shop")[-1]
    text = revision.read_text(encoding="utf-8")
    convert = (
        "    op.execute(\"UPDATE products SET code = NULL WHERE code NOT IN ('42', '7')\")\n"
        '    with op.batch_alter_table("products") as batch_op:\n'
        '        batch_op.alter_column("code", type_'
    )
    text = text.replace('    with op.batch_alter_table("products") as batch_op:\n'
                        '        batch_op.alter_column("code", type_', convert)  # fmt: skip
    revision.write_text(text, encoding="utf-8")
    report = check(project.cfg, ["shop"], against=[against])
    assert own(report) == [], [f.message for f in own(report)]


def test_a_column_the_history_made_an_enum_is_not_probed_with_non_members(
    project: Project,
) -> None:
    """Autogenerate on SQLite writes an enum column's ``existing_type`` as the VARCHAR it
    reflects; the history says it was an enum, so 'zz' is no value its old type admits."""
    new = "Enum('A', 'B', 'C', name='mode')"
    _retyped(project, new, None)
    versions = project.root / "migrations" / "shop" / "versions"
    added = versions / "0002_b0002_code.py"
    added.write_text(
        added.read_text().replace("sa.String(length=40)", "sa.Enum('A', 'B', name='mode')"),
        encoding="utf-8",
    )
    retyped = versions / "0003_c0003_code_type.py"
    retyped.write_text(
        retyped.read_text()
        .replace(f"type_=sa.{new})", f"type_=sa.{new}, existing_type=sa.VARCHAR(length=1))")
        .replace("type_=sa.String(length=40), postgresql_using=\"code::text\"",
                 "type_=sa.Enum('A', 'B', name='mode')"),
        encoding="utf-8",
    )  # fmt: skip
    report = check(project.cfg, ["shop"], against=["sqlite"])
    assert [f.code for f in own(report) if f.code in ("WB224", "WB225", "WB202")] == [], [
        f.message for f in own(report)
    ]


@pytest.mark.parametrize(
    ("old", "new", "kind", "unfit", "fit"),
    [
        ("String(2)", "Enum('A', 'B', name='g')", "member", "zz", "A"),
        ("String(1)", "Enum('A', 'z', name='g')", "member", "x", "A"),
        ("Text()", "String(5)", "length", "xxxxxx", "ok"),
        ("String(5)", "String(10)", None, None, None),
        ("String(3)", "Integer()", "parse", "abc", "42"),
        ("String(1)", "Boolean()", "parse", "m", "t"),
        ("String(8)", "Date()", "parse", "not a da", None),
        ("BigInteger()", "Integer()", "range", 2147483648, 7),
        ("Integer()", "SmallInteger()", "range", 32768, 7),
        ("Integer()", "BigInteger()", None, None, None),
        ("Numeric(10, 2)", "Numeric(5, 2)", "range", 1000, 1),
        ("Numeric(5, 2)", "Numeric(8, 2)", None, None, None),
        ("Enum('A', 'B', name='g')", "Enum('A', name='g')", None, None, None),
        ("Integer()", "String(20)", None, None, None),
    ],
)  # fmt: skip
def test_which_type_changes_get_values_that_do_not_fit(
    old: str, new: str, kind: str | None, unfit: object, fit: object
) -> None:
    from workbench.check.casts import values_for

    found = values_for(eval(f"sa.{old}"), eval(f"sa.{new}"))
    assert found == ((kind, unfit, fit) if kind else None)


def test_what_the_written_values_set_off_is_not_the_revisions_doing(project: Project) -> None:
    # A trigger that fires on the value check writes changes another table: that is not
    # a change the revision makes (its own UPDATE never writes 'zz').
    build(project, "ok_cast_text_to_enum")
    added = project.versions("shop")[1]
    text = added.read_text(encoding="utf-8")
    text = text.replace(
        '        batch_op.add_column(sa.Column("grade", sa.String(length=2), nullable=True))\n',
        '        batch_op.add_column(sa.Column("grade", sa.String(length=2), nullable=True))\n'
        '    op.execute("CREATE TRIGGER grade_seen AFTER UPDATE OF grade ON products "\n'
        "               \"WHEN NEW.grade = 'zz' BEGIN UPDATE tags SET label = 'zz'; END\")\n",
    )
    text = text.replace(
        "def downgrade() -> None:\n",
        'def downgrade() -> None:\n    op.execute("DROP TRIGGER IF EXISTS grade_seen")\n',
    )
    added.write_text(text, encoding="utf-8")
    report = check(project.cfg, ["shop"], against=["sqlite"])
    assert own(report) == [], [f.message for f in own(report)]


def test_values_the_proof_wrote_are_reported_once(project: Project) -> None:
    # SQLite keeps 'zz' at c0003 (reported there); a later CHECK on the column must not
    # fail on the value check wrote, as the same defect a second time.
    build(project, "cast_text_to_enum")
    (project.root / "schemas" / "shop.py").write_text(
        "import sqlalchemy as sa\n"
        "from tests.check_corpus.shop import shop\n\n"
        'metadata = shop(grade="enum")\n'
        'metadata.tables["products"].append_constraint(\n'
        "    sa.CheckConstraint(\"grade IN ('A', 'B', 'C')\", name=\"grade_member\")\n"
        ")\n",
        encoding="utf-8",
    )
    (project.root / "migrations" / "shop" / "versions" / "0004_d0004_check.py").write_text(
        '''"""products.grade: only members

Revision ID: d0004
Revises: c0003
"""

from alembic import op

revision = "d0004"
down_revision = "c0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_products_grade_member"), "grade IN ('A', 'B', 'C')"
        )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_constraint(op.f("ck_products_grade_member"), type_="check")
''',
        encoding="utf-8",
    )
    found = own(check(project.cfg, ["shop"], against=["sqlite"]))
    assert [(f.code, f.revision) for f in found] == [("WB224", "c0003")], [f.message for f in found]


def test_an_enum_with_a_check_on_sqlite_fails_on_the_value_and_says_so(project: Project) -> None:
    # create_constraint=True: SQLite's batch copy into the CHECKed column refuses 'zz'.
    build(project, "cast_text_to_enum")
    (project.root / "schemas" / "shop.py").write_text(
        "import sqlalchemy as sa\n"
        "from tests.check_corpus.shop import shop\n\n"
        'metadata = shop(grade="enum")\n',
        encoding="utf-8",
    )
    revision = project.versions("shop")[-1]
    revision.write_text(
        revision.read_text(encoding="utf-8").replace(
            'type_=sa.Enum("A", "B", "C", name="grade"),',
            'type_=sa.Enum("A", "B", "C", name="grade", create_constraint=True),',
        ),
        encoding="utf-8",
    )
    found = own(check(project.cfg, ["shop"], against=["sqlite"]))
    # (The models declare no such CHECK: WB211 at head says so, beside.)
    (failed,) = [f for f in found if f.revision == "c0003"]
    assert failed.code == "WB202"
    assert "enum grade does not, such as 'zz' (IntegrityError: CHECK constraint failed" in (
        failed.message
    )
    assert "SQLite does not run a postgresql_using" in failed.message
