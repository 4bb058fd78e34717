"""Commands of the spine: init, schemas, generate, upgrade, downgrade, current, history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workbench.cli._app import (
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
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.results import (
        BackfillRequest,
        DestructiveChange,
        MigrateResult,
        RenameCandidate,
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
) -> None:
    """Make a new project: [tool.workbench], schemas/ with an example, migrations/, diagrams/.

    Running it again adds only what is missing; nothing that exists is changed.

    Example: `workbench init shop && cd shop && workbench generate example -m initial`
    """
    from workbench.project import init as run_init

    result = run_init(directory)
    for path in result.created:
        say(f"created  {_rel(path, result.root)}")
    for path in result.kept:
        say(f"kept     {_rel(path, result.root)}", style="dim")
    say()
    say(f"Project ready in {result.root}. Next: workbench generate example -m initial")


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
            help="A rename, not a drop + add: TABLE.OLD=NEW for a column, OLD=NEW for a table "
            "(TABLE as the models name it). Repeatable.",
            show_default=False,
        ),
    ] = None,
    backfill: Annotated[
        list[str] | None,
        typer.Option(
            "--backfill",
            help="TABLE.COLUMN=SQL_EXPRESSION: the value existing rows get when the column "
            "is added (or made) NOT NULL. Repeatable.",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Write the next revision from the difference between the models and the history.

    The history is applied to a scratch SQLite database and compared with the
    models; your own database is never touched. With no difference, nothing is
    written. The first generate of a schema also writes migrations/SCHEMA/
    (env.py, alembic.ini, script.py.mako).

    A dropped and an added column that are a rename are written as a rename
    with --rename (or a renamed_from hint in the model); on a terminal,
    generate asks when a pair looks like one. A NOT NULL column added to a
    table that may hold rows is written as add nullable, backfill, set NOT
    NULL, with --backfill, the model's default, or the value you type.

    Example: `workbench generate blog -m "rename full_name" --rename users.full_name=display_name`
    """
    from workbench.migrate import generate as run_generate

    cfg = config(ctx)
    renames = _pairs(rename or [], "--rename", "TABLE.OLD=NEW or OLD=NEW")
    backfills = _pairs(backfill or [], "--backfill", "TABLE.COLUMN=SQL_EXPRESSION")
    ask = interactive() and not json
    result = run_generate(
        cfg,
        schema,
        message,
        empty=empty,
        renames=renames,
        backfills=backfills,
        ask_rename=_ask_rename if ask else None,
        ask_backfill=_ask_backfill if ask else None,
    )
    if json:
        emit_json(result.to_json())
        return
    if result.path is None:
        say(f"{schema}: no changes; nothing written.")
        return
    say(f"{schema}: wrote revision {result.revision}  {cfg.rel(result.path)}")
    for line in result.operations:
        say(f"  {line}")
    if empty:
        say("  (empty: fill in upgrade() and downgrade())", style="dim")
    for note in result.notes:
        say(f"  warning: {note}", style="yellow")


def _progress(step: Step) -> None:
    arrow = "up  " if step.direction == "up" else "down"
    say(f"  {arrow} {step.revision}  {step.message}  ({step.seconds * 1000:.0f} ms)")


def _applying(sql: bool, yes: bool) -> dict[str, Any]:
    """What upgrade and downgrade add to the call: progress lines, --yes, the guard's question."""
    return {
        "on_step": None if sql else _progress,
        "yes": yes,
        "confirm": _confirm_destruction if interactive() else None,
    }


def _report(result: MigrateResult, root: Path) -> None:
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
    result = run_upgrade(cfg, schema, revision, url=url, sql=sql, **_applying(sql, yes))
    _report(result, cfg.root)


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
) -> None:
    """Undo revisions: one step by default, `base` for all of them.

    What the downgrade would drop (a table's rows, a column's values) is
    counted first; if anything, nothing runs without --yes (or a yes on a
    terminal).

    Example: `workbench downgrade blog base --yes`
    """
    from workbench.migrate import downgrade as run_downgrade

    cfg = config(ctx)
    result = run_downgrade(cfg, schema, revision, url=url, sql=sql, **_applying(sql, yes))
    _report(result, cfg.root)


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
