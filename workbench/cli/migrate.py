"""Commands of the spine: init, schemas, generate, upgrade, downgrade, current, history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workbench.cli._app import (
    EXIT_FINDINGS,
    JsonOpt,
    SchemaArg,
    SqlOpt,
    UrlOpt,
    YesOpt,
    app,
    asking,
    config,
    emit_json,
    interactive,
    say,
    shown_target,
)
from workbench.cli._hints import command_line
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.config import Config
    from workbench.results import (
        AdoptResult,
        BackfillRequest,
        DestructiveChange,
        GenerateResult,
        InitResult,
        MigrateResult,
        RenameCandidate,
        StatusReport,
        Step,
    )


def _pairs(values: Sequence[str], option: str, example: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict (the value may itself hold ``=``)."""
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise WorkbenchError(f"{option} {value}: expected {example}.")
        pairs[key.strip()] = rest.strip()
    return pairs


def _ask_rename(candidate: RenameCandidate) -> bool:
    with asking():
        return typer.confirm(candidate.question, default=False)


def _ask_backfill(request: BackfillRequest) -> str | None:
    with asking():
        answer: str = typer.prompt(request.question, default="", show_default=False)
    return answer.strip() or None


def _confirm_destruction(changes: Sequence[DestructiveChange]) -> bool:
    say("This would destroy data in the target:", style="yellow")
    for change in changes:
        say(f"  revision {change.revision} {change.description}", style="yellow")
    with asking():
        return typer.confirm("Go ahead?", default=False)


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to make the project (created if missing).")
    ] = Path("."),
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Adopt the existing Alembic histories found here (alembic.ini, "
            "[tool.alembic]) in place: nothing of yours moves or changes.",
        ),
    ] = False,
    models: Annotated[
        str | None,
        typer.Option(
            help="With --adopt: the models' import path, MODULE:ATTR (app.models:Base), "
            "where env.py builds target_metadata at run time (Flask-Migrate).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="With --adopt: the schema's name (one history only)."),
    ] = None,
) -> None:
    """Make a new project, or adopt an existing Alembic project with --adopt.

    A new project gets [tool.workbench], schemas/ with an example, migrations/
    and diagrams/; running it again adds only what is missing. With --adopt,
    each alembic.ini found becomes a [tool.workbench.schema.NAME] table in
    pyproject.toml, naming its models (read from env.py) and its alembic.ini.

    Example: `workbench init --adopt --models app.models:Base`
    """
    if not adopt:
        if models is not None or name is not None:
            raise WorkbenchError(
                "--models and --name go with --adopt.",
                hint="Run `workbench init --adopt --models MODULE:ATTR`.",
            )
        from workbench.project import init as run_init

        _say_initialized(run_init(directory))
        return
    from workbench.project import adopt as run_adopt

    adopted = run_adopt(directory, models=models, name=name)
    _say_adopted(adopted)
    _say_after_adopt(adopted)


def _say_initialized(result: InitResult) -> None:
    for path in result.created:
        say(f"created  {_rel(path, result.root)}")
    for path in result.kept:
        say(f"kept     {_rel(path, result.root)}", style="dim")
    say()
    say(f"Project ready in {result.root}. Next: {_next_after_init(result.root, result)}")


def _say_adopted(adopted: AdoptResult) -> None:
    """Each history found, what was read of it, and what was written to pyproject.toml."""
    for schema in adopted.schemas:
        where = _rel(schema.ini, adopted.root) if schema.ini else "[tool.alembic] in pyproject.toml"
        say(
            f"{schema.name}: {where}, script location "
            f"{_rel(schema.script_location, adopted.root)}, {schema.revisions} revision(s)"
        )
        say(
            f"  models         {schema.models or 'NOT FOUND'}",
            style=None if schema.models else "red",
        )
        if schema.version_table:
            say(f"  version table  {schema.version_table}")
        for note in schema.notes:
            say(f"  - {note}", style="dim")
    say()
    verb = "created" if adopted.created else "updated"
    written = [s.name for s in adopted.schemas if s.written]
    if written:
        tables = ", ".join(f"[tool.workbench.schema.{n}]" for n in written)
        say(
            f"{verb} {_rel(adopted.pyproject, adopted.root)}: wrote {tables}. "
            "Your env.py and revisions were not changed."
        )
    else:
        say("pyproject.toml already declares every history found; nothing written.")


