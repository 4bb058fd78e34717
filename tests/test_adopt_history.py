"""Real histories adopted in place: baselines, walking past failures, and true findings only.

Each project here is a small history written for the test that reproduces one
pattern met in real adopted histories (a history that starts from tables made
by ``create_all``, a downgrade that is deliberately empty after a data fix,
a revision that rebuilds a parent table whose children hold rows, ...).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workbench.check import check
from workbench.config import load
from workbench.lint import lint_revisions
from workbench.results import Finding

ENV_PY = """
raise RuntimeError("workbench must never run this env.py")
"""

HEADER = """
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def make_project(
    root: Path,
    package: str,
    *,
    models: str,
    revisions: list[tuple[str, str, str]],
    extra_files: dict[str, str] | None = None,
    schema_keys: str = "",
) -> Path:
    """An adopted project: ``package`` with ``models.py``, its own history, pyproject declared.

    ``revisions`` are ``(rev, upgrade body, downgrade body)``, each after the previous.
    """
    write(root / package / "__init__.py", "")
    write(root / package / "models.py", models)
    for name, text in (extra_files or {}).items():
        write(root / package / name, text)
    write(root / "alembic.ini", "[alembic]\nscript_location = migrations\nprepend_sys_path = .\n")
    write(root / "migrations" / "env.py", ENV_PY)
    down = "None"
    for rev, up, back in revisions:
        body = HEADER.format(rev=rev, down=down)
        body += "\n\ndef upgrade():\n" + textwrap.indent(textwrap.dedent(up).strip(), "    ")
        body += "\n\n\ndef downgrade():\n" + textwrap.indent(textwrap.dedent(back).strip(), "    ")
        write(root / "migrations" / "versions" / f"{rev}.py", body + "\n")
        down = repr(rev)
    write(
        root / "pyproject.toml",
        f"""
        [project]
        name = "{package}"

        [tool.workbench.schema.{package}]
        models = "{package}.models:Base"
        alembic_ini = "alembic.ini"
        """
        + textwrap.dedent(schema_keys),
    )
    return root


def errors(findings: list[Finding] | tuple[Finding, ...]) -> list[str]:
    return sorted(f"{f.code} {f.revision}" for f in findings if f.severity == "error")


PARENT_CHILD = """
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "parent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(50), nullable=True)


class Child(Base):
    __tablename__ = "child"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
    code: Mapped[int] = mapped_column(Integer)
"""

CREATE_PARENT = (
    "p1",
    """
    op.create_table(
        "parent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )
    """,
    'op.drop_table("parent")',
)
CREATE_CHILD = (
    "c2",
    """
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("parent.id"), nullable=False),
    )
    """,
    'op.drop_table("child")',
)


def test_rebuilding_a_parent_table_in_batch_mode_keeps_its_childrens_rows_on_sqlite(
    tmp_path: Path,
) -> None:
    """The walk's own seeded child rows must not make a correct batch rebuild fail (WB202)."""
    root = make_project(
        tmp_path,
        "fkapp",
        models=PARENT_CHILD,
        revisions=[
            CREATE_PARENT,
            CREATE_CHILD,
            # Fails on the seeded rows: the walk goes on from a rebuilt state.
            (
                "x3",
                'op.add_column("child", sa.Column("code", sa.Integer(), nullable=False))',
                'op.drop_column("child", "code")',
            ),
            (
                "n4",
                """
                with op.batch_alter_table("parent", recreate="always") as batch:
                    batch.alter_column("name", nullable=True, existing_type=sa.String(50))
                """,
                """
                with op.batch_alter_table("parent", recreate="always") as batch:
                    batch.alter_column("name", nullable=False, existing_type=sa.String(50))
                """,
            ),
        ],
    )
    report = check(load(root), ["fkapp"], against=["sqlite"])
    run = report.runs[0]
    assert "n4" not in {f.revision for f in run.findings}
    assert "WB202 x3" in errors(run.findings)
    assert run.walked == 4


# --- a history that starts from tables made outside it (a baseline) ---------------------------

BASELINE_MODELS = """
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Metric(Base):
    __tablename__ = "metrics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(250))
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str | None] = mapped_column(String(100), nullable=True)
"""

