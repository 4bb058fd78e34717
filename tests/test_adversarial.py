"""Bad input, adversarially: each case must end in exit 2 with one clear paragraph.

No traceback, no "internal error", no secret in the output, and nothing changed:
no file of the project rewritten, no SQLite target created. Slow cases
(concurrency, kill -9) live in ``benchmarks/adversarial.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.helpers import invoke, runner
from tests.test_guard import BASE, SCHEMA
from workbench.cli import app

SECRET = "S3cr3tPw"


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    prepare: Callable[[Project], None] | None = None
    env: tuple[tuple[str, str], ...] = ()


def _root_url(project: Project, name: str) -> str:
    return f"sqlite:///{project.root / name}"


URLS = {
    "mysql": f"mysql+pymysql://u:{SECRET}@127.0.0.1/db",
    "mariadb": f"mariadb://u:{SECRET}@127.0.0.1/db",
    "mssql": f"mssql+pyodbc://u:{SECRET}@127.0.0.1/db",
    "oracle": f"oracle://u:{SECRET}@127.0.0.1/db",
    "pg-refused": f"postgresql://u:{SECRET}@127.0.0.1:1/db",
    "pg-query-password": f"postgresql://u@127.0.0.1:1/db?password={SECRET}",
    "pg-at-in-password": f"postgresql://u:{SECRET[:3]}@{SECRET[3:]}@127.0.0.1:1/db",
    "pg-sslpassword": f"postgresql://u@127.0.0.1:1/db?sslpassword={SECRET}&sslmode=disable",
    "pg-no-such-db": f"postgresql://postgres@127.0.0.1:5432/wb_no_such_db?password={SECRET}",
    "not-a-url": f"not a url {SECRET}",
    "sqlite-folder-is-a-file": "sqlite:///FILEPARENT/target.db",
}

BROKEN = {
    "syntax": lambda text: text.replace("def upgrade() -> None:", "def upgrade() -> None"),
    "truncated": lambda text: text[: text.index("def upgrade")],
    "down-nowhere": lambda text: text.replace("down_revision = None", 'down_revision = "zz99"'),
    "import-missing": lambda text: "import no_such_package_wb\n" + text,
    "raises": lambda text: text + "\nraise RuntimeError('broken on import')\n",
}


def _break(kind: str) -> Callable[[Project], None]:
    def prepare(project: Project) -> None:
        path = project.root / "migrations" / "s" / "versions" / "a1_base.py"
        path.write_text(BROKEN[kind](path.read_text(encoding="utf-8")), encoding="utf-8")

    return prepare


def _schema_source(source: str) -> Callable[[Project], None]:
    def prepare(project: Project) -> None:
        (project.root / "schemas" / "s.py").write_text(source, encoding="utf-8")

    return prepare


def _pyproject_bytes(project: Project) -> None:
    (project.root / "pyproject.toml").write_bytes(
        b'[project]\nname = "t\xff\xfe"\nversion = "0"\n\n[tool.workbench]\n'
    )


def _not_a_database(project: Project) -> None:
    (project.root / "notadb.sqlite3").write_text("hello, I am text\n" * 50, encoding="utf-8")
    (project.root / "q.sql").write_text("SELECT * FROM users WHERE id = 3;\n", encoding="utf-8")


def _folder(project: Project) -> None:
    (project.root / "adir").mkdir()
    (project.root / "adir" / "keep").write_text("", encoding="utf-8")


CASES: list[Case] = []
for _label, _url in URLS.items():
    _commands: tuple[tuple[str, str], ...] = (
        ("upgrade", "s"),
        ("downgrade", "s"),
        ("current", "s"),
    )
    for _command in _commands:
        if _label == "sqlite-folder-is-a-file" and _command[0] == "current":
            continue  # no database there: current says so, exit 0
        CASES.append(Case(f"{_command[0]}-{_label}", (*_command, "--url", _url)))
for _kind in BROKEN:
    for _command in (
        ("history", "s"),
        ("upgrade", "s"),
        ("downgrade", "s"),
        ("current", "s"),
        ("lint", "s"),
    ):
        CASES.append(Case(f"{_command[0]}-revision-{_kind}", _command, _break(_kind)))
CASES += [
    Case("upgrade-unknown-revision", ("upgrade", "s", "nope1")),
    Case("downgrade-unknown-revision", ("downgrade", "s", "nope1")),
    Case("upgrade-unknown-schema", ("upgrade", "nosuch")),
    Case("current-unknown-schema", ("current", "nosuch")),
    Case(
        "generate-schema-sys-exit",
        ("generate", "s", "-m", "x"),
        _schema_source("import sys\nsys.exit(3)\n"),
    ),
    Case(
        "generate-schema-sys-exit-0",
        ("generate", "s", "-m", "x"),
        _schema_source("import sys\nsys.exit(0)\n"),
    ),
    Case(
        "generate-schema-missing-package",
        ("generate", "s", "-m", "x"),
        _schema_source("import no_such_package_wb\n"),
    ),
    Case("history-non-utf8-pyproject", ("history", "s"), _pyproject_bytes),
    Case("upgrade-non-utf8-pyproject", ("upgrade", "s"), _pyproject_bytes),
    Case("upgrade-not-a-database", ("upgrade", "s", "--url", "NOTADB"), _not_a_database),
    Case("current-not-a-database", ("current", "s", "--url", "NOTADB"), _not_a_database),
    Case("downgrade-not-a-database", ("downgrade", "s", "--url", "NOTADB"), _not_a_database),
    *(
        # A file that is not a database, for every command that reads a --url target.
        Case(f"{args[0]}-{label}-not-a-database", (*args, "--url", "NOTADB"), _not_a_database)
        for args, label in (
            (("status", "s"), "status"),
            (("seed", "s", "--rows", "2"), "seed"),
            (("diagram", "s", "--out", "-", "--format", "mermaid"), "diagram"),
            (("advise", "s"), "advise"),
            (("advise", "s", "--queries", "QUERIES", "--rows", "20"), "workload"),
            (("generate", "s", "-m", "x", "--replace"), "replace"),
        )
    ),
    *(
        # A folder where a database file should be.
        Case(f"{args[0]}-{label}-a-folder", (*args, "--url", "FOLDER"), _folder)
        for args, label in (
            (("upgrade", "s"), "upgrade"),
            (("seed", "s", "--rows", "2"), "seed"),
            (("diagram", "s", "--out", "-", "--format", "mermaid"), "diagram"),
            (("advise", "s"), "advise"),
        )
    ),
    Case("squash-against-mysql", ("squash", "s", "--to", "a1", "--against", URLS["mysql"])),
    Case("generate-against-a-file", ("generate", "s", "-m", "x", "--against", "NOTADB")),
    Case("init-non-utf8-pyproject", ("init", "ROOT"), _pyproject_bytes),
    *(
        Case(f"{args[0]}-non-utf8-pyproject-{i}", args, _pyproject_bytes)
        for i, args in enumerate(
            (
                ("schemas",),
                ("status", "s"),
                ("generate", "s", "-m", "x"),
                ("check", "s"),
                ("diagram", "s"),
                ("seed", "s"),
                ("advise", "s"),
                ("squash", "s", "--to", "a1"),
                ("lint", "s"),
            )
        )
    ),
    Case("upgrade-bad-lock-timeout", ("upgrade", "s"), env=(("WORKBENCH_LOCK_TIMEOUT", "x"),)),
    Case("upgrade-json-in-url", ("upgrade", "s", "--url", "{}")),
]


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def base(project: Project) -> Project:
    project.write_schema("s", SCHEMA)
    project.write_revision("s", "a1_base.py", BASE)
    return project


def test_the_table_has_sixty_cases_or_more() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_exit_2_one_paragraph_no_secret_nothing_changed(
    base: Project, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.prepare is not None:
        case.prepare(base)
    for key, value in case.env:
        monkeypatch.setenv(key, value)
    args = [
        a.replace("NOTADB", _root_url(base, "notadb.sqlite3"))
        .replace("FILEPARENT", str(base.root / "pyproject.toml"))
        .replace("FOLDER", _root_url(base, "adir"))
        .replace("QUERIES", str(base.root / "q.sql"))
        .replace("ROOT", str(base.root))
        for a in case.args
    ]
    before = _tree(base.root)
    result = invoke(base, *args)
    output = result.output
    assert result.exit_code == 2, output
    assert output.startswith("Error: ") and output.count("\n") == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert "bug in workbench" not in output, output
    assert SECRET not in output and SECRET[3:] not in output, output
    assert _tree(base.root) == before
    assert not (base.root / ".workbench").exists()


def test_secrets_never_reach_current_or_schemas_json(base: Project) -> None:
    url = f"postgresql://u@127.0.0.1:1/db?password={SECRET}&sslpassword={SECRET}x"
    listed = invoke(base, "schemas", "--json", "--url", url)
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.stdout)
    assert SECRET not in listed.output and "password=***" in document["schemas"][0]["target"]
    current = invoke(base, "current", "s", "--url", url)
    assert current.exit_code == 2 and SECRET not in current.output


def test_schemas_still_lists_the_others_when_one_has_a_dangling_foreign_key(
    base: Project,
) -> None:
    base.write_schema(
        "broken",
        """
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            owner_id: Mapped[int] = mapped_column(sa.ForeignKey("missing.id"))
        """,
    )
    listed = invoke(base, "schemas", "--json")
    assert listed.exit_code == 0, listed.output
    schemas = {s["name"]: s for s in json.loads(listed.stdout)["schemas"]}
    assert set(schemas) == {"broken", "s"}
    assert schemas["s"]["error"] is None and schemas["s"]["revisions"] == 1
    error = schemas["broken"]["error"]
    assert error.startswith("schemas/broken.py:12: column things.owner_id has a foreign key to ")
    assert "table 'missing'" in error and "NoReferencedTableError" not in error


def test_downgrade_takes_minus_n_as_documented(base: Project) -> None:
    root = ["--project", str(base.root)]
    assert runner.invoke(app, [*root, "upgrade", "s"]).exit_code == 0
    one = runner.invoke(app, [*root, "downgrade", "s", "-1"])
    assert one.exit_code == 0 and "is now at base" in one.output
    assert runner.invoke(app, [*root, "upgrade", "s"]).exit_code == 0
    two = runner.invoke(app, [*root, "downgrade", "s", "-2"])
    assert two.exit_code == 2 and "Traceback" not in two.output


def test_a_read_only_sqlite_file_is_named_as_such(base: Project, tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        # root writes anyway: make the folder read-only through SQLite's own flag instead.
        url = f"sqlite:///file:{tmp_path / 'ro.sqlite3'}?mode=ro&uri=true"
    else:  # pragma: no cover - CI runs as root
        target = tmp_path / "ro.sqlite3"
        target.touch()
        target.chmod(0o444)
        url = f"sqlite:///{target}"
    import sqlite3

    sqlite3.connect(str(tmp_path / "ro.sqlite3")).close()
    result = invoke(base, "upgrade", "s", "--url", url)
    assert result.exit_code == 2, result.output
    assert "read-only" in result.output and "seed" not in result.output
    assert "bug in workbench" not in result.output


@pytest.mark.parametrize("truncate", [False, True], ids=["append", "truncate"])
def test_seed_into_a_read_only_sqlite_file_says_read_only(
    base: Project, tmp_path: Path, truncate: bool
) -> None:
    target = tmp_path / "ro.sqlite3"
    root = ["--project", str(base.root)]
    up = runner.invoke(app, [*root, "upgrade", "s", "--url", f"sqlite:///{target}"])
    assert up.exit_code == 0, up.output
    before = target.read_bytes()
    # SQLite's own read-only flag: root, who runs CI, would write a chmod 444 file anyway.
    url = f"sqlite:///file:{target}?mode=ro&uri=true"
    args = ["seed", "s", "--rows", "2", "--url", url, *(["--truncate", "--yes"] * truncate)]
    result = runner.invoke(app, [*root, *args])
    assert result.exit_code == 2, result.output
    assert "is read-only" in result.output and "nothing was changed" in result.output
    assert "seed engine" not in result.output and "bug in workbench" not in result.output
    assert target.read_bytes() == before
