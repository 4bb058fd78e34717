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
from typer.testing import CliRunner

from tests.conftest import EXAMPLES, Project, readme_section
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
    "enum_member_not_migrated": both(
        ("WB210", None, "change enum type productstatus: add archived")
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
        ("WB222", "b0002", "drops column products.description holding 3 non-null value(s)")
    ),
    "deletes_unrelated_rows": both(("WB221", "b0002", "loses rows of tags: 5 of 5 row(s)")),
    "deletes_unrelated_rows_via_bind": both(
        ("WB220", "b0002", "changes the rows of tags on {backend}, a table it does not touch")
    ),
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
        assert run.checked == len(run.chain) >= 2
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

runner = CliRunner()


def _cli(project: Project, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--project", str(project.root), "check", *args], env=env)
    return result.exit_code, result.output


def test_cli_passes_on_the_examples(examples: Project) -> None:
    code, out = _cli(examples, "--all", "--against", "sqlite")
    assert code == 0, out
    assert "blog on sqlite: ok; 1 revision" in out
    assert "check passed: 3 schemas on sqlite." in out


def test_cli_reports_findings_with_exit_1(project: Project, tmp_path: Path) -> None:
    build(project, "index_left_behind")
    junit = tmp_path / "reports" / "check.xml"
    code, out = _cli(project, "shop", "--against", "sqlite", "--junit", str(junit))
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
    code, out = _cli(project, "shop", "--against", "sqlite", env={"GITHUB_ACTIONS": "true"})
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
    code, out = _cli(examples, *args)
    assert code == 2
    assert words in out


def test_cli_ignores_changed_files_of_no_schema(
    examples: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(examples.root)
    code, out = _cli(examples, "README.md", "--against", "sqlite")
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
        code, out = _cli(examples, *args[1:])
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
    code, out = _cli(examples, *entry[2:], *passed)
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
    code, out = _cli(project, "shop", "--against", "sqlite")
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
    code, out = _cli(project, "shop", "--against", "sqlite")
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
    code, out = _cli(project, "shop", "--against", "sqlite")
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
