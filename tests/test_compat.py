"""The private names of Alembic, SQLAlchemy and click that workbench relies on still work.

Each wrapper in ``workbench.compat`` is exercised against the installed versions,
so a release that renames one fails here, by name, rather than in a safety path.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from workbench import compat


def _scripts(tmp_path: Path) -> Any:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    versions = tmp_path / "versions"
    versions.mkdir()
    for rev, down in (("a1", None), ("b2", "a1"), ("c3", "b2")):
        (versions / f"{rev}.py").write_text(
            textwrap.dedent(f"""\
                revision = {rev!r}
                down_revision = {down!r}
                def upgrade(): pass
                def downgrade(): pass
            """)
        )
    ac = AlembicConfig()
    ac.set_main_option("script_location", str(tmp_path))
    (tmp_path / "script.py.mako").write_text("")
    return ScriptDirectory.from_config(ac)


def test_upgrade_and_downgrade_steps_in_order(tmp_path: Path) -> None:
    scripts = _scripts(tmp_path)
    up = compat.upgrade_steps(scripts, "heads", ["a1"])
    assert [(s.revision.revision, s.is_upgrade) for s in up] == [("b2", True), ("c3", True)]
    down = compat.downgrade_steps(scripts, "a1", ["c3"])
    assert [(s.revision.revision, s.is_upgrade) for s in down] == [("c3", False), ("b2", False)]


def test_the_revision_loader_reads_every_revision(tmp_path: Path) -> None:
    scripts = _scripts(tmp_path)
    assert sorted(s.revision for s in compat.revision_loader(scripts)()) == ["a1", "b2", "c3"]
    with pytest.raises(compat.CompatError, match="_load_revisions"):
        compat.revision_loader(object())


def test_a_missing_private_name_is_a_clear_error() -> None:
    with pytest.raises(compat.CompatError, match="_upgrade_revs"):
        compat.upgrade_steps(object(), "heads", [])
    with pytest.raises(compat.CompatError, match="_copy"):
        compat.copy_column(object())
    with pytest.raises(compat.CompatError, match="_reflect_type"):
        compat.pg_reflect_type(object(), "integer", {}, "column 'c'", None, None)

    class Dialect:
        identifier_preparer = object()

    with pytest.raises(compat.CompatError, match="_parse_fk"):
        compat.pg_parse_foreign_key(Dialect(), "FOREIGN KEY (a) REFERENCES p(id)")


def test_the_op_proxy_forwards_to_our_operations() -> None:
    from alembic import op
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    class Mine(Operations):
        pass

    compat.share_op_registrations(Mine, Operations)
    operations = Mine(MigrationContext.configure(dialect_name="sqlite"))
    compat.install_op_proxy(operations)
    try:
        assert op.get_context() is operations.migration_context
    finally:
        compat.remove_op_proxy(operations)
    with pytest.raises((NameError, AttributeError)):
        op.get_context()


def test_batch_impl_names_its_table() -> None:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    operations = Operations(MigrationContext.configure(dialect_name="sqlite"))
    impl = compat.batch_impl(operations, "posts", None, "auto", {})
    assert impl.table_name == "posts"


def test_foreign_key_targets_and_pending_columns_before_binding() -> None:
    fk = sa.ForeignKeyConstraint(["user_id"], ["users.id"])
    assert [compat.fk_target_text(e) for e in fk.elements] == ["users.id"]
    assert compat.pending_column_names(fk) == ["user_id"]
    assert compat.pending_column_names(sa.UniqueConstraint("a", "b")) == ["a", "b"]


@pytest.mark.parametrize(
    ("type_", "affinity"),
    [(sa.String(20), sa.String), (sa.BigInteger(), sa.Integer), (sa.DateTime(), sa.DateTime)],
)
def test_type_affinity(type_: Any, affinity: type[Any]) -> None:
    assert compat.type_affinity(type_) is affinity


def test_copy_column_is_unattached() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer, nullable=False))
    copy = compat.copy_column(table.c.a)
    assert copy.name == "a" and copy.nullable is False and copy is not table.c.a


def test_command_line_rest_reads_what_click_has_not_parsed() -> None:
    import click

    @click.group()
    def group() -> None:
        pass

    @group.command()
    @click.option("--json", is_flag=True)
    def sub(json: bool) -> None:
        pass

    ctx = group.make_context("workbench", ["sub", "--json"])
    assert compat.command_line_rest(ctx) == ["sub", "--json"]


def test_plain_cli_parameters_are_coerced_without_pydantic(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = textwrap.dedent("""\
        import sys
        from pathlib import Path
        from typing import Annotated
        from workbench.cli._typer_compat import plain_cli_coercion
        assert plain_cli_coercion()
        import typer
        from typer.testing import CliRunner
        app = typer.Typer()
        @app.command()
        def go(
            name: str,
            rows: Annotated[int, typer.Option()] = 1,
            tag: Annotated[list[str] | None, typer.Option()] = None,
            out: Annotated[Path | None, typer.Option(dir_okay=False)] = None,
            yes: Annotated[bool, typer.Option("--yes")] = False,
        ) -> None:
            print(repr((name, rows, tag, out, yes)))
        runner = CliRunner()
        ok = runner.invoke(app, ["blog", "--rows", "7", "--tag", "a", "--tag", "b",
                                 "--out", "x.svg", "--yes"])
        assert ok.exit_code == 0, ok.output
        assert ok.output.strip() == repr(("blog", 7, ["a", "b"], Path("x.svg"), True))
        bad = runner.invoke(app, ["blog", "--rows", "many"])
        assert bad.exit_code == 2 and "'many' is not an integer" in bad.output, bad.output
        assert "pydantic" not in sys.modules
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr + done.stdout


