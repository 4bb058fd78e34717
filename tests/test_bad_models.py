"""Broken models, every command: one clear error naming the problem and the user's file.

A table of broken model modules (foreign keys to a missing table, column or a
non-key, names the database sees twice, a module that raises or exits at
import, a missing package, a model without a primary key, column types a
supported backend cannot create) crossed with every command. A command that
reads the models ends in exit 2 with one paragraph that names the problem and
the schema module (with the line, where one line declares it), no traceback, no
"bug in workbench", and no file or database changed. A command that never reads
the models (history, current, status, upgrade, downgrade, lint, squash work
on the revisions alone) does its job as if the models were fine: broken models
must not stop a deploy of reviewed revisions.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.helpers import invoke, runner
from workbench.cli import app
from workbench.config import load

GOOD = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
"""

A1 = '''
"""users"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )


def downgrade() -> None:
    op.drop_table("users")
'''

B2 = '''
"""notes"""
import sqlalchemy as sa
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_notes_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )


def downgrade() -> None:
    op.drop_table("notes")
'''

OTHER = """
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("items", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


@dataclass(frozen=True)
class Broken:
    name: str
    source: str
    """Appended to the good models (or, with ``whole``, the whole module)."""
    message: str
    """A regex the error must match: it names the problem."""
    line_holds: str | None = None
    """When the error names ``schemas/s.py:LINE``, that line holds this text."""
    whole: bool = False


BROKEN = [
    Broken(
        "fk-to-missing-table",
        """
        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            owner_id: Mapped[int] = mapped_column(sa.ForeignKey("nosuch.id"))
        """,
        r"things\.owner_id has a foreign key to table 'nosuch' \('nosuch\.id'\), which the "
        r"schema does not declare",
        '"nosuch.id"',
    ),
    Broken(
        "fk-to-missing-table-typo",
        """
        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
        """,
        r"foreign key to table 'user' .*Did you mean 'users'\?",
        '"user.id"',
    ),
    Broken(
        "fk-to-missing-column",
        """
        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.uid"))
        """,
        r"'users\.uid', but table 'users' has no column 'uid' \(its columns: id\)",
        '"users.uid"',
    ),
    Broken(
        "fk-to-a-column-that-is-no-key",
        """
        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            author: Mapped[int] = mapped_column(sa.ForeignKey("notes.user_id"))
        """,
        r"things\.author has a foreign key to notes\.user_id, but \(user_id\) is neither the "
        r"primary key nor UNIQUE in table 'notes'",
        '"notes.user_id"',
    ),
    Broken(
        "fk-to-a-table-without-primary-key",
        """
        keyless = sa.Table("keyless", Base.metadata, sa.Column("code", sa.String(10)))


        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            code: Mapped[str] = mapped_column(sa.ForeignKey("keyless.code"))
        """,
        r"neither the primary key nor UNIQUE in table 'keyless' \(it has no primary key\)",
        '"keyless.code"',
    ),
    Broken(
        "model-without-primary-key",
        """
        class Thing(Base):
            __tablename__ = "things"
            name: Mapped[str] = mapped_column(sa.String(20))
        """,
        r"could not assemble any primary key columns",
        "class Thing",
    ),
    Broken(
        "duplicate-table-name",
        """
        class Thing(Base):
            __tablename__ = "notes"
            id: Mapped[int] = mapped_column(primary_key=True)
        """,
        r"Table 'notes' is already defined",
        "class Thing",
    ),
    Broken(
        "table-names-equal-but-for-case",
        """
        class Shouty(Base):
            __tablename__ = "USERS"
            id: Mapped[int] = mapped_column(primary_key=True)
        """,
        r"the tables 'users' and 'USERS' are one name to SQLite "
        r"\(SQLite ignores the case of names\)",
        '"USERS"',
    ),
    Broken(
        "one-index-name-on-two-tables",
        """
        sa.Index("ix_by_id", User.id)
        sa.Index("ix_by_id", Note.id)
        """,
        r"two indexes are named 'ix_by_id': that is one name to",
        '"ix_by_id"',
    ),
    Broken(
        "names-equal-in-postgresqls-63-bytes",
        """
        class Long1(Base):
            __tablename__ = "t" * 63 + "_one"
            id: Mapped[int] = mapped_column(primary_key=True)


        class Long2(Base):
            __tablename__ = "t" * 63 + "_two"
            id: Mapped[int] = mapped_column(primary_key=True)
        """,
        r"are one name to PostgreSQL \(PostgreSQL keeps only the first 63 bytes of a name\)",
    ),
    Broken(
        "raises-at-import",
        """
        raise RuntimeError("the settings file is missing")
        """,
        r"RuntimeError: the settings file is missing",
        "raise RuntimeError",
    ),
    Broken(
        "calls-sys-exit",
        """
        import sys

        sys.exit(3)
        """,
        r"called sys\.exit\(3\)",
        "sys.exit(3)",
    ),
    Broken(
        "imports-a-missing-package",
        "import no_such_package_wb\n" + GOOD,
        r"No module named 'no_such_package_wb'\. The schema module imports it, but the package "
        r"'no_such_package_wb' is not installed here",
        "import no_such_package_wb",
        whole=True,
    ),
    Broken(
        "type-no-backend-compiles",
        """
        from sqlalchemy.types import UserDefinedType


        class Point(UserDefinedType):
            cache_ok = True


        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            at = mapped_column(Point())
        """,
        r"things\.at has type Point, which neither SQLite nor PostgreSQL can create",
        "at = mapped_column(Point())",
    ),
    Broken(
        "type-postgresql-only-in-a-schema-that-supports-sqlite",
        """
        from sqlalchemy.dialects.postgresql import TSVECTOR


        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            words = mapped_column(TSVECTOR())
        """,
        r"things\.words has type TSVECTOR, which SQLite cannot create.*backends = "
        r"\[\"postgresql\"\]",
        "words = mapped_column(TSVECTOR())",
    ),
    Broken(
        "type-of-another-database",
        """
        from sqlalchemy.dialects.mysql import TINYINT


        class Thing(Base):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            flag = mapped_column(TINYINT())
        """,
        r"things\.flag has type TINYINT, which neither SQLite nor PostgreSQL can create",
        "flag = mapped_column(TINYINT())",
    ),
]


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    reads_models: bool


COMMANDS = [
    Command("schemas", ("schemas",), True),
    Command("history", ("history", "s"), False),
    Command("current", ("current", "s"), False),
    Command("status", ("status", "s"), False),
    Command("upgrade", ("upgrade", "s"), False),
    Command("downgrade", ("downgrade", "s", "--yes"), False),
    Command("lint", ("lint", "s"), False),
    Command("squash", ("squash", "s", "--to", "b2"), False),
    Command("generate", ("generate", "s", "-m", "more"), True),
    Command("check", ("check", "s"), True),
    Command("diagram", ("diagram", "s"), True),
    Command("seed", ("seed", "s", "--rows", "3"), True),
    Command("advise", ("advise", "s"), True),
    Command("advise-queries", ("advise", "s", "--queries", "q.sql", "--rows", "20"), True),
    Command("generate-json", ("generate", "s", "-m", "more", "--json"), True),
]


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _project(project: Project, broken: Broken) -> Project:
    project.write_schema("s", GOOD)
    project.write_schema("other", OTHER)
    project.write_revision("s", "a1_users.py", A1)
    project.write_revision("s", "b2_notes.py", B2)
    (project.root / "q.sql").write_text("SELECT * FROM notes WHERE user_id = 3;\n")
    # The target is at head before the models break: current, status, downgrade and seed
    # have something to read.
    upgraded = invoke(project, "upgrade", "s")
    assert upgraded.exit_code == 0, upgraded.output
    source = textwrap.dedent(broken.source).lstrip()
    project.write_schema("s", source if broken.whole else GOOD + "\n\n" + source)
    return project


def _names_the_line(output: str, broken: Broken, root: Path) -> None:
    found = re.search(r"schemas/s\.py(?::(\d+))?", output)
    assert found, f"the error does not name the schema module: {output}"
    if broken.line_holds is not None:
        assert found.group(1), f"no line named: {output}"
        lines = (root / "schemas" / "s.py").read_text(encoding="utf-8").splitlines()
        assert broken.line_holds in lines[int(found.group(1)) - 1], output


DEFECTS = (
    "table-names-equal-but-for-case",
    "one-index-name-on-two-tables",
    "names-equal-in-postgresqls-63-bytes",
    "type-no-backend-compiles",
    "type-postgresql-only-in-a-schema-that-supports-sqlite",
    "type-of-another-database",
)
"""Models that import but that a supported backend cannot create (``ModelDefect``)."""
UNREAD = ("fk-to-missing-table", "calls-sys-exit", "type-no-backend-compiles")
"""Commands that never read the models are shown unaffected by these few (they cost a real
upgrade, downgrade or squash each); every broken model meets every command that reads them."""
PAIRS = [
    (broken, command)
    for broken in BROKEN
    for command in COMMANDS
    if command.reads_models or broken.name in UNREAD
]


@pytest.mark.parametrize(("broken", "command"), PAIRS, ids=[f"{b.name}-{c.name}" for b, c in PAIRS])
def test_a_broken_model_is_one_clear_error_in_every_command(
    project: Project, broken: Broken, command: Command
) -> None:
    root = _project(project, broken).root
    before = _tree(root)
    result = invoke(root, *command.args)
    output = result.output
    assert "Traceback" not in output and "internal error" not in output, output
    assert "bug in workbench" not in output, output
    if command.name == "schemas":
        # The listing goes on: the broken schema is listed with what is wrong with it.
        assert result.exit_code == 0, output
        assert re.search(r"^other\s+1\s", output, re.M), output
        assert re.search(broken.message, " ".join(output.split()), re.S), output
        _names_the_line(output, broken, root)
        assert _tree(root) == before
    elif command.name == "check" and broken.name in DEFECTS:
        # check reports models that import but cannot be created as a finding (WB212)
        # beside its walk of the history, which does not need them.
        assert result.exit_code == 1, output
        assert "WB212" in output and re.search(broken.message, " ".join(output.split())), output
        _names_the_line(output, broken, root)
        assert _tree(root) == before, "a file or the database changed"
    elif command.reads_models:
        assert result.exit_code == 2, output
        if command.args[-1] == "--json":
            document = json.loads(result.stdout)
            assert document["ok"] is False
            assert re.search(broken.message, document["error"], re.S), document
        else:
            assert output.startswith("Error: ") and output.count("\n") == 1, output
        assert re.search(broken.message, output, re.S), output
        _names_the_line(output, broken, root)
        assert _tree(root) == before, "a file or the database changed"
    else:
        assert result.exit_code == 0, output
        assert "schemas/s.py" not in output, output


def test_schemas_json_lists_the_broken_one_with_its_error(project: Project) -> None:
    root = _project(project, BROKEN[0]).root
    result = invoke(root, "schemas", "--json")
    assert result.exit_code == 0, result.output
    listed = {s["name"]: s for s in json.loads(result.stdout)["schemas"]}
    assert set(listed) == {"other", "s"}
    assert "table 'nosuch'" in listed["s"]["error"] and listed["other"]["error"] is None


def _declare_backends(project: Project, schema: str, backends: list[str]) -> None:
    path = project.root / "pyproject.toml"
    listed = ", ".join(f'"{b}"' for b in backends)
    path.write_text(
        path.read_text(encoding="utf-8")
        + f"\n[tool.workbench.schema.{schema}]\nbackends = [{listed}]\n",
        encoding="utf-8",
    )


def test_a_postgresql_type_is_fine_in_a_schema_that_runs_on_postgresql_only(
    project: Project,
) -> None:
    from workbench.loader import load_schema

    tsvector = next(b for b in BROKEN if b.name.startswith("type-postgresql-only"))
    _project(project, tsvector)
    with pytest.raises(Exception, match="SQLite cannot create"):
        load_schema(load(project.root), "s")
    _declare_backends(project, "s", ["postgresql"])
    assert "things" in load_schema(load(project.root), "s").metadata.tables


def test_names_that_differ_in_case_are_fine_where_sqlite_is_not_supported(
    project: Project,
) -> None:
    from workbench.loader import load_schema

    case = next(b for b in BROKEN if b.name == "table-names-equal-but-for-case")
    _project(project, case)
    _declare_backends(project, "s", ["postgresql"])
    assert {"users", "USERS"} <= set(load_schema(load(project.root), "s").metadata.tables)


def test_a_foreign_key_to_a_unique_column_or_a_unique_index_is_a_key(project: Project) -> None:
    from workbench.loader import load_schema

    project.write_schema(
        "s",
        GOOD
        + """

