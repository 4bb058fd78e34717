"""`workbench lint`: migration safety findings, read from the revisions without a database."""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli._app import EXIT_FINDINGS, JsonOpt, SchemaArg, app, config, emit_json, say

_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


@app.command()
def lint(
    ctx: typer.Context,
    schema: SchemaArg,
    revision: Annotated[
        str | None,
        typer.Option(
            "--revision",
            "-r",
            help="Only this revision's findings (an id, a unique prefix, or head).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Report what in the revisions can lose data, lock tables, or fail on one backend.

    Each revision's operations are read as Alembic sees them (no database is
    used) and checked by the rules listed in docs/lint.md. Silence one with a
    `# workbench: ignore[WB102]` comment on its line. Exits 1 when a finding is
    an error.

    Example: `workbench lint blog --revision head --json`
    """
    from workbench.lint import lint as run_lint

    cfg = config(ctx)
    report = run_lint(cfg, schema, revision)
    if json:
        emit_json(report.to_json())
    else:
        explained: set[str] = set()
        for f in report.findings:
            where = f"{cfg.rel(f.path)}:{f.line}" if f.path and f.line else (f.revision or "")
            backend = f" [{f.backend}]" if f.backend else ""
            say(f"{where}: {f.code} {f.severity}{backend}: {f.message}", style=_STYLE[f.severity])
            if f.code not in explained:  # the fix once per rule: the rest is repetition
                explained.add(f.code)
                for detail in f.details:
                    say(f"    {detail}", style="dim")
        counts = ", ".join(
            f"{report.count(s)} {s}{'' if report.count(s) == 1 or s == 'info' else 's'}"
            for s in ("error", "warning", "info")
        )
        read = len(report.revisions)
        revisions = f"{read} revision{'' if read == 1 else 's'}"
        if report.findings:
            say(f"{schema}: {counts} in {revisions}.")
        else:
            say(f"{schema}: no findings in {revisions}.")
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)
