"""`workbench diagram`: ER diagrams of the models, a live database, a revision, or a change."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli._app import EXIT_FINDINGS, JsonOpt, app, config, emit_json, say
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.config import Config
    from workbench.results import DiagramOutput, DiagramResult


@app.command()
def diagram(
    ctx: typer.Context,
    schema: Annotated[
        str | None,
        typer.Argument(help="The schema: a module name in schemas/, like blog (or use --all)."),
    ] = None,
    all_schemas: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every schema: draw (or --check) diagrams/SCHEMA.svg and diagrams/SCHEMA.mmd.",
        ),
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="svg (default), png, pdf, mermaid or dot; taken from --out's extension "
            "when not given.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write (default: diagrams/SCHEMA.EXT, or diagrams/SCHEMA.VARIANT.EXT "
            "for a database, revision, change or narrowed view); - prints a text format.",
            show_default=False,
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Draw this live database (reflected; alembic_version left out) instead of "
            "the models.",
            show_default=False,
        ),
    ] = None,
    revision: Annotated[
        str | None,
        typer.Option(
            "--revision",
            help="Draw the schema as this revision leaves it (a scratch database is migrated "
            "to it).",
            show_default=False,
        ),
    ] = None,
    diff: Annotated[
        str | None,
        typer.Option(
            "--diff",
            help="REV_A..REV_B: draw REV_B with what changed since REV_A marked in colour; "
            "either side may be `models`.",
            show_default=False,
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Only tables matching this glob (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave out tables matching this glob (repeatable)."),
    ] = None,
    keys_only: Annotated[
        bool,
        typer.Option(
            "--keys-only", help="Show only key columns (PK, FK, unique), no constraint list."
        ),
    ] = False,
    focus: Annotated[
        str | None,
        typer.Option(
            "--focus", help="Only this table and its neighbours within --depth foreign-key hops."
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            help="How many foreign-key hops around --focus to show (default 1).",
            show_default=False,
        ),
    ] = None,
    inject: Annotated[
        Path | None,
        typer.Option(
            "--inject",
            help="Write the Mermaid diagram between the workbench:diagram SCHEMA marker "
            "comments of this Markdown file, appending them if absent (with --check: verify it).",
            dir_okay=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing: exit 1 naming each diagram that is stale or missing.",
        ),
    ] = False,
    open_viewer: Annotated[
        bool,
        typer.Option("--open", help="Open the diagram in the system viewer once written."),
    ] = False,
    json: JsonOpt = False,
) -> None:
    # Long because: its 15 options are declared here, each with its help text.
    """Draw the ER diagram of a schema (SVG by default) into diagrams/, or check it is fresh.

    Columns keep their declaration order and show keys, nullability and real
    types (enum values, time zones); UNIQUE, CHECK and indexes are listed per
    table, and each foreign key is a line from its column to the key it
    references, with crow's-foot cardinality.

    Example: `workbench diagram blog --format png --open`
    """
    from workbench.diagram import diagram as run_diagram
    from workbench.diagram import diagram_all

    cfg = config(ctx)
    if all_schemas:
        _refuse_narrowing_all(
            ("SCHEMA", schema),
            ("--out", out),
            ("--url", url),
            ("--revision", revision),
            ("--diff", diff),
            ("--focus", focus),
            ("--include", include),
            ("--exclude", exclude),
            ("--keys-only", keys_only),
        )
        results = diagram_all(cfg, fmt=fmt, check=check, inject_into=inject)
    elif depth is not None and focus is None:
        raise WorkbenchError(
            "--depth is the radius of --focus and goes with it.",
            hint="For example: --focus posts --depth 2.",
        )
    elif schema is None:
        raise WorkbenchError(
            "name a schema, or pass --all for every schema.",
            hint="For example: workbench diagram blog.",
        )
    else:
        results = (
            run_diagram(
                cfg,
                schema,
                fmt=fmt,
                out=out,
                url=url,
                revision=revision,
                diff=diff,
                include=include or (),
                exclude=exclude or (),
                keys_only=keys_only,
                focus=focus,
                depth=1 if depth is None else depth,
                inject_into=inject,
                check=check,
                open_viewer=open_viewer,
            ),
        )
    _render(results, cfg, check=check, json=json)


def _refuse_narrowing_all(*given: tuple[str, object]) -> None:
    """``--all`` draws every committed diagram: no option that narrows one goes with it."""
    narrowed = [name for name, value in given if value]
    if narrowed:
        raise WorkbenchError(
            f"--all draws the committed diagram of every schema; {', '.join(narrowed)} "
            "cannot go with it.",
            hint="Name one schema to use those options.",
        )


def _render(results: tuple[DiagramResult, ...], cfg: Config, *, check: bool, json: bool) -> None:
    """Print the results (or one JSON document); exit 1 when one is stale or missing."""
    ok = all(r.ok for r in results)
    if json:
        emit_json({"ok": ok, "diagrams": [r.to_json() for r in results]})
    else:
        for result in results:
            _report(result, cfg, check=check)
        if check and not ok:
            say("Redraw them with `workbench diagram --all` (or the same command without --check).")
    if not ok:
        raise typer.Exit(EXIT_FINDINGS)


def _report(result: DiagramResult, cfg: Config, *, check: bool) -> None:
    for output in result.outputs:
        if output.text is not None:
            typer.echo(output.text, nl=False)
            continue
        say(_line(result, output, cfg), style=None if output.ok else "yellow")
        if output.ok and output.detail:
            say(f"  {output.detail}", style="dim")
    if result.opened:
        say(f"  opened with {result.opened}", style="dim")
    for note in result.notes:
        shown = next((o.path for o in result.outputs if o.path is not None), None)
        where = f": the diagram is at {cfg.rel(shown)}" if shown else ""
        say(f"  {note}{where}", style="yellow")
    if not check and not result.outputs:
        say(f"{result.schema}: nothing to draw.")


def _line(result: DiagramResult, output: DiagramOutput, cfg: Config) -> str:
    path = cfg.rel(output.path) if output.path else "-"
    what = (
        f"({result.schema}: {result.source}; {result.tables} tables, "
        f"{result.relationships} relationships)"
    )
    verbs = {
        "written": f"wrote {path}  {what}",
        "unchanged": f"unchanged {path}  {what}",
        "fresh": f"fresh   {path}",
        "stale": f"stale   {path}: {output.detail}",
        "missing": f"missing {path}: {output.detail}",
    }
    return verbs.get(output.status, f"{output.status} {path}")
