"""The command line: exit codes, messages, --json, --traceback, init, and help for everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from tests.conftest import REPO, Project
from tests.helpers import invoke, run, runner
from workbench.cli import app
from workbench.errors import WorkbenchError


def test_the_spine_through_the_cli(blog: Project) -> None:
    code, out, _ = run(blog, "upgrade", "blog")
    assert code == 0 and "up   7b192ac1fbac  initial" in out and "is now at 7b192ac1fbac" in out
    code, out, _ = run(blog, "current", "blog", "--json")
    assert code == 0
    assert {k: json.loads(out)[k] for k in ("revision", "head")} == {
        "revision": "7b192ac1fbac",
        "head": "7b192ac1fbac",
    }
    code, out, _ = run(blog, "history", "blog")
    assert code == 0 and "base -> 7b192ac1fbac  initial  (head)" in out
    code, out, _ = run(blog, "downgrade", "blog", "base", "--yes")
    assert code == 0 and "is now at base (empty)" in out
    code, out, _ = run(blog, "generate", "blog", "-m", "nothing")
    assert code == 0 and "blog: no changes; nothing written." in out
    code, out, _ = run(blog, "schemas", "--json")
    assert code == 0 and json.loads(out)["schemas"][0]["name"] == "blog"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("upgrade", "nope"), "unknown schema 'nope'"),
        (("upgrade", "blog", "zzz"), "no revision 'zzz'"),
        (("upgrade", "blog", "--url", "not a url"), "is not a database URL"),
        (("upgrade", "blog", "--url", "postgresql://u:s3cret@127.0.0.1:1/db"), "cannot connect"),
        (("current", "blog", "--url", "mysql://x/y"), "cannot use"),
    ],
)
def test_bad_input_is_one_paragraph_and_exit_2(
    blog: Project, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(blog, *args)
    assert code == 2
    assert err.startswith("Error: ") and message in err
    assert "Traceback" not in err + out and "s3cret" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_json_errors_are_a_json_document(blog: Project) -> None:
    code, out, _ = run(blog, "current", "nope", "--json")
    assert code == 2
    document = json.loads(out)
    assert document["ok"] is False and "unknown schema 'nope'" in document["error"]


def test_traceback_flag_reraises(blog: Project) -> None:
    result = invoke(blog, "--traceback", "upgrade", "nope")
    assert isinstance(result.exception, WorkbenchError)


def test_a_broken_schema_module_is_file_line_and_writes_nothing(project: Project) -> None:
    project.write_schema("bad", "from sqlalchemy import MetaData\nx = (\n")
    code, _, err = run(project, "generate", "bad", "-m", "initial")
    assert code == 2 and "schemas/bad.py:2" in err and "Traceback" not in err
    assert not (project.root / "migrations" / "bad").exists()


def test_usage_errors_exit_2(blog: Project) -> None:
    code, _, err = run(blog, "generate", "blog")
    assert code == 2 and "Missing option" in err


def test_no_project_says_to_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["schemas"])
    assert result.exit_code == 2 and "workbench init" in result.stderr


def test_init_makes_a_working_project_and_twice_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    first = runner.invoke(app, ["init", str(root)])
    assert first.exit_code == 0
    for name in ("pyproject.toml", "schemas/example.py", "migrations", "diagrams", ".gitignore"):
        assert (root / name).exists(), name
    assert ".workbench/" in (root / ".gitignore").read_text().splitlines()
    (root / "schemas" / "example.py").write_text(
        (root / "schemas" / "example.py").read_text() + "# mine\n"
    )
    second = runner.invoke(app, ["init", str(root)])
    assert second.exit_code == 0 and "created" not in second.stdout
    assert (root / "schemas" / "example.py").read_text().endswith("# mine\n")
    assert (root / "pyproject.toml").read_text().count("[tool.workbench]") == 1
    # The example is a working schema: it generates, applies and round-trips.
    assert (
        runner.invoke(
            app, ["--project", str(root), "generate", "example", "-m", "initial"]
        ).exit_code
        == 0
    )
    assert invoke(root, "upgrade", "example").exit_code == 0
    assert (
        runner.invoke(
            app, ["--project", str(root), "downgrade", "example", "base", "--yes"]
        ).exit_code
        == 0
    )


def test_init_adds_the_table_to_an_existing_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (tmp_path / ".gitignore").write_text("*.pyc")
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "app"\n') and "[tool.workbench]" in text
    assert (tmp_path / ".gitignore").read_text().splitlines()[0] == "*.pyc"


def test_python_dash_m_workbench_and_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("workbench ")


def _console_script(*args: str, cwd: Path | None = None, every_command: bool = False) -> str:
    """What ``python -m workbench ARGS`` prints (``every_command``: with all commands built)."""
    code = "from workbench.cli import main; main()"
    if every_command:
        code = "from workbench.cli import app; app(prog_name='workbench')"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "100"},
    )
    return f"{done.returncode}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize(
    "args",
    [
        ("upgrade", "--help"),
        ("--traceback", "downgrade", "-h"),
        ("current", "--help"),
        ("upgrade",),
    ],
)
def test_a_command_built_alone_says_what_the_whole_app_says(args: tuple[str, ...]) -> None:
    """``upgrade``, ``downgrade`` and ``current`` build only their own command."""
    alone = _console_script(*args)
    assert alone == _console_script(*args, every_command=True)
    assert "Usage: workbench" in alone


def test_a_command_built_alone_still_carries_url_into_other_commands(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    out = _console_script("upgrade", "example", "--url", "sqlite:///x.db", cwd=tmp_path)
    hint = "`workbench generate example -m 'initial' --url sqlite:///x.db`"
    assert out.startswith("2\n") and hint in out


# --- status: what is pending on a target ----------------------------------------------------

DROP_NAME = '''
"""drop users.name

