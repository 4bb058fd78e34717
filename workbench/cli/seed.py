"""`workbench seed`: fill a schema's target with rows that satisfy every constraint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workbench.cli._app import (
    JsonOpt,
    SchemaArg,
    UrlOpt,
    app,
    asking,
    config,
    console,
    emit_json,
    interactive,
    say,
    shown_target,
)
from workbench.errors import Refused, WorkbenchError

if TYPE_CHECKING:
    from workbench.results import SeedReport
    from workbench.seed import OnProgress

_CELL = 40
"""Longest sample value shown, in characters."""


def parse_rows(items: list[str]) -> int | dict[str, int] | None:
    """``--rows`` values: ``N`` (every table) and ``TABLE=N``, into what :func:`seed` takes."""
    from workbench.seed import EVERY_TABLE

    if not items:
        return None
    counts: dict[str, int] = {}
    for item in items:
        table, _, number = item.rpartition("=")
        try:
            count = int(number.replace("_", ""))
        except ValueError:
            raise WorkbenchError(
                f"--rows {item!r} is not a row count.",
                hint="Write --rows 1000 (every table) or --rows users=1000 (one table).",
            ) from None
        counts[table.strip() or EVERY_TABLE] = count
    if list(counts) == [EVERY_TABLE]:
        return counts[EVERY_TABLE]
    return counts


@app.command()
def seed(
    ctx: typer.Context,
    schema: SchemaArg,
    rows: Annotated[
        list[str] | None,
        typer.Option(
            "--rows",
            "-n",
            metavar="[TABLE=]COUNT ...",
            help="N: N rows in every table; TABLE=N: N rows in that table (repeatable), such "
            "as --rows 1000 --rows comments=5000. "
            "Default: 100 per table without parents, and 3 per parent row (2 in a link table).",
            show_default=False,
        ),
    ] = None,
    random_seed: Annotated[
        int,
        typer.Option("--seed", help="The same seed gives the same rows, byte for byte."),
    ] = 0,
    url: UrlOpt = None,
    truncate: Annotated[
        bool,
        typer.Option(
            "--truncate",
            help="Empty the schema's tables first (asks unless --yes). Default: append.",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before --truncate deletes rows.")
    ] = False,
    fill_defaults: Annotated[
        bool,
        typer.Option(
            "--fill-defaults",
            help="Generate values for columns with a server default too (default: the server "
            "fills them).",
        ),
    ] = False,
    sample: Annotated[
        int,
        typer.Option("--sample", help="Show this many rows of each table afterwards.", min=0),
    ] = 0,
    json: JsonOpt = False,
) -> None:
    """Fill the target with fake rows that satisfy every constraint, in one transaction.

    Tables are filled parents first, keys and UNIQUEs never collide (with rows
    already there either), CHECKs hold, and values look real (names, emails,
    prices, dates). The target must be at head. SQLite gets executemany,
    PostgreSQL COPY. After seeding, the database itself is asked whether
    every foreign key, unique and check constraint holds.

    Example: `workbench seed blog --rows 1000 --rows comments=5000 --seed 7`
    """
    from workbench.seed import seed as run_seed

    cfg = config(ctx)
    counts = parse_rows(rows or [])
    if truncate and not yes:
        _confirm_truncate(cfg.resolve_url(schema, url), schema, cfg.root, as_json=json)
    with _progress(enabled=not json) as on_progress:
        report = run_seed(
            cfg,
            schema,
            rows=counts,
            seed=random_seed,
            url=url,
            truncate=truncate,
            fill_defaults=fill_defaults,
            sample=sample,
            on_progress=on_progress,
        )
    if json:
        emit_json(report.to_json())
        return
    _render(report, cfg.root)


def _confirm_truncate(target: str, schema: str, root: Any, *, as_json: bool) -> None:
    from workbench.db import redact

    where = shown_target(redact(target), root)
    question = f"Delete every row of the {schema} tables in {where} before seeding?"
    if as_json or not interactive():
        raise Refused(
            f"--truncate deletes every row of the {schema} tables in {where}, and there is no "
            "terminal to ask.",
            hint="Pass --yes to confirm.",
        )
    with asking():
        confirmed = typer.confirm(question, default=False)
    if not confirmed:
        raise Refused("not confirmed: nothing was deleted or seeded.")


@contextmanager
def _progress(*, enabled: bool) -> Iterator[OnProgress | None]:
    """A rich progress bar per table on a terminal; nothing otherwise."""
    shown = console(err=True)
    if not enabled or not shown.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:>20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=shown,
        transient=True,
    ) as bars:

        def on_progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bars.add_task(table, total=total)
            bars.update(tasks[table], completed=done)

        yield on_progress


def _render(report: SeedReport, root: Any) -> None:
    from rich.table import Table

    say(f"{report.schema}: seeded {shown_target(report.target, root)} (seed {report.seed})")
    if report.truncated:
        say(f"  emptied first: {', '.join(report.truncated)}", style="dim")
    table = Table(box=None, pad_edge=False)
    for name, justify in (("table", "left"), ("rows", "right"), ("seconds", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("rows/s", justify="right")
    for t in report.tables:
        capped = f" (of {t.requested:,} asked: the keys allow no more)" if t.requested else ""
        table.add_row(
            t.table, f"{t.rows:,}{capped}", f"{t.seconds:.2f}", f"{t.rows_per_second:,.0f}"
        )
    rate = report.total / report.seconds if report.seconds > 0 else 0.0
    table.add_row(
        "total", f"{report.total:,}", f"{report.seconds:.2f}", f"{rate:,.0f}", style="bold"
    )
    console().print(table)
    check = report.integrity
    if check is not None:
        how = "PRAGMA foreign_key_check" if report.backend == "sqlite" else "queries"
        say(
            f"integrity: {check.foreign_keys} foreign keys ({how}), {check.unique} unique and "
            f"{check.checks} check constraints hold"
            if check.ok
            else "integrity problems: " + "; ".join(check.problems),
            style="green" if check.ok else "red",
        )
    for name, rows in report.samples:
        _sample(name, rows)


def _sample(name: str, rows: tuple[dict[str, Any], ...]) -> None:
    from rich.table import Table

    if not rows:
        return
    table = Table(title=name, title_justify="left", pad_edge=False)
    for column in rows[0]:
        table.add_column(column, overflow="ellipsis", max_width=_CELL)
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    console().print(table)


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(getattr(value, "value", value))
    return text if len(text) <= _CELL else text[: _CELL - 3] + "..."