class Code(Base):
    __tablename__ = "codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    a: Mapped[int]
    b: Mapped[int]
    __table_args__ = (sa.Index("ix_codes_a_b", "a", "b", unique=True),)


class Use(Base):
    __tablename__ = "uses"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.ForeignKey("codes.code"))
    a: Mapped[int]
    b: Mapped[int]
    __table_args__ = (sa.ForeignKeyConstraint(["b", "a"], ["codes.b", "codes.a"]),)
""",
    )
    assert "uses" in load_schema(load(project.root), "s").metadata.tables


AHEAD = """

class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(20))
"""


@pytest.mark.parametrize("command", ["seed", "advise"])
def test_models_ahead_of_the_history_are_a_clear_error_on_each_backend(
    project: Project, target_url: str, command: str
) -> None:
    """The target (or the proof's scratch database) is at head, and the models are ahead."""
    project.write_schema("s", GOOD)
    project.write_revision("s", "a1_users.py", A1)
    project.write_revision("s", "b2_notes.py", B2)
    root = ["--project", str(project.root)]
    assert runner.invoke(app, [*root, "upgrade", "s", "--url", target_url]).exit_code == 0
    project.write_schema("s", GOOD + AHEAD)
    (project.root / "q.sql").write_text("SELECT * FROM notes WHERE user_id = 3;\n")
    before = _tree(project.root)
    if command == "seed":
        args = ["seed", "s", "--rows", "2", "--url", target_url]
    else:
        server = "sqlite" if target_url.startswith("sqlite") else target_url
        args = ["advise", "s", "--queries", "q.sql", "--rows", "20", "--against", server]
    result = runner.invoke(app, [*root, *args])
    assert result.exit_code == 2, result.output
    assert "the models are ahead of its history: no revision creates table tags" in result.output
    assert "generate s -m MESSAGE" in result.output and "bug in workbench" not in result.output
    assert _tree(project.root) == before
    if command == "seed":
        import sqlalchemy as sa

        from workbench import db

        with db.connect(target_url) as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 0


def test_an_adopted_models_foreign_key_to_a_missing_table_names_their_file(
    tmp_path: Path,
) -> None:
    from tests.test_adopt import make_app

    root = make_app(
        tmp_path / "app",
        "plainapp",
        imports="from {package}.models import Base",
        target="Base.metadata",
        sentinel_url=f"sqlite:///{tmp_path / 'app' / 'sentinel.sqlite3'}",
    )
    assert runner.invoke(app, ["init", str(root), "--adopt"]).exit_code == 0
    models = root / "plainapp" / "models.py"
    models.write_text(
        models.read_text()
        + "\n\nclass Gadget(Base):\n"
        + '    __tablename__ = "gadgets"\n'
        + "    id = sa.Column(sa.Integer, primary_key=True)\n"
        + '    maker_id = sa.Column(sa.Integer, sa.ForeignKey("makers.id"))\n'
    )
    before = _tree(root)
    for args in (("diagram", "heroes", "--format", "mermaid"), ("advise", "heroes")):
        result = invoke(root, *args)
        assert result.exit_code == 2, result.output
        assert re.search(
            r"plainapp/models\.py:\d+: column gadgets\.maker_id has a foreign key to table "
            r"'makers'",
            result.output,
        ), result.output
        assert "bug in workbench" not in result.output
    assert _tree(root) == before