Revision ID: c0ffee000001
Revises: 7b192ac1fbac
"""
import sqlalchemy as sa
from alembic import op

revision = "c0ffee000001"
down_revision = "7b192ac1fbac"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("name")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(100), nullable=True))
'''


def _insert_users(url: str, count: int) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for n in range(count):
            conn.execute(
                sa.text("INSERT INTO users (email, name) VALUES (:e, :n)"),
                {"e": f"u{n}@example.com", "n": f"user {n}"},
            )
    engine.dispose()


def test_status_lists_pending_revisions_and_does_not_create_the_target(blog: Project) -> None:
    code, out, _ = run(blog, "status", "blog")
    assert code == 0, out
    assert "not created yet; 1 revision pending" in out and "7b192ac1fbac  initial" in out
    assert "create table users" in out
    assert not (blog.root / ".workbench" / "blog.sqlite3").exists()
    run(blog, "upgrade", "blog")
    code, out, _ = run(blog, "status", "blog", "--json")
    document = json.loads(out)
    assert code == 0 and document["ok"] is True
    assert document["current"] == "7b192ac1fbac" and document["pending"] == []


def test_status_counts_what_pending_revisions_destroy_on_this_target(
    blog: Project, tmp_path: Path
) -> None:
    url = f"sqlite:///{(tmp_path / 'other.db').as_posix()}"
    assert run(blog, "upgrade", "blog", "--url", url)[0] == 0
    _insert_users(url, 3)
    blog.write_revision("blog", "c0ffee000001_drop_name.py", DROP_NAME)
    code, out, _ = run(blog, "status", "blog", "--url", url)
    assert code == 1, out
    assert "1 revision pending" in out and "c0ffee000001  drop users.name" in out
    assert "drop column users.name" in out
    assert "drops column users.name holding 3 non-null values" in out and "predicted" in out
    assert f"--url {url}" not in out  # not ok: no "apply with" line
    code, out, _ = run(blog, "status", "blog", "--url", url, "--json")
    document = json.loads(out)
    assert code == 1 and document["ok"] is False and document["guard"] == "predicted"
    assert [d["rows"] for d in document["destructive"]] == [3]
    assert [f["revision"] for f in document["findings"]] == ["c0ffee000001"]
    # Nothing ran: the target is where it was, its column still there.
    assert json.loads(run(blog, "current", "blog", "--url", url, "--json")[1])["revision"] == (
        "7b192ac1fbac"
    )
    # The default target is empty: the same revision destroys nothing there.
    run(blog, "upgrade", "blog", "7b192ac1fbac")
    code, out, _ = run(blog, "status", "blog")
    assert code == 0 and "holding" not in out and "destroys nothing" in out


def test_status_exits_1_on_a_lint_error_in_a_pending_revision(blog: Project) -> None:
    blog.write_revision(
        "blog",
        "c0ffee000002_add_nn.py",
        DROP_NAME.replace("drop users.name", "add users.nick")
        .replace("c0ffee000001", "c0ffee000002")
        .replace(
            'batch_op.drop_column("name")',
            'batch_op.add_column(sa.Column("nick", sa.String(20), nullable=False))',
        )
        .replace(
            'batch_op.add_column(sa.Column("name", sa.String(100), nullable=True))',
            'batch_op.drop_column("nick")',
        ),
    )
    code, out, _ = run(blog, "status", "blog", "--json")
    document = json.loads(out)
    assert code == 1 and document["destructive"] == []
    assert any(
        f["severity"] == "error" and f["revision"] == "c0ffee000002" for f in document["findings"]
    )


def test_status_of_every_schema(examples: Project) -> None:
    code, out, _ = run(examples, "status")
    assert code == 0
    for name in ("blog", "products", "student_course"):
        assert f"{name}: .workbench/{name}.sqlite3 is not created yet" in out


# --- generate: rewriting the newest revision, and known risks without a terminal -----------

NICK = "    name: str = Field(max_length=100)\n"


def _rename_name_to_full_name(blog: Project, *, view_count: bool = False) -> None:
    path = blog.root / "schemas" / "blog.py"
    text = path.read_text()
    new = "    full_name: str = Field(max_length=100)\n" + ("    view_count: int\n" * view_count)
    path.write_text(text.replace(NICK, new, 1))


def test_generate_without_a_terminal_does_not_write_a_likely_rename(blog: Project) -> None:
    _rename_name_to_full_name(blog)
    code, out, _ = run(blog, "generate", "blog", "-m", "full name")
    assert code == 1, out
    assert "not written" in out and "look alike" in out
    assert (
        f"`workbench --project {blog.root} generate blog -m 'full name' "
        "--rename users.name=full_name`" in out
    )
    assert "--accept`" in out
    assert len(blog.versions("blog")) == 1
    code, out, _ = run(blog, "generate", "blog", "-m", "full name", "--json")
    document = json.loads(out)
    assert code == 1 and document["refused"] is True and document["path"] is None
    assert document["fixes"] == ["--rename users.name=full_name"]
    assert len(blog.versions("blog")) == 1


def test_generate_without_a_terminal_does_not_write_not_null_without_a_value(
    blog: Project,
) -> None:
    path = blog.root / "schemas" / "blog.py"
    path.write_text(path.read_text().replace(NICK, NICK + "    view_count: int\n", 1))
    code, out, _ = run(blog, "generate", "blog", "-m", "views")
    assert code == 1 and "--backfill users.view_count=SQL_EXPRESSION" in out
    assert len(blog.versions("blog")) == 1
    code, out, _ = run(blog, "generate", "blog", "-m", "views", "--backfill", "users.view_count=0")
    assert code == 0 and "wrote revision" in out
    # The summary of the backfill is cut between words, not inside one.
    assert "IS NU\n" not in out and '"view_count" IS ...' in out


def test_generate_accept_then_replace_with_the_fix(blog: Project, tmp_path: Path) -> None:
    _rename_name_to_full_name(blog, view_count=True)
    code, out, _ = run(blog, "generate", "blog", "-m", "full name", "--accept")
    assert code == 0 and "wrote revision" in out
    first = blog.versions("blog")[-1]
    # The warning says exactly what to run to rewrite it; a rename settles its backfills.
    assert (
        "--replace -m 'full name' --rename users.name=full_name "
        "--backfill users.view_count=SQL_EXPRESSION`" in out
    )
    assert "--backfill users.full_name" not in out.split("To rewrite")[1]
    # Without --replace, the flag matches nothing (the change is in the history): the
    # error says to replace the newest revision.
    code, _, err = run(
        blog, "generate", "blog", "-m", "x", "--rename", "users.name=full_name",
        "--backfill", "users.view_count=0",
    )  # fmt: skip
    assert code == 2 and "--replace" in err and first.stem.split("_")[3] in err
    # Applied to a target: refused, with the downgrade to run first, on that target.
    url = f"sqlite:///{(tmp_path / 'other.db').as_posix()}"
    assert run(blog, "upgrade", "blog", "--url", url)[0] == 0
    code, _, err = run(
        blog, "generate", "blog", "-m", "full name", "--replace", "--url", url,
        "--rename", "users.name=full_name", "--backfill", "users.view_count=0",
    )  # fmt: skip
    assert code == 2 and "is applied to" in err
    assert f"`workbench --project {blog.root} downgrade blog -1 --url {url}`" in err
    assert blog.versions("blog")[-1] == first and first.exists()
    # Not applied to the default target: rewritten in place of the newest.
    code, out, _ = run(
        blog, "generate", "blog", "-m", "full name", "--replace",
        "--rename", "users.name=full_name", "--backfill", "users.view_count=0",
    )  # fmt: skip
    assert code == 0 and "replaced revision" in out, out
    assert len(blog.versions("blog")) == 2 and not first.exists()
    text = blog.versions("blog")[-1].read_text()
    assert "new_column_name='full_name'" in text and "drop_column('name')" not in text
    assert run(blog, "upgrade", "blog")[0] == 0


def test_replace_keeps_the_newest_revision_when_nothing_would_replace_it(
    blog: Project,
) -> None:
    _rename_name_to_full_name(blog)
    assert run(blog, "generate", "blog", "-m", "full name", "--accept")[0] == 0
    written = blog.versions("blog")[-1]
    (blog.root / "schemas" / "blog.py").write_text((REPO / "schemas" / "blog.py").read_text())
    code, _, err = run(blog, "generate", "blog", "-m", "again", "--replace")
    assert code == 2 and "it was kept" in err and written.exists()


def test_hints_carry_the_users_url_and_project(blog: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'other.db').as_posix()}"
    code, _, err = run(blog, "seed", "blog", "--url", url, "--rows", "3")
    assert code == 2
    assert f"`workbench --project {blog.root} upgrade blog --url {url}`" in err


def test_guard_refusal_names_no_python(blog: Project) -> None:
    assert run(blog, "upgrade", "blog")[0] == 0
    assert run(blog, "seed", "blog", "--rows", "2")[0] == 0
    code, _, err = run(blog, "downgrade", "blog", "base")
    assert code == 2 and "--yes" in err and "yes=True" not in err and "=True" not in err


def test_a_refused_login_without_a_user_in_the_url_never_says_user_none() -> None:
    from workbench.db import connect_error

    error = connect_error(
        Exception('password authentication failed for user "root"'),
        "postgresql://127.0.0.1/app",
    )
    assert "None" not in error.text and "the URL names none" in error.text


def test_init_again_without_the_example_does_not_point_at_it(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    assert (
        "Next: workbench generate example -m initial"
        in runner.invoke(app, ["init", str(root)]).stdout
    )
    (root / "schemas" / "example.py").rename(root / "schemas" / "shop.py")
    again = runner.invoke(app, ["init", str(root)])
    assert again.exit_code == 0 and "generate example" not in again.stdout
    assert "Next: workbench generate shop -m initial" in again.stdout


def test_upgrade_and_downgrade_json(blog: Project) -> None:
    code, out, _ = run(blog, "upgrade", "blog", "--json")
    document = json.loads(out)
    assert code == 0 and document["after"] == "7b192ac1fbac" and document["before"] is None
    assert [s["revision"] for s in document["steps"]] == ["7b192ac1fbac"]
    assert document["steps"][0]["seconds"] >= 0
    code, out, _ = run(blog, "downgrade", "blog", "base", "--yes", "--json")
    document = json.loads(out)
    assert code == 0 and document["after"] is None and document["direction"] == "down"
    code, out, _ = run(blog, "upgrade", "blog", "nope", "--json")
    assert code == 2 and json.loads(out)["ok"] is False


COMMAND_NAMES = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", [None, *COMMAND_NAMES])
def test_help_shows_flags_as_flags_and_values_by_meaning(name: str | None) -> None:
    result = runner.invoke(app, [*([name] if name else []), "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout and "list[" not in result.stdout
    if name == "seed":
        assert "--rows" in result.stdout and "[TABLE=]COUNT ..." in result.stdout
        assert "--rows 1000 --rows comments=5000" in result.stdout
    if name == "generate":
        assert "TABLE.OLD=NEW ..." in result.stdout and "TABLE.COLUMN=SQL ..." in result.stdout


# --- squash ----------------------------------------------------------------------------------

STEP = '''
"""{message}