def _say_after_adopt(adopted: AdoptResult) -> None:
    """What is left to do: models to name or fix, else the commands to run next."""
    missing = [s.name for s in adopted.schemas if s.models is None]
    broken = [s.name for s in adopted.schemas if s.written and s.models and s.tables is None]
    if missing or broken:
        if missing:
            say(f"Not found: the models of {', '.join(missing)}.", style="yellow")
        if broken:
            say(f"Do not load: the models of {', '.join(broken)} (see above).", style="yellow")
        say(
            "Run again with --models MODULE:ATTR (the module that defines the models, and "
            "their declarative base, MetaData or SQLModel class), or set models = ... in "
            "pyproject.toml.",
            style="yellow",
        )
    else:
        first = adopted.schemas[0].name
        say(f"Next: workbench history {first}; workbench check {first}; workbench lint {first}")


def _next_after_init(root: Path, result: Any) -> str:
    """The next command: generate the example only when there is one to generate."""
    from workbench.config import load
    from workbench.revisions import has_history

    example = any(p.name == "example.py" for p in (*result.created, *result.kept))
    cfg = load(root)
    names = cfg.schema_names()
    fresh = [n for n in names if not has_history(cfg, n)]
    if example and "example" in fresh:
        return "workbench generate example -m initial"
    if fresh:
        return f"workbench generate {fresh[0]} -m initial"
    if names:
        return "workbench status (what is pending on each schema's target)"
    return "add a schema module to schemas/, then workbench generate NAME -m initial"


def _rel(path: Path, root: Path) -> str:
    try:
        text = path.relative_to(root).as_posix()
    except ValueError:
        text = str(path)
    return text + ("/" if path.is_dir() else "")


@app.command()
def schemas(ctx: typer.Context, url: UrlOpt = None, json: JsonOpt = False) -> None:
    """List the schemas: tables, revisions, head, target and the target's revision.

    Example: `workbench schemas --json`
    """
    from workbench.migrate import schemas as list_schemas

    cfg = config(ctx)
    found = list_schemas(cfg, url=url)
    if json:
        emit_json({"schemas": [s.to_json() for s in found]})
        return
    if not found:
        say("No schemas yet: add a module to schemas/ (see `workbench init`).")
        return
    from rich.table import Table

    from workbench.cli._app import console

    table = Table(box=None, pad_edge=False)
    for column in ("schema", "tables", "revisions", "head", "target", "at"):
        table.add_column(column)
    for s in found:
        at = {
            "absent": "not created yet",
            "empty": "no revision",
            "stamped": s.current or "",
            "unreachable": "unreachable",
        }[s.target_state]
        if s.target_state == "stamped" and s.current == s.head:
            at += " (head)"
        target = shown_target(s.target, cfg.root)
        table.add_row(s.name, str(s.tables), str(s.revisions), s.head or "-", target, at)
    console().print(table)
    for s in found:
        if s.error:
            say(f"{s.name}: {s.error}", style="yellow")