def test_forget_created_types_clears_the_ddl_runner_memo(tmp_path: Path) -> None:
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        context.impl.memo["pg_enum"] = {"rating"}
        compat.forget_created_types(context)
        assert context.impl.memo == {}
    with pytest.raises(compat.CompatError, match="memo"):
        compat.forget_created_types(object())


def test_pg_reflect_type_reads_format_type_text() -> None:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    enums: dict[tuple[str, ...], dict[str, Any]] = {
        ("mood",): {"name": "mood", "schema": "public", "visible": True, "labels": ["a"]}
    }

    def text(format_type: str, collation: str | None = None) -> str:
        type_ = compat.pg_reflect_type(dialect, format_type, enums, "column 'c'", collation, None)
        return str(type_.compile(dialect=dialect))

    assert text("character varying(20)") == "VARCHAR(20)"
    assert text("numeric(10,2)") == "NUMERIC(10, 2)"
    assert text("timestamp with time zone") == "TIMESTAMP WITH TIME ZONE"
    assert text("integer[]") == "INTEGER[]"
    assert text("mood") == "mood"
    assert text("text", "C") == 'TEXT COLLATE "C"'


def test_pg_reflect_type_speaks_sqlalchemy_2_0s_signature() -> None:
    """SQLAlchemy 2.0 (allowed by the bounds) takes domains and enums apart, no collation schema."""
    calls: list[tuple[Any, ...]] = []

    class Dialect20:
        def _reflect_type(
            self,
            format_type: str | None,
            domains: dict[str, Any],
            enums: dict[str, Any],
            type_description: str,
            collation: str | None,
        ) -> str:
            calls.append((format_type, domains, enums, type_description, collation))
            return "reflected"

    enums: dict[tuple[str, ...], dict[str, Any]] = {("mood",): {"name": "mood"}}
    found = compat.pg_reflect_type(Dialect20(), "text", enums, "column 'c'", "C", "sales")
    assert found == "reflected"
    assert calls == [("text", {}, enums, "column 'c'", "C")]


def test_pg_parse_foreign_key_reads_constraint_text() -> None:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    found = compat.pg_parse_foreign_key(
        dialect,
        'FOREIGN KEY ("Parent Id", b) REFERENCES sales.parents(id, "B") '
        "ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED",
    )
    assert found == (
        ["Parent Id", "b"],
        "parents",
        ["id", "B"],
        {
            "onupdate": "CASCADE",
            "ondelete": "SET NULL",
            "deferrable": True,
            "initially": "DEFERRED",
        },
    )
    plain = compat.pg_parse_foreign_key(dialect, "FOREIGN KEY (a) REFERENCES p(id)")
    assert plain == (["a"], "p", ["id"], {})


def test_sqlite_engines_keep_explicit_transactions_after_an_isolation_level_is_set(
    tmp_path: Path,
) -> None:
    from workbench import db

    engine = db.create_engine(f"sqlite:///{tmp_path / 'iso.db'}")
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.commit()
            engine.dialect.set_isolation_level(raw, "SERIALIZABLE")
            assert raw.isolation_level is None
            raw.execute("INSERT INTO t VALUES (1)")
            assert not raw.in_transaction  # pysqlite would otherwise have begun on its own
    finally:
        engine.dispose()