INITIAL_MODELS = """
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Metric(Base):
    __tablename__ = "metrics"
    id = Column(Integer, primary_key=True)
    key = Column(String(250), nullable=False)
"""

# The app calls create_all on the initial models, then upgrades: no revision makes `metrics`.
BASELINE_HISTORY = [
    (
        "m1",
        'op.add_column("metrics", sa.Column("step", sa.Integer(), nullable=True))',
        'op.drop_column("metrics", "step")',
    ),
    (
        "m2",
        'op.add_column("metrics", sa.Column("note", sa.String(100), nullable=True))',
        'op.drop_column("metrics", "note")',
    ),
    (
        "m3",
        """
        op.create_table(
            "tags",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("value", sa.String(100), nullable=True),
        )
        """,
        'op.drop_table("tags")',
    ),
]


def baseline_project(root: Path, *, declared: bool) -> Path:
    return make_project(
        root,
        "basedapp",
        models=BASELINE_MODELS,
        revisions=BASELINE_HISTORY,
        extra_files={"initial.py": INITIAL_MODELS},
        schema_keys='baseline = "basedapp.initial:Base"\n' if declared else "",
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_declared_baseline_is_created_before_the_walk_and_every_revision_is_proven(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    target = "sqlite" if backend == "sqlite" else request.getfixturevalue("postgres_server")
    root = baseline_project(tmp_path, declared=True)
    run = check(load(root), ["basedapp"], against=[target]).runs[0]
    assert [f for f in run.findings if f.severity == "error"] == []
    assert (run.walked, run.proven, run.checked) == (3, 3, 3)


def test_without_the_baseline_the_walk_still_reaches_head_and_names_the_fix(
    tmp_path: Path,
) -> None:
    root = baseline_project(tmp_path, declared=False)
    run = check(load(root), ["basedapp"], against=["sqlite"]).runs[0]
    # Every revision walked, and the comparison at head ran (WB210/WB211 or nothing, no crash).
    assert run.walked == 3 and run.checked == 3
    first = next(f for f in run.findings if f.code == "WB202" and f.revision == "m1")
    assert first.severity == "error"
    assert "baseline" in first.message and "metrics" in first.message
    later = [f for f in run.findings if f.code == "WB202" and f.revision == "m2"]
    assert later and all(f.severity == "warning" for f in later)
    assert "replayed" in later[0].message or "the walk's own database" in later[0].message


def test_upgrade_of_an_empty_target_creates_the_baseline_first(tmp_path: Path) -> None:
    import sqlite3

    from workbench.migrate import upgrade

    root = baseline_project(tmp_path, declared=True)
    target = tmp_path / "app.sqlite3"
    result = upgrade(load(root), "basedapp", url=f"sqlite:///{target}")
    assert result.after == "m3"
    with sqlite3.connect(target) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(metrics)")]
    assert columns == ["id", "key", "step", "note"]
    # A second upgrade (already at head) and a database made another way are left alone.
    assert upgrade(load(root), "basedapp", url=f"sqlite:///{target}").after == "m3"


# --- true findings only ------------------------------------------------------------------------

NOTE_MODELS = """
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight: Mapped[int | None] = mapped_column(Integer, nullable=True)
    other: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Log(Base):
    __tablename__ = "log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int | None] = mapped_column(Integer, nullable=True)
"""

CREATE_ITEM = (
    "i1",
    """
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("weight", sa.Integer(), nullable=True),
    )
    op.create_table(
        "log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=True),
    )
    """,
    'op.drop_table("log")\nop.drop_table("item")',
)


@pytest.mark.parametrize(
    ("upgrade", "expected"),
    [
        # A data fix cannot be undone: its empty downgrade is deliberate (WB112 warns).
        ('op.execute("UPDATE item SET weight = 1 WHERE weight IS NULL")', []),
        (
            """
            item = sa.table("item", sa.column("weight", sa.Integer()))
            op.execute(item.update().where(item.c.weight.is_(None)).values(weight=1))
            """,
            [],
        ),
        # A schema change whose downgrade is `pass` stays an error.
        ('op.add_column("item", sa.Column("other", sa.Integer(), nullable=True))', ["WB111 d2"]),
        (
            """
            op.execute("UPDATE item SET weight = 1 WHERE weight IS NULL")
            op.add_column("item", sa.Column("other", sa.Integer(), nullable=True))
            """,
            ["WB111 d2"],
        ),
    ],
)
def test_an_empty_downgrade_is_an_error_only_when_the_upgrade_changes_the_schema(
    tmp_path: Path, upgrade: str, expected: list[str]
) -> None:
    root = make_project(
        tmp_path, "dataapp", models=NOTE_MODELS, revisions=[CREATE_ITEM, ("d2", upgrade, "pass")]
    )
    found = lint_revisions(load(root), "dataapp")
    assert [e for e in errors(found) if e.startswith("WB111")] == expected
    if not expected:
        assert any(f.code == "WB112" and f.severity == "warning" for f in found)


def test_rows_changed_by_code_check_cannot_read_are_one_warning_not_errors(
    tmp_path: Path,
) -> None:
    """A revision that inspects the database cannot be read offline: what it means is unknown."""
    root = make_project(
        tmp_path,
        "opaqueapp",
        models=NOTE_MODELS,
        revisions=[
            CREATE_ITEM,
            (
                "o2",
                """
                op.add_column("item", sa.Column("other", sa.Integer(), nullable=True))
                bind = op.get_bind()
                if "log" in sa.inspect(bind).get_table_names():
                    bind.execute(sa.text("UPDATE log SET n = 7"))
                """,
                'op.drop_column("item", "other")',
            ),
        ],
    )
    run = check(load(root), ["opaqueapp"], against=["sqlite"]).runs[0]
    wb220 = [f for f in run.findings if f.code == "WB220"]
    assert [f.severity for f in wb220] == ["warning"]
    assert "log" in wb220[0].message and "could not be read" in wb220[0].message


COMPUTED_MODELS = """
from sqlalchemy import Computed, Identity, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Span(Base):
    __tablename__ = "span"
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    start: Mapped[int] = mapped_column(Integer)
    stop: Mapped[int] = mapped_column(Integer)
    length: Mapped[int | None] = mapped_column(Integer, Computed("stop - start"))
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_computed_and_identity_columns_are_compared_at_head(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Alembic's server-default comparison must not fail on a reflected Computed/Identity."""
    target = "sqlite" if backend == "sqlite" else request.getfixturevalue("postgres_server")
    root = make_project(
        tmp_path,
        "spanapp",
        models=COMPUTED_MODELS,
        revisions=[
            (
                "s1",
                """
                op.create_table(
                    "span",
                    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
                    sa.Column("start", sa.Integer(), nullable=False),
                    sa.Column("stop", sa.Integer(), nullable=False),
                    sa.Column("length", sa.Integer(), sa.Computed("stop - start")),
                )
                """,
                'op.drop_table("span")',
            )
        ],
    )
    run = check(load(root), ["spanapp"], against=[target]).runs[0]
    assert run.checked == 1
    assert not [f for f in run.findings if f.code == "WB210"]


def test_a_table_the_step_visibly_changed_is_touched_even_if_its_operations_hide_it(
    tmp_path: Path,
) -> None:
    """Columns added in a loop over inspected tables: new values in new columns are not WB220."""
    root = make_project(
        tmp_path,
        "loopapp",
        models=NOTE_MODELS.replace(
            "    n: Mapped[int | None] = mapped_column(Integer, nullable=True)\n",
            "    n: Mapped[int | None] = mapped_column(Integer, nullable=True)\n"
            "    other: Mapped[int | None] = mapped_column(Integer, nullable=True)\n",
        ),
        revisions=[
            CREATE_ITEM,
            (
                "w2",
                """
                bind = op.get_bind()
                for table in sorted(sa.inspect(bind).get_table_names()):
                    if table in ("item", "log"):
                        op.add_column(table, sa.Column("other", sa.Integer(), server_default="1"))
                """,
                """
                op.drop_column("log", "other")
                op.drop_column("item", "other")
                """,
            ),
        ],
    )
    run = check(load(root), ["loopapp"], against=["sqlite"]).runs[0]
    assert [f for f in run.findings if f.code == "WB220"] == []


def test_a_custom_version_table_is_never_part_of_the_schema(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from workbench import db
    from workbench import snapshot as snap
    from workbench.migrate import upgrade
    from workbench.seed import seed

    root = make_project(
        tmp_path,
        "vtapp",
        models=PARENT_CHILD,
        revisions=[
            CREATE_PARENT,
            CREATE_CHILD,
            (
                "x3",
                'op.add_column("child", sa.Column("code", sa.Integer(), nullable=True))',
                'op.drop_column("child", "code")',
            ),
        ],
        schema_keys='version_table = "app_revisions"\n',
    )
    cfg = load(root)
    url = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    upgrade(cfg, "vtapp", url=url)
    with db.connect(url) as conn:
        assert "app_revisions" in sa.inspect(conn).get_table_names()
        assert set(snap.take(conn).table_names) == {"parent", "child"}
        assert set(db.reflect(conn).tables) == {"parent", "child"}
    report = seed(cfg, "vtapp", url=url, rows={"*": 3})
    assert {t.table for t in report.tables} == {"parent", "child"}
    run = check(cfg, ["vtapp"], against=["sqlite"]).runs[0]
    assert not [f for f in run.findings if "app_revisions" in f.message]


def test_schemas_lists_every_schema_even_one_whose_models_are_not_declared(
    tmp_path: Path,
) -> None:
    from workbench.migrate import schemas

    root = make_project(tmp_path, "firstapp", models=PARENT_CHILD, revisions=[CREATE_PARENT])
    with (root / "pyproject.toml").open("a", encoding="utf-8") as out:
        out.write('\n[tool.workbench.schema.aaa_nomodels]\nalembic_ini = "alembic.ini"\n')
    listed = {s.name: s for s in schemas(load(root))}
    assert set(listed) == {"aaa_nomodels", "firstapp"}
    assert listed["aaa_nomodels"].error is not None and "models" in listed["aaa_nomodels"].error
    assert listed["firstapp"].error is None and listed["firstapp"].tables == 2


@pytest.mark.parametrize(
    ("prefix", "severity"),
    [
        ("", "error"),
        # The revision that made the column cannot be read offline: its real type is unknown.
        (
            "bind = op.get_bind()\nif sa.inspect(bind).get_table_names() is not None:\n    ",
            "warning",
        ),
    ],
)
def test_a_cast_to_an_enum_is_an_error_only_when_the_old_type_is_known(
    tmp_path: Path, prefix: str, severity: str
) -> None:
    create = (
        'op.create_table("item", sa.Column("id", sa.Integer(), primary_key=True), '
        'sa.Column("kind", sa.String(9)))'
    )
    root = make_project(
        tmp_path,
        "castapp",
        models=NOTE_MODELS,
        revisions=[
            ("k1", prefix + create, 'op.drop_table("item")'),
            (
                "k2",
                """
                op.alter_column("item", "kind", existing_type=sa.VARCHAR(length=9),
                                type_=sa.Enum("A", "B", name="kind"))
                """,
                """
                op.alter_column("item", "kind", existing_type=sa.Enum("A", "B", name="kind"),
                                type_=sa.VARCHAR(length=9), postgresql_using="kind::text")
                """,
            ),
        ],
    )
    found = [f for f in lint_revisions(load(root), "castapp") if f.code == "WB116"]
    assert [(f.revision, f.severity) for f in found] == [("k2", severity)]


@pytest.mark.parametrize(
    ("code_line", "severity"),
    [
        # Made-up text where the app writes JSON: not known to occur in real data.
        ("json.loads(value)", "warning"),
        # The database refuses it on any table with two rows: the revision's defect.
        ('bind.execute(sa.text("INSERT INTO log (id) SELECT 1 FROM item"))', "error"),
    ],
)
def test_a_revision_whose_code_fails_on_seeded_values_is_judged_by_what_it_read(
    tmp_path: Path, code_line: str, severity: str
) -> None:
    root = make_project(
        tmp_path,
        "jsonapp",
        models=NOTE_MODELS.replace("weight: Mapped[int | None]", "weight: Mapped[str | None]"),
        revisions=[
            (
                "j1",
                """
                op.create_table(
                    "item",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("weight", sa.String(50), nullable=True),
                )
                op.create_table(
                    "log",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("n", sa.Integer(), nullable=True),
                )
                """,
                'op.drop_table("log")\nop.drop_table("item")',
            ),
            (
                "j2",
                f"""
                import json
                bind = op.get_bind()
                for (value,) in bind.execute(sa.text("SELECT weight FROM item")).fetchall():
                    {code_line}
                op.add_column("item", sa.Column("other", sa.Integer(), nullable=True))
                """,
                'op.drop_column("item", "other")',
            ),
        ],
    )
    run = check(load(root), ["jsonapp"], against=["sqlite"]).runs[0]
    assert [(f.code, f.revision, f.severity) for f in run.findings if f.code == "WB202"] == [
        ("WB202", "j2", severity)
    ]


def test_init_adopt_finds_the_baseline_the_application_creates_with_create_all(
    tmp_path: Path,
) -> None:
    from workbench.project import adopt

    root = baseline_project(tmp_path, declared=False)
    (root / "pyproject.toml").write_text('[project]\nname = "basedapp"\n', encoding="utf-8")
    write(
        root / "basedapp" / "db.py",
        """
        from basedapp.initial import Base as InitialBase


        def initialize(engine):
            InitialBase.metadata.create_all(engine)
        """,
    )
    result = adopt(root, models="basedapp.models:Base", name="basedapp")
    (schema,) = result.schemas
    assert any("basedapp.initial:Base" in note for note in schema.notes)
    cfg = load(root)
    assert cfg.spec("basedapp").baseline == "basedapp.initial:Base"
    run = check(cfg, ["basedapp"], against=["sqlite"]).runs[0]
    assert errors(run.findings) == [] and run.proven == 3


def test_init_adopt_says_when_the_history_starts_from_tables_it_never_creates(
    tmp_path: Path,
) -> None:
    from workbench.project import adopt

    root = baseline_project(tmp_path, declared=False)
    (root / "pyproject.toml").write_text('[project]\nname = "basedapp"\n', encoding="utf-8")
    result = adopt(root, models="basedapp.models:Base", name="basedapp")
    (schema,) = result.schemas
    assert any("no revision creates (metrics)" in n and "baseline" in n for n in schema.notes)
    assert load(root).spec("basedapp").baseline is None


def test_a_cast_to_the_enum_the_history_already_made_is_not_wb116(tmp_path: Path) -> None:
    """existing_type says VARCHAR (autogenerate ran on SQLite); the history made the enum."""
    root = make_project(
        tmp_path,
        "enumapp",
        models=NOTE_MODELS,
        revisions=[
            (
                "e1",
                """
                op.create_table("item", sa.Column("id", sa.Integer(), primary_key=True),
                                sa.Column("kind", sa.Enum("A", "B", "C", name="kind")))
                """,
                'op.drop_table("item")\nop.execute("DROP TYPE IF EXISTS kind")',
            ),
            (
                "e2",
                """
                op.alter_column("item", "kind", existing_type=sa.VARCHAR(length=1),
                                type_=sa.Enum("A", "B", name="kind"))
                """,
                """
                op.alter_column("item", "kind", existing_type=sa.Enum("A", "B", name="kind"),
                                type_=sa.Enum("A", "B", "C", name="kind"))
                """,
            ),
        ],
    )
    assert [f for f in lint_revisions(load(root), "enumapp") if f.code == "WB116"] == []


def test_generate_replays_a_baseline_history_from_its_baseline(tmp_path: Path) -> None:
    from workbench.migrate import generate

    root = baseline_project(tmp_path, declared=True)
    models = root / "basedapp" / "models.py"
    models.write_text(
        models.read_text(encoding="utf-8").replace(
            "    value: Mapped[str | None] = mapped_column(String(100), nullable=True)\n",
            "    value: Mapped[str | None] = mapped_column(String(100), nullable=True)\n"
            "    extra: Mapped[int | None] = mapped_column(Integer, nullable=True)\n",
        ),
        encoding="utf-8",
    )
    result = generate(load(root), "basedapp", "tags extra", against=["sqlite"])
    assert result.path is not None
    assert len(result.operations) == 1 and "tags.extra" in result.operations[0]


TWICE_NAMED_MODELS = """
from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Artifact(Base):
    __tablename__ = "artifact"
    __table_args__ = (Index("ix_artifact_key", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    label: Mapped[str] = mapped_column(String(40))
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_models_the_database_cannot_create_are_a_finding_beside_the_walk(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """An explicit Index and ``index=True`` both named ix_artifact_key (met in prefect)."""
    target = "sqlite" if backend == "sqlite" else request.getfixturevalue("postgres_server")
    root = make_project(
        tmp_path,
        "twiceapp",
        models=TWICE_NAMED_MODELS,
        revisions=[
            (
                "t1",
                """
                op.create_table(
                    "artifact",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("key", sa.String(40), nullable=False),
                )
                op.create_index("ix_artifact_key", "artifact", ["key"])
                """,
                'op.drop_table("artifact")',
            ),
            (
                "t2",
                'op.add_column("artifact", sa.Column("label", sa.String(40)))',
                'op.drop_column("artifact", "label")',
            ),
        ],
    )
    run = check(load(root), ["twiceapp"], against=[target]).runs[0]
    assert run.checked == 2  # the whole history is walked
    codes = sorted(f.code for f in run.findings if f.severity == "error")
    assert codes == ["WB212"], [f.message for f in run.findings]
    defect = next(f for f in run.findings if f.code == "WB212")
    assert "ix_artifact_key" in defect.message and "models.py" in str(defect.path)
    assert not [f for f in run.findings if f.code in ("WB210", "WB211")]


def test_a_revision_with_an_autocommit_block_and_prints_is_walked_and_json_stays_clean(
    tmp_path: Path,
) -> None:
    """Alembic's autocommit_block() resets the SQLite connection's isolation level, which
    turned pysqlite's implicit transactions back on: the next BEGIN failed ("cannot start a
    transaction within a transaction"); and a revision's print() went into --json's stdout.
    Both met in prefect's history."""
    import json

    from tests.helpers import run

    root = make_project(
        tmp_path,
        "autoapp",
        models=PLAIN_MODELS_FOR_AUTO,
        revisions=[
            (
                "u1",
                """
                op.create_table(
                    "item",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("name", sa.String(40), nullable=False),
                )
                """,
                'op.drop_table("item")',
            ),
            (
                "u2",
                """
                with op.get_context().autocommit_block():
                    op.execute("UPDATE item SET name = name")
                print("Note: items looked at")
                """,
                "pass",
            ),
            (
                "u3",
                """
                op.add_column("item", sa.Column("label", sa.String(40)))
                op.execute("UPDATE item SET label = name")
                """,
                'op.drop_column("item", "label")',
            ),
        ],
    )
    run_ = check(load(root), ["autoapp"], against=["sqlite"]).runs[0]
    assert run_.checked == 3
    assert not [f for f in run_.findings if f.severity == "error" and f.code != "WB112"]
    code, out, err = run(root, "check", "autoapp", "--against", "sqlite", "--json")
    document = json.loads(out)  # the revision's print() went to stderr
    assert document["walked"] == 3 and "Note: items looked at" in err
    assert code == 0, out + err


PLAIN_MODELS_FOR_AUTO = """
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    label: Mapped[str | None] = mapped_column(String(40))
"""


@pytest.mark.parametrize(
    ("statements", "severities"),
    [
        # v1 rows moved into a v2 table by code check cannot read (prefect's 9e83011d1f2a)
        (
            [
                "INSERT INTO new_log (id, n) SELECT id + 1000, n FROM old_log",
                "DELETE FROM old_log",
            ],
            ["warning"],
        ),
        # rows deleted, none come elsewhere: lost whatever the code meant
        (["DELETE FROM old_log"], ["error"]),
    ],
)
def test_rows_moved_by_code_check_cannot_read_are_a_warning_rows_lost_an_error(
    tmp_path: Path, statements: list[str], severities: list[str]
) -> None:
    run_sql = "\n".join(f"    bind.execute(sa.text({s!r}))" for s in statements)
    root = make_project(
        tmp_path,
        "moveapp",
        models=NOTE_MODELS,
        revisions=[
            (
                "m1",
                """
                op.create_table("item", sa.Column("id", sa.Integer(), primary_key=True))
                op.create_table(
                    "old_log",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("n", sa.Integer()),
                )
                op.create_table(
                    "new_log",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("n", sa.Integer()),
                )
                """,
                'op.drop_table("new_log")\nop.drop_table("old_log")\nop.drop_table("item")',
            ),
            (
                "m2",
                'op.add_column("item", sa.Column("other", sa.Integer(), nullable=True))\n'
                "bind = op.get_bind()\n"
                'if "old_log" in sa.inspect(bind).get_table_names():\n' + run_sql,
                'op.drop_column("item", "other")',
            ),
        ],
    )
    run = check(load(root), ["moveapp"], against=["sqlite"]).runs[0]
    up = [f for f in run.findings if f.code == "WB220" and "upgrade" in f.message]
    assert [f.severity for f in up] == severities, [f.message for f in up]
    assert "old_log" in up[0].message


def test_rows_a_revision_deletes_itself_are_a_warning_and_made_up_duplicates_too(
    tmp_path: Path,
) -> None:
    """prefect's 7218aad17905 deletes self-references before adding a CHECK: what its DELETE
    says, not a loss (WB221 warning); a UNIQUE index over made-up duplicates fails on the rows
    check seeded only (WB202 warning); both errors before."""
    root = make_project(
        tmp_path,
        "cleanapp",
        models=NOTE_MODELS,
        revisions=[
            (
                "c1",
                """
                op.create_table(
                    "item",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("weight", sa.Integer(), nullable=True),
                )
                op.create_table(
                    "log",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("n", sa.Integer(), sa.CheckConstraint("n IN (0, 1)"), nullable=False),
                )
                """,
                'op.drop_table("log")\nop.drop_table("item")',
            ),
            (
                "c2",
                """
                op.execute("DELETE FROM item WHERE id % 2 = 0")
                with op.batch_alter_table("item") as batch:
                    batch.create_check_constraint("ck_item_odd", "id % 2 = 1")
                """,
                'with op.batch_alter_table("item") as batch:\n'
                '    batch.drop_constraint("ck_item_odd", type_="check")',
            ),
            (
                "c3",
                'op.create_index("ux_log_n", "log", ["n"], unique=True)',
                'op.drop_index("ux_log_n", "log")',
            ),
        ],
    )
    run = check(load(root), ["cleanapp"], against=["sqlite"]).runs[0]
    assert run.checked == 3
    deleted = [f for f in run.findings if f.code == "WB221"]
    assert [(f.revision, f.severity) for f in deleted] == [("c2", "warning")]
    assert "as its DELETE says" in deleted[0].message
    refused = [f for f in run.findings if f.code == "WB202"]
    assert [(f.revision, f.severity) for f in refused] == [("c3", "warning")]
    assert "made-up values" in refused[0].message


@pytest.mark.postgres
def test_a_percent_psycopg_takes_for_a_placeholder_is_a_warning_naming_the_driver(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """prefect's c8d5f2a71b3e runs format('%I.%I', ...) through exec_driver_sql: psycopg (the
    driver check runs on) refuses it, asyncpg (prefect's) does not."""
    target = request.getfixturevalue("postgres_server")
    root = make_project(
        tmp_path,
        "pctapp",
        models=NOTE_MODELS,
        revisions=[
            CREATE_ITEM,
            (
                "p2",
                """
                op.get_bind().exec_driver_sql("SELECT format('%I', 'item')").first()
                op.add_column("item", sa.Column("other", sa.Integer(), nullable=True))
                """,
                'op.drop_column("item", "other")',
            ),
        ],
        schema_keys='backends = ["postgresql"]\n',
    )
    run = check(load(root), ["pctapp"], against=[target]).runs[0]
    failed = [f for f in run.findings if f.code == "WB202"]
    assert [(f.revision, f.severity) for f in failed] == [("p2", "warning")]
    assert "with psycopg" in failed[0].message
