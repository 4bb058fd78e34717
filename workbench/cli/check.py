"""`workbench check`: the CI gate, rendered as text, JSON, JUnit XML and GitHub annotations."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli._app import EXIT_FINDINGS, EXIT_OK, JsonOpt, app, config, emit_json, say
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.config import Config
    from workbench.results import CheckReport, CheckRun, Finding


@app.command()
def check(
    ctx: typer.Context,
    schemas: Annotated[
        list[str] | None,
        typer.Argument(
            help="Schemas to check (module names in schemas/), or changed files under schemas/ "
            "or migrations/ (as a pre-commit hook passes them).",
            show_default=False,
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Check every schema of the project.")] = False,
    against: Annotated[
        list[str] | None,
        typer.Option(
            "--against",
            help="Where scratch databases are made: `sqlite`, or a PostgreSQL server URL (its "
            "own database is only connected to). Repeat for several. Default: sqlite, plus "
            "$WORKBENCH_POSTGRES_URL when set.",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Also write the result as JUnit XML to this file (for CI test reports).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Prove that every revision goes down and up without a trace and without losing data.

    For each schema and backend, on scratch databases only: one head; every
    revision upgraded, downgraded (the schema must come back exactly: enum
    types, CHECKs, indexes, defaults) and upgraded again, with rows seeded
    before each step (rows of untouched tables must not change, renamed and
    widened columns keep their values); at head, no pending change against the
    models; and no lint error. Exit 0: all proven; 1: findings; 2: an error.
    With GITHUB_ACTIONS=true each finding is also an annotation on its file.

    Example: `workbench check --all --against sqlite --against postgresql://postgres@localhost/postgres`
    """
    from workbench.check import check as run_check

    cfg = config(ctx)
    if not schemas and not all_:
        raise WorkbenchError(
            "check needs the schemas to check.",
            hint="Name them (workbench check blog), or pass --all for every schema.",
        )
    progress = None if json else _progress(cfg)
    report = run_check(
        cfg, None if all_ else schemas, against=against, on_run=progress, on_progress=None
    )
    if junit is not None:
        write_junit(report, junit, cfg)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report, cfg):
            typer.echo(line, err=json)
    if json:
        emit_json(report.to_json())
    else:
        _summary(report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def _progress(cfg: Config) -> Callable[[CheckRun], None]:
    def show(run: CheckRun) -> None:
        _render_run(run, cfg)

    return show


def _render_run(run: CheckRun, cfg: Config) -> None:
    if run.skipped_backend:
        say(f"{run.schema} on {run.backend}: skipped ({run.skipped_backend})", style="dim")
        return
    errors = sum(f.severity == "error" for f in run.findings)
    warnings = len(run.findings) - errors
    verdict = "ok" if run.ok else f"{errors} error{'s' * (errors != 1)}"
    if warnings:
        verdict += f", {warnings} warning{'s' * (warnings != 1)}"
    count = len(run.chain)
    line = (
        f"{run.schema} on {run.backend}: {verdict}; {count} revision{'s' * (count != 1)}"
        f" (walked {run.walked}, proven {run.proven}, skipped {run.skipped};"
        f" {run.seconds:.1f} s)"
    )
    say(line, style="green" if run.ok and not warnings else ("yellow" if run.ok else "red"))
    if run.skipped and run.findings:
        say(
            f"  the walk stopped at revision {run.chain[run.walked]}: {run.skipped} revision"
            f"{'s' * (run.skipped != 1)} from there on not walked",
            style="dim",
        )
    for finding in run.findings:
        _render_finding(finding, cfg)
    for finding in run.ignored:
        where = cfg.rel(finding.path) + f":{finding.line}" if finding.path else ""
        say(
            f"  ignored {finding.code}  revision {finding.revision}  {where}: "
            f"{finding.message.partition(' Fix: ')[0]}",
            style="dim",
        )


def _render_finding(finding: Finding, cfg: Config) -> None:
    where = ""
    if finding.path is not None:
        where = cfg.rel(finding.path) + (f":{finding.line}" if finding.line else "")
    head = f"  {finding.severity} {finding.code}"
    if finding.revision:
        head += f"  revision {finding.revision}"
    if where:
        head += f"  {where}"
    say(head, style="red" if finding.severity == "error" else "yellow")
    message, _, fix = finding.message.partition(" Fix: ")
    say(f"    {message}")
    if fix:
        say(f"    Fix: {fix}", style="cyan")
    for detail in finding.details:
        say(f"      - {detail}", style="dim")


def _summary(report: CheckReport) -> None:
    if not report.runs:
        say("check: none of the given files belongs to a schema; nothing to check.")
        return
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = len(report.findings) - errors
    schemas = sorted({r.schema for r in report.runs})
    backends = sorted({r.backend for r in report.runs})
    scope = f"{len(schemas)} schema{'s' * (len(schemas) != 1)} on {' and '.join(backends)}"
    walked = sum(r.walked for r in report.runs)
    total = sum(len(r.chain) for r in report.runs if not r.skipped_backend)
    proven = sum(r.proven for r in report.runs)
    skipped = sum(r.skipped for r in report.runs if not r.skipped_backend)
    say()
    accepted = sum(len(r.ignored) for r in report.runs)
    say(
        f"revisions: {walked} of {total} walked, {proven} proven, {skipped} skipped"
        + (f"; {accepted} finding{'s' * (accepted != 1)} ignored by comment." if accepted else ".")
    )
    for run in report.runs:
        if run.skipped_backend:
            say(f"not checked: {run.schema} on {run.backend} (the schema does not support it).")
    if report.ok:
        tail = f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else ""
        say(f"check passed: {scope}{tail}.", style="bold green")
    else:
        say(
            f"check failed: {errors} error{'s' * (errors != 1)}"
            f"{f', {warnings} warning' + 's' * (warnings != 1) if warnings else ''} in {scope}.",
            style="bold red",
        )


# --- CI renderings ------------------------------------------------------------------------


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _shown_path(path: Path, cfg: Config) -> str:
    """A path as GitHub wants it: relative to the working folder (the checkout)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return cfg.rel(path)


def github_annotations(report: CheckReport, cfg: Config) -> list[str]:
    """One GitHub Actions workflow command per finding, on the revision file where known."""
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for f in report.findings:
        props = [f"title={_escape(f'{f.code} {f.schema} on {f.backend}', prop=True)}"]
        if f.path is not None:
            props.insert(0, f"file={_escape(_shown_path(f.path, cfg), prop=True)}")
            if f.line:
                props.insert(1, f"line={f.line}")
        lines.append(
            f"::{kinds.get(f.severity, 'warning')} {','.join(props)}::{_escape(f.message)}"
        )
    return lines


def write_junit(report: CheckReport, path: Path, cfg: Config) -> None:
    """Write ``report`` as JUnit XML: a suite per schema and backend, a case per revision."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="workbench check")
    total = failed = 0
    for run in report.runs:
        suite = ET.SubElement(
            root, "testsuite", name=f"{run.schema} ({run.backend})", time=f"{run.seconds:.3f}"
        )
        cases = ["history", *(f"revision {r}" for r in run.chain), "models"]
        by_case: dict[str, list[Finding]] = {name: [] for name in cases}
        for f in run.findings:
            by_case[_case_of(f, run.chain)].append(f)
        failures = 0
        for position, name in enumerate(cases, start=-1):
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"workbench.check.{run.schema}.{run.backend}",
                name=name,
                time="0",
            )
            errors = [f for f in by_case[name] if f.severity == "error"]
            for f in errors:
                failure = ET.SubElement(case, "failure", type=f.code, message=f.message)
                where = cfg.rel(f.path) + (f":{f.line}" if f.line else "") if f.path else ""
                failure.text = "\n".join([where, *f.details]).strip()
            others = [f for f in by_case[name] if f.severity != "error"]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{f.severity} {f.code}: {f.message}" for f in others)
            if 0 <= position < len(run.chain) and position >= run.checked and not errors:
                ET.SubElement(case, "skipped", message="not reached: the walk stopped earlier")
            failures += bool(errors)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        total += len(cases)
        failed += failures
    root.set("tests", str(total))
    root.set("failures", str(failed))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _case_of(finding: Finding, chain: tuple[str, ...]) -> str:
    if finding.revision in chain:
        return f"revision {finding.revision}"
    return "history" if finding.code in ("WB200", "WB201") else "models"


__all__ = ["check", "github_annotations", "write_junit"]
