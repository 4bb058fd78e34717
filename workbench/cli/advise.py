"""`workbench advise`: index advice from the models and the workload, proved on seeded data."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli._app import JsonOpt, SchemaArg, app, config, console, emit_json, say
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.config import Config
    from workbench.results import Advice, AdviceReport, Evidence

DEFAULT_ROWS = 20_000  # workbench.advise.DEFAULT_ROWS, without importing the library at startup

TOUR_WORKLOAD = """\
-- What the blog's pages run (the tour's workload for `workbench advise`).

-- a post's comments, in order
SELECT id, body FROM comments WHERE post_id = ? ORDER BY created_at;

-- the front page: the newest posts
SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 10;

-- published posts
SELECT id, title FROM posts WHERE published = ?;

-- the posts of a tag
SELECT p.id, p.title FROM posts p JOIN post_tags pt ON pt.post_id = p.id WHERE pt.tag_id = ?;

-- a user by email
SELECT id, name FROM users WHERE email = ?;
"""
"""The workload file the tour writes next to the blog example as queries.sql."""


@app.command()
def advise(
    ctx: typer.Context,
    schema: SchemaArg,
    queries: Annotated[
        Path | None,
        typer.Option(
            "--queries",
            help="A file of SQL statements separated by ';' (literals or placeholders), such as "
            "`pytest --workbench-capture FILE` writes; relative to the working folder, else to "
            "the project. Each candidate index is proved on a seeded scratch database.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Read the indexes of this live database instead of the models' (read only: "
            "queries are never run there).",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            help="Where to prove the workload: sqlite (a throwaway file) or a PostgreSQL server "
            "URL on which a throwaway database is created and dropped.",
        ),
    ] = "sqlite",
    rows: Annotated[
        int,
        typer.Option(
            "--rows",
            # No min=: a bounded int goes through typer's pydantic adapter (0.07 s per run).
            help="Rows seeded in each table the workload reads, for the proof (at least 1).",
        ),
    ] = DEFAULT_ROWS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated data.")] = 0,
    generate: Annotated[
        bool,
        typer.Option(
            "--generate",
            help="Write the indexes to create as a revision (and declare them in the models); "
            "needs -m.",
        ),
    ] = False,
    message: Annotated[
        str | None,
        typer.Option("-m", "--message", help="The message of the revision --generate writes."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Advise indexes to create and drop, from the models and the queries the application runs.

    Model rules need no database. With --queries, each candidate index is tried
    on a scratch database migrated to head and seeded with --rows rows: it is
    advised only if the plan uses it and the query's cost or time at least
    halves, and the measurements are shown as evidence.

    Example: `workbench advise blog --queries queries.sql --generate -m "advised indexes"`
    """
    from workbench.advise import advise as run_advise

    _refuse_bad_options(generate=generate, message=message, rows=rows)
    cfg = config(ctx)
    with _status(not json) as progress:
        report = run_advise(
            cfg,
            schema,
            queries=_workload_file(queries, cfg.root),
            url=url,
            against=against,
            rows=rows,
            seed=seed,
            message=message if generate else None,
            progress=progress,
        )
    _render(report, cfg, json=json)


def _refuse_bad_options(*, generate: bool, message: str | None, rows: int) -> None:
    """The options that cannot go together, refused before anything is read."""
    if generate and not (message and message.strip()):
        raise WorkbenchError(
            "--generate writes a revision, which needs a message.",
            hint="Add -m 'advised indexes'.",
        )
    if message is not None and not generate:
        raise WorkbenchError("-m is the message of --generate's revision.", hint="Add --generate.")
    if rows < 1:
        raise WorkbenchError(f"--rows {rows}: the proof needs at least 1 row per table.")


def _workload_file(queries: Path | None, root: Path) -> Path | None:
    """``--queries`` relative to the working folder, else to the project (as in the tour)."""
    if queries is not None and not queries.is_absolute() and not queries.exists():
        in_project = root / queries
        return in_project if in_project.exists() else queries
    return queries


@contextlib.contextmanager
def _status(show: bool) -> Iterator[Callable[[str], None] | None]:
    # Only a terminal shows the spinner: piped or --json output never imports rich.
    if not show or not sys.stderr.isatty():
        yield None
        return
    err = console(err=True)
    if not err.is_terminal:
        yield None
        return
    with err.status("advise: reading the workload") as status:
        yield lambda text: status.update(f"advise: {text}")


def _render(report: AdviceReport, cfg: Config, *, json: bool) -> None:
    if json:
        emit_json(report.to_json())
        return
    from rich.table import Table

    if report.backend:
        where = {
            "target copy": "a copy of the target, on its own rows",
            "target hypopg": "the target itself, read only: EXPLAIN with HypoPG's hypothetical "
            "indexes and its own statistics",
        }.get(
            report.proved_on or "",
            f"{report.backend} with {report.rows or 0:,} seeded rows per table",
        )
        say(
            f"{report.schema}: {report.queries} quer{'y' if report.queries == 1 else 'ies'} "
            f"proved on {where} ({report.seconds:.1f} s)."
        )
        if report.proof_note:
            say(f"  Not on the target's own data: {report.proof_note}.", style="yellow")
    if not report.advice:
        say(f"{report.schema}: no advice; every index earns its keep.")
    else:
        table = Table(box=None, pad_edge=False, show_lines=False)
        for column in ("table", "code", "action", "columns", "reason", "evidence"):
            table.add_column(column, overflow="fold")
        current = None
        for a in report.advice:
            if current is not None and a.table != current:
                table.add_section()
            shown = a.table if a.table != current else ""
            current = a.table
            table.add_row(
                shown,
                a.code,
                a.action if a.action == "create" else f"drop {a.index}",
                "(" + ", ".join(a.columns) + ")",
                a.reason,
                _evidence(a),
            )
        console().print(table)
    if report.rejected:
        say()
        say("Tried and not kept:", style="dim")
        for r in report.rejected:
            say(f"  {r.table} ({', '.join(r.columns)}) {r.code}: {r.reason}", style="dim")
    if report.skipped:
        say()
        say("Statements not used:", style="yellow")
        for line in report.skipped:
            say(f"  {line}", style="yellow")
    if report.revision:
        say()
        revision_path = cfg.rel(report.path) if report.path else None
        say(f"{report.schema}: wrote revision {report.revision}  {revision_path}")
        say("  and declared its indexes at the end of the schema module.", style="dim")


def _evidence(a: Advice) -> str:
    if not a.evidence:
        return "" if a.action == "drop" else "(from the models)"
    best = a.evidence[0]
    more = f"\n(and {len(a.evidence) - 1} more quer{'y' if len(a.evidence) == 2 else 'ies'})"
    return (
        f"{_numbers(best)}\n{best.query}\nbefore: {best.plan_before}\nafter:  {best.plan_after}"
        + (more if len(a.evidence) > 1 else "")
    )


def _numbers(e: Evidence) -> str:
    text = f"{'at least ' if e.timed_out else ''}{_ms(e.ms_before)} -> {_ms(e.ms_after)} ms"
    if e.cost_before is not None and e.cost_after is not None:
        text += f", cost {e.cost_before:.0f} -> {e.cost_after:.0f}"
    return text


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"