Revision ID: {rev}
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{up}


def downgrade() -> None:
{down_body}
'''


def _step(blog: Project, rev: str, down: str, message: str, up: str, down_body: str) -> Path:
    return blog.write_revision(
        "blog",
        f"{rev}_{message.replace(' ', '_')}.py",
        STEP.format(rev=rev, down=down, message=message, up=up, down_body=down_body),
    )


def _long_history(blog: Project) -> None:
    _step(
        blog, "aaaa00000002", "7b192ac1fbac", "nick",
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.add_column(sa.Column("nick", sa.String(40), nullable=True))\n'
        '        batch_op.create_index("ix_users_nick", ["nick"])',
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.drop_index("ix_users_nick")\n'
        '        batch_op.drop_column("nick")',
    )  # fmt: skip
    _step(
        blog, "aaaa00000003", "aaaa00000002", "nick from name",
        '    op.execute("UPDATE users SET nick = name")\n'
        '    op.create_table("badges", sa.Column("id", sa.Integer(), primary_key=True),\n'
        '                    sa.Column("label", sa.String(30), nullable=False))',
        '    op.drop_table("badges")',
    )  # fmt: skip
    _step(
        blog, "aaaa00000004", "aaaa00000003", "age",
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))',
        '    with op.batch_alter_table("users") as batch_op:\n'
        '        batch_op.drop_column("age")',
    )  # fmt: skip


def test_squash_replaces_base_to_rev_and_keeps_later_revisions_working(
    blog: Project, against: str, tmp_path: Path
) -> None:
    _long_history(blog)
    # A database already past REV before the squash.
    url = f"sqlite:///{(tmp_path / 'past.db').as_posix()}"
    assert run(blog, "upgrade", "blog", "aaaa00000003", "--url", url)[0] == 0
    code, out, err = run(blog, "squash", "blog", "--to", "aaaa00000003", "--against", against)
    assert code == 0, err
    backend = "PostgreSQL" if against != "sqlite" else "SQLite"
    assert f"proved on {backend}" in out
    assert "UPDATE users SET nick = name" in out  # the data migration left out, listed
    names = [p.name for p in blog.versions("blog")]
    assert len(names) == 2 and any("aaaa00000003_squashed" in n for n in names)
    assert "aaaa00000004_age.py" in names
    code, out, _ = run(blog, "history", "blog", "--json")
    chain = [(r["id"], r["down_revisions"]) for r in json.loads(out)["revisions"]]
    assert chain == [("aaaa00000003", []), ("aaaa00000004", ["aaaa00000003"])]
    # The database past REV is unaffected: it goes on to head.
    assert run(blog, "upgrade", "blog", "--url", url)[0] == 0
    # A fresh install builds the schema in two steps and round-trips.
    fresh = f"sqlite:///{(tmp_path / 'fresh.db').as_posix()}"
    code, out, _ = run(blog, "upgrade", "blog", "--url", fresh)
    assert code == 0 and "up   aaaa00000003" in out and "up   aaaa00000004" in out
    assert run(blog, "downgrade", "blog", "base", "--url", fresh, "--yes")[0] == 0


def test_squash_refuses_what_it_cannot_read_and_changes_nothing(blog: Project) -> None:
    _long_history(blog)
    path = blog.versions("blog")[2]
    path.write_text(
        path.read_text().replace(
            'op.execute("UPDATE users SET nick = name")',
            'op.get_bind().execute(sa.text("UPDATE users SET nick = name"))',
        )
    )
    before = sorted(p.read_text() for p in blog.versions("blog"))
    code, _, err = run(blog, "squash", "blog", "--to", "aaaa00000004")
    assert code == 2 and "op.get_bind()" in err and "aaaa00000003" in err
    assert sorted(p.read_text() for p in blog.versions("blog")) == before
    code, _, err = run(blog, "squash", "blog", "--to", "7b192ac1fbac")
    assert code == 2 and "nothing to squash" in err
    code, _, err = run(blog, "squash", "blog", "--to", "zzz")
    assert code == 2 and "no revision 'zzz'" in err