@app.command()
def generate(
    ctx: typer.Context,
    schema: SchemaArg,
    message: Annotated[
        str, typer.Option("-m", "--message", help="What the revision does; names the file.")
    ],
    empty: Annotated[
        bool,
        typer.Option("--empty", help="Write an empty revision to fill in by hand (no comparing)."),
    ] = False,
    rename: Annotated[
        list[str] | None,
        typer.Option(
            "--rename",
            metavar="TABLE.OLD=NEW ...",
            help="A rename, not a drop + add: TABLE.OLD=NEW for a column, OLD=NEW for a table "
            "(TABLE as the models name it). Repeatable: --rename users.name=full_name "
            "--rename post=posts.",
            show_default=False,
        ),
    ] = None,
    backfill: Annotated[
        list[str] | None,
        typer.Option(
            "--backfill",
            metavar="TABLE.COLUMN=SQL ...",
            help="TABLE.COLUMN=SQL_EXPRESSION: the value existing rows get when the column "
            "is added (or made) NOT NULL. Repeatable: --backfill posts.view_count=0.",
            show_default=False,
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Rewrite the newest revision instead of adding one after it (to add --rename "
            "or --backfill after a warning). Refused when the target has applied it.",
        ),
    ] = False,
    accept: Annotated[
        bool,
        typer.Option(
            "--accept",
            help="Write the revision even with a known risk (a drop + add that looks like a "
            "rename, a NOT NULL column with no value). Without a terminal, generate otherwise "
            "writes nothing and exits 1.",
        ),
    ] = False,
    url: UrlOpt = None,
    against: Annotated[
        list[str] | None,
        typer.Option(
            "--against",
            help="Where to prove the new revision (upgrade, downgrade, upgrade): `sqlite` or a "
            "PostgreSQL server URL (scratch databases are made there and dropped). Repeatable. "
            "Default: sqlite, plus $WORKBENCH_POSTGRES_URL when set; a PostgreSQL-only schema "
            "uses a local or throwaway server when none is given.",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    # Long because: 9 options declared with their help text, and a docstring that is its --help.
    """Write the next revision from the difference between the models and the history.

    The history is applied to a scratch database (SQLite, or PostgreSQL for a
    PostgreSQL-only schema) and compared with the models; your own database is
    never touched. With no difference, nothing is written. The new revision is
    proven (upgrade, downgrade, upgrade) on every backend the schema supports
    and --against reaches before it is kept; the output says which. The first
    generate of a schema also writes migrations/SCHEMA/ (env.py, alembic.ini,
    script.py.mako).

    A dropped and an added column that are a rename are written as a rename
    with --rename (or a renamed_from hint in the model); on a terminal,
    generate asks when a pair looks like one. A NOT NULL column added to a
    table that may hold rows is written as add nullable, backfill, set NOT
    NULL, with --backfill, the model's default, or the value you type.
    Without a terminal (CI, scripts, --json), a revision with such a risk left
    is not written: generate exits 1 and names the flags that resolve it.
    --replace rewrites the newest revision when the target (--url) has not
    applied it.

    Example: `workbench generate blog -m "rename full_name" --rename users.full_name=display_name`
    """
    from workbench.rework import generate as run_generate

    cfg = config(ctx)
    renames = _pairs(rename or [], "--rename", "TABLE.OLD=NEW or OLD=NEW")
    backfills = _pairs(backfill or [], "--backfill", "TABLE.COLUMN=SQL_EXPRESSION")
    ask = interactive() and not json
    result = run_generate(
        cfg,
        schema,
        message,
        replace=replace,
        url=url,
        unsafe="write" if ask or accept else "refuse",
        empty=empty,
        renames=renames,
        backfills=backfills,
        ask_rename=_ask_rename if ask else None,
        ask_backfill=_ask_backfill if ask else None,
        against=against,
    )
    _say_generated(ctx, cfg, schema, message, result, renames, backfills, empty=empty, json=json)


def _say_generated(
    ctx: typer.Context,
    cfg: Config,
    schema: str,
    message: str,
    result: GenerateResult,
    renames: dict[str, str],
    backfills: dict[str, str],
    *,
    empty: bool,
    json: bool,
) -> None:
    """Render generate's result; exit 1 when the revision was refused for a known risk."""
    if json:
        emit_json(result.to_json())
        if result.refused:
            raise typer.Exit(EXIT_FINDINGS)
        return
    if result.path is None and not result.refused:
        say(f"{schema}: no changes; nothing written.")
        return
    given = [w for k, v in renames.items() for w in ("--rename", f"{k}={v}")]
    given += [w for k, v in backfills.items() for w in ("--backfill", f"{k}={v}")]
    fixed = given + [w for flag in result.fixes for w in flag.split(" ", 1)]
    if result.refused:
        _say_refused(ctx, schema, message, result, given=given, fixed=fixed)
        raise typer.Exit(EXIT_FINDINGS)
    _say_written(cfg, schema, result, empty=empty)
    if result.fixes:
        rewrite = command_line(ctx, "generate", schema, "--replace", "-m", message, *fixed)
        say(f"  To rewrite this revision with the fix, run `{rewrite}`.", style="yellow")


def _say_refused(
    ctx: typer.Context,
    schema: str,
    message: str,
    result: GenerateResult,
    *,
    given: list[str],
    fixed: list[str],
) -> None:
    """A revision not written for a known risk: what it held, and the two commands that go on."""
    say(f"{schema}: not written: the revision would carry a known risk.", style="red")
    for line in result.operations:
        say(f"  {line}")
    for note in result.notes:
        say(f"  warning: {note}", style="yellow")
    resolve = command_line(ctx, "generate", schema, "-m", message, *fixed)
    accepted = command_line(ctx, "generate", schema, "-m", message, *given, "--accept")
    say(
        f"Resolve it with `{resolve}` (SQL_EXPRESSION: the value existing rows get), or "
        f"write it as it is with `{accepted}`.",
        style="yellow",
    )


def _say_written(cfg: Config, schema: str, result: GenerateResult, *, empty: bool) -> None:
    """A revision written: its file, its operations, where it was proved, its warnings."""
    assert result.path is not None
    verb = f"replaced revision {result.replaced} with" if result.replaced else "wrote revision"
    say(f"{schema}: {verb} {result.revision}  {cfg.rel(result.path)}")
    for line in result.operations:
        say(f"  {line}")
    if result.backends:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        proved = ", ".join(names.get(b, b) for b in result.backends)
        say(f"  proved on {proved} (upgrade, downgrade, upgrade)", style="dim")
    for reason in result.unproved:
        say(f"  not proved on {reason}", style="yellow")
    if empty:
        say("  (empty: fill in upgrade() and downgrade())", style="dim")
    for note in result.notes:
        say(f"  warning: {note}", style="yellow")


def _progress(step: Step) -> None:
    arrow = "up  " if step.direction == "up" else "down"
    say(f"  {arrow} {step.revision}  {step.message}  ({step.seconds * 1000:.0f} ms)")


def _applying(sql: bool, yes: bool, json: bool = False) -> dict[str, Any]:
    """What upgrade and downgrade add to the call: progress lines, --yes, the guard's question."""
    return {
        "on_step": None if sql or json else _progress,
        "yes": yes,
        "confirm": _confirm_destruction if interactive() and not json else None,
    }


def _report(result: MigrateResult, root: Path, json: bool = False) -> None:
    if json:
        emit_json({"ok": True, **result.to_json()})
        return
    if result.sql is not None:
        typer.echo(result.sql, nl=False)
        return
    target = shown_target(result.target, root)
    if not result.steps:
        say(f"{result.schema}: nothing to do; {target} is at {result.after or 'base'}.")
        return
    say(f"{result.schema}: {target} is now at {result.after or 'base (empty)'}.")


@app.command()
def upgrade(
    ctx: typer.Context,
    schema: SchemaArg,
    revision: Annotated[
        str, typer.Argument(help="Where to stop: head (default), a revision id, or +N.")
    ] = "head",
    url: UrlOpt = None,
    sql: SqlOpt = False,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Apply revisions up to head (or REVISION), each in one transaction.

    A revision that fails is rolled back whole: the database stays at the
    revision before it. Two upgrades of one database wait for each other.
    Before a revision drops data the target holds, it is counted and shown,
    and nothing runs without --yes (or a yes on a terminal).

    Example: `workbench upgrade blog --url postgresql://app@localhost/blog`
    """
    from workbench.migrate import upgrade as run_upgrade

    cfg = config(ctx)
    result = run_upgrade(cfg, schema, revision, url=url, sql=sql, **_applying(sql, yes, json))
    _report(result, cfg.root, json)


@app.command(context_settings={"ignore_unknown_options": True})
def downgrade(
    ctx: typer.Context,
    schema: SchemaArg,
    revision: Annotated[
        str,
        typer.Argument(help="Where to stop: -1 (default, one step), -N, a revision id, or base."),
    ] = "-1",
    url: UrlOpt = None,
    sql: SqlOpt = False,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Undo revisions: one step by default, `base` for all of them.

    What the downgrade would drop (a table's rows, a column's values) is
    counted first; if anything, nothing runs without --yes (or a yes on a
    terminal).

    Example: `workbench downgrade blog base --yes`
    """
    from workbench.migrate import downgrade as run_downgrade

    cfg = config(ctx)
    result = run_downgrade(cfg, schema, revision, url=url, sql=sql, **_applying(sql, yes, json))
    _report(result, cfg.root, json)


@app.command()
def current(
    ctx: typer.Context, schema: SchemaArg, url: UrlOpt = None, json: JsonOpt = False
) -> None:
    """Show the revision the target is at, and the head of the history.

    Example: `workbench current blog --json`
    """
    from workbench.migrate import current as run_current

    cfg = config(ctx)
    result = run_current(cfg, schema, url=url)
    if json:
        emit_json(result.to_json())
        return
    where = result.revision or "base (no revision applied)"
    tail = " (head)" if result.at_head and result.revision else ""
    say(f"{schema}: {shown_target(result.target, cfg.root)} is at {where}{tail}")
    if not result.at_head:
        say(f"  head is {result.head}: run `workbench upgrade {schema}`", style="yellow")


@app.command()
def status(
    ctx: typer.Context,
    schema: Annotated[
        str | None,
        typer.Argument(help="The schema: a module name in schemas/ (default: every schema)."),
    ] = None,
    url: UrlOpt = None,
    json: JsonOpt = False,
) -> None:
    """Show what is pending on the target: revisions, what they would destroy, lint findings.

    Reads the target, never writes it. For each schema: the revision the target
    is at, the revisions an upgrade to head would run with their operations,
    what the destructive-apply guard counts for them on this target (predicted
    from their operations, without running them), and the lint findings on
    them. Exit 1 when a pending revision would destroy data or has a lint error.

    Example: `workbench status blog --url postgresql://app@localhost/blog`
    """
    from workbench.revisions import has_history
    from workbench.status import status as run_status

    cfg = config(ctx)
    names = [schema] if schema else cfg.schema_names()
    reports = []
    skipped = []
    for name in names:
        if schema is None and not has_history(cfg, name):
            skipped.append(name)
            continue
        reports.append(run_status(cfg, name, url=url))
    ok = all(r.ok for r in reports)
    if json:
        if schema is not None:
            emit_json(reports[0].to_json())
        else:
            emit_json({"ok": ok, "schemas": [r.to_json() for r in reports], "no_history": skipped})
    else:
        for report in reports:
            _render_status(report, cfg.root, ctx)
        for name in skipped:
            say(
                f"{name}: no revisions yet; write the first with "
                f"`{command_line(ctx, 'generate', name, '-m', 'initial')}`."
            )
    if not ok:
        raise typer.Exit(EXIT_FINDINGS)


def _render_status(report: StatusReport, root: Path, ctx: typer.Context) -> None:
    target = shown_target(report.target, root)
    where = {
        "absent": "not created yet",
        "empty": "at no revision",
        "stamped": f"at {report.current}",
    }[report.target_state]
    if not report.pending:
        say(f"{report.schema}: {target} is {where} (head); nothing pending.")
        return
    count = len(report.pending)
    say(
        f"{report.schema}: {target} is {where}; {count} revision{'s' if count != 1 else ''} "
        f"pending to head {report.head}:"
    )
    for pending in report.pending:
        say(f"  {pending.id}  {pending.message}")
        for line in pending.operations:
            say(f"      {line}", style="dim")
    if report.destructive:
        say(f"  would destroy data in {target} ({report.guard}):", style="yellow")
        for change in report.destructive:
            say(f"    revision {change.revision} {change.description}", style="yellow")
    else:
        say(f"  destroys nothing {target} holds ({report.guard}).")
    for finding in report.findings:
        where_line = f":{finding.line}" if finding.line else ""
        style = "red" if finding.severity == "error" else "yellow"
        say(
            f"  {finding.severity} {finding.code} {finding.revision}{where_line}: "
            f"{finding.message}",
            style=style,
        )
    if report.ok:
        say(f"  Apply with `{command_line(ctx, 'upgrade', report.schema)}`.")


@app.command()
def squash(
    ctx: typer.Context,
    schema: SchemaArg,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="REV",
            help="The last revision to squash: base .. REV become one revision with REV's id.",
        ),
    ],
    against: Annotated[
        list[str] | None,
        typer.Option(
            "--against",
            metavar="TARGET ...",
            help="Where to prove the squash: `sqlite` or a PostgreSQL server URL (scratch "
            "databases are made there and dropped). Repeatable. Default: sqlite, plus "
            "$WORKBENCH_POSTGRES_URL when set.",
            show_default=False,
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("-m", "--message", help="The squashed revision's message."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Replace the revisions from base to REV with one revision that builds the same schema.

    The squashed revision keeps REV's id, so later revisions still follow it and
    a database at REV or past it is unaffected. It is kept only when, on a
    scratch database of every backend proved, it builds the same schema as the
    revisions it replaces (at REV and at head) and goes down to an empty
    database. Data migrations inside the range (INSERT, UPDATE, DELETE,
    bulk_insert) are left out and listed.

    Example: `workbench squash blog --to 3f2a9c1b7d4e`
    """
    from workbench.squash import squash as run_squash

    cfg = config(ctx)
    result = run_squash(cfg, schema, to, against=against, message=message)
    if json:
        emit_json(result.to_json())
        return
    count = len(result.removed)
    say(
        f"{schema}: squashed {count} revisions ({result.removed[0]} .. {result.revision}) into "
        f"{cfg.rel(result.path)}"
    )
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    proved = ", ".join(names.get(b, b) for b in result.backends)
    say(f"  proved on {proved}: the same schema at {result.revision} and at head", style="dim")
    for reason in result.unproved:
        say(f"  not proved on {reason}", style="yellow")
    if result.dropped:
        say("  data migrations left out (a fresh install has no rows for them):", style="yellow")
        for line in result.dropped:
            say(f"    {line}", style="yellow")
    say(
        "  A database stamped with one of the removed revisions before "
        f"{result.revision} must be upgraded to {result.revision} with the old history first.",
        style="dim",
    )


@app.command()
def history(ctx: typer.Context, schema: SchemaArg, json: JsonOpt = False) -> None:
    """List the revisions of a schema, oldest first.

    Example: `workbench history blog`
    """
    from workbench.migrate import history as run_history

    cfg = config(ctx)
    revisions = run_history(cfg, schema)
    if json:
        emit_json({"schema": schema, "revisions": [r.to_json() for r in revisions]})
        return
    if not revisions:
        say(f"{schema}: no revisions yet.")
        return
    for r in revisions:
        head = "  (head)" if r.is_head else ""
        parent = ",".join(r.down_revisions) or "base"
        say(f"{parent:>12} -> {r.id}  {r.message}{head}")
        say(f"{'':>16}{cfg.rel(r.path)}", style="dim")
