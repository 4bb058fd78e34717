"""The entry point of ``workbench check``: every schema on every backend.

See :mod:`workbench.check` for what it proves.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

from workbench import db, pgschemas
from workbench.check.codes import make_finding
from workbench.check.history import History, on_backend
from workbench.check.targets import backend_of, default_against, resolve_schemas
from workbench.check.walk import StepProgress, Walk
from workbench.config import Config
from workbench.errors import ModelDefect, WorkbenchError
from workbench.loader import Schema, load_schema
from workbench.results import CheckReport, CheckRun, Finding

T = TypeVar("T")


def check(
    cfg: Config,
    schemas: Sequence[str] | None = None,
    *,
    against: Sequence[str] | None = None,
    on_progress: StepProgress | None = None,
    on_run: Callable[[CheckRun], None] | None = None,
) -> CheckReport:
    """Prove that every revision of ``schemas`` round-trips on every backend in ``against``.

    Args:
        cfg: the project.
        schemas: schema names, or paths of files in ``schemas/`` or
            ``migrations/`` (a pre-commit hook passes the changed files; paths
            that belong to no schema are ignored); ``None`` for every schema.
        against: ``sqlite`` and/or PostgreSQL server URLs on which scratch
            databases are made; default :func:`default_against`.
        on_progress: called as each schema's walk advances.
        on_run: called with each schema and backend's result as it is done.

    Example:
        >>> check(Config.at("."), ["blog"], against=["sqlite"]).ok  # doctest: +SKIP
        True
    """
    targets = list(against) if against else default_against()
    for target in targets:
        backend_of(target)
    names = resolve_schemas(cfg, schemas)
    runs: list[CheckRun] = []
    for name in names:
        history = History.read(cfg, name)
        concurrent = len(targets) > 1 and on_progress is None and _can_fork()
        # One target: lint (pure CPU) reads the history in a forked process while this one
        # loads the models and walks; several: before the walks fork, which inherit it.
        lint_later = (
            _forked(functools.partial(_lint, cfg, name))
            if history.walkable and len(targets) == 1 and _can_fork()
            else None
        )
        defects: list[ModelDefect] = []
        models = load_schema(cfg, name, defects=defects) if history.walkable else None
        lint: list[Finding] | Callable[[], list[Finding]] = lint_later or (
            _lint(cfg, name) if history.walkable else []
        )
        on = functools.partial(_run_one, cfg, name, history, models, lint)
        others = (
            [_forked(functools.partial(on, t, None, defects)) for t in targets[1:]]
            if concurrent
            else []
        )
        first = on(targets[0], on_progress, defects)
        done = [first] + (
            [other() for other in others]
            if concurrent
            else [on(t, on_progress, defects) for t in targets[1:]]
        )
        for run in done:  # in the order of --against, whichever finished first
            if on_run is not None:
                on_run(run)
            runs.append(run)
    return CheckReport(tuple(runs))


def _can_fork() -> bool:
    import multiprocessing
    import os

    return "fork" in multiprocessing.get_all_start_methods() and not os.environ.get(
        "WORKBENCH_CHECK_SERIAL"
    )


def _forked(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` in a forked process now; the returned function waits for its result.

    Each backend's walk runs in its own process: Alembic's ``op`` and
    ``context`` are module-wide proxies, so two walks cannot share one
    interpreter. A fork inherits the history and models already loaded; the
    result (frozen dataclasses) comes back pickled. A child that cannot send
    its result (killed, or an error that does not pickle) is an error here.
    """
    import multiprocessing
    import pickle

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            outcome: tuple[str, object] = ("ok", work())
        except BaseException as exc:  # sent to the parent, which raises it there
            outcome = ("error", exc)
        try:
            send.send(outcome)
        except (pickle.PicklingError, TypeError, AttributeError):
            send.send(("error", WorkbenchError(f"check failed in a worker: {outcome[1]!r}")))

    process = ctx.Process(target=child, daemon=True)
    process.start()
    send.close()

    def result() -> T:
        try:
            kind, value = receive.recv()
        except EOFError:
            process.join()
            raise WorkbenchError(
                f"a check worker ended without a result (exit code {process.exitcode}).",
                hint="Run again with WORKBENCH_CHECK_SERIAL=1 to walk the backends one by one.",
            ) from None
        finally:
            receive.close()
        process.join()
        if kind == "error":
            assert isinstance(value, BaseException)
            raise value
        return cast(T, value)

    return result


def _run_one(
    cfg: Config,
    name: str,
    history: History,
    models: Schema | None,
    lint: list[Finding] | Callable[[], list[Finding]],
    target: str,
    on_progress: StepProgress | None,
    defects: Sequence[ModelDefect] = (),
) -> CheckRun:
    """Schema ``name`` on one ``--against`` target."""
    started = time.perf_counter()
    backend = backend_of(target)
    supported = cfg.backends(name)
    chain = tuple(s.revision for s in history.chain)
    shown = "sqlite" if target == "sqlite" else db.redact(target)
    if backend not in supported:
        return CheckRun(
            schema=name,
            backend=backend,
            target=shown,
            chain=chain,
            checked=0,
            seconds=time.perf_counter() - started,
            skipped_backend=(
                f"schema {name!r} supports only {', '.join(supported)} "
                f"([tool.workbench.schema.{name}] backends): not checked on {backend}"
            ),
        )
    if models is not None:
        pgschemas.require_postgresql_only(name, models.metadata, supported)
    findings = list(history.findings_for(backend))
    # Every defect is said on every backend walked (a PostgreSQL-only one too, when only
    # SQLite is checked); the comparison at head is left out where the models fail.
    findings += [_defect_finding(name, backend, d) for d in defects]
    here = [d for d in defects if backend in d.backends]
    reached = 0
    walked: set[int] = set()
    accepted: list[Finding] = []
    if models is not None:
        one = Walk(cfg, name, models, history, target, on_progress, compare_models=not here)
        one.run()
        findings += one.findings
        reached = one.done
        walked = one.walked
        accepted = one.ignored
        linted = lint() if callable(lint) else lint
        findings += [on_backend(f, backend) for f in linted if f.backend in ("", backend)]
    failed = {f.revision for f in findings if f.severity == "error" and f.revision}
    return CheckRun(
        schema=name,
        backend=backend,
        target=shown,
        chain=chain,
        checked=reached,
        seconds=time.perf_counter() - started,
        findings=tuple(findings),
        walked=len(walked),
        proven=sum(1 for i in walked if chain[i] not in failed),
        ignored=tuple(accepted),
    )


def _defect_finding(schema: str, backend: str, defect: ModelDefect) -> Finding:
    """WB212: the models cannot be created on a supported backend; the walk goes on."""
    skipped = (
        " They were not compared with the history at head on this backend."
        if backend in defect.backends
        else ""
    )
    return make_finding(
        "WB212",
        schema,
        f"the models of {schema!r} cannot be created on {' and '.join(defect.backends)}: "
        f"{defect.problem}{skipped}",
        defect.hint,
        backend=backend,
        path=Path(defect.path) if defect.path else None,
        line=defect.line,
    )


def _lint(cfg: Config, schema: str) -> list[Finding]:
    """Lint's findings of severity error: the fifth proof."""
    from workbench.lint import lint_revisions

    return [f for f in lint_revisions(cfg, schema) if f.severity == "error"]
