"""Squash the start of a long history into one revision that builds the same schema.

A project with a hundred revisions replays all of them on every fresh install
and every CI run. ``squash(cfg, schema, to=REV)`` replaces the revisions from
base to ``REV`` with one revision, *keeping REV's id*: later revisions still
name it as their ``down_revision``, and a database at ``REV`` or past it sees
no change at all (its version table names a revision that still exists).

The squashed revision is the operations of the squashed revisions, in order,
written by Alembic's own renderer (the data migrations among them, ``INSERT``,
``UPDATE``, ``DELETE`` and ``bulk_insert``, are dropped and listed: a fresh
install has no rows for them to change). Its downgrade is theirs, newest first.

Nothing is kept unproved: on a copy of the history, on a scratch database of
every backend the schema supports, the squashed history must build the same
schema as the old one at ``REV`` (``check``'s snapshot equality), go down to an
empty database, and carry the later revisions to the same head.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import datetime
import re
import shutil
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.config import Config
from workbench.errors import RevisionError, WorkbenchError
from workbench.results import SquashResult

if TYPE_CHECKING:
    from alembic.script import Script

    from workbench.revisions import Capture, CapturedOp

_DATA = re.compile(r"^\s*(insert|update|delete|merge|copy|truncate)\b", re.I)
"""SQL that changes rows, not the schema."""

_BIND = re.compile(r"\bget_bind\s*\(|\bget_context\s*\(\s*\)\s*\.\s*(bind|connection)\b")
"""A revision that talks to the database directly."""

_TEMPLATE_IMPORTS = {
    "from collections.abc import Sequence",
    "import sqlalchemy as sa",
    "from alembic import op",
}


def squash(
    cfg: Config,
    schema: str,
    to: str,
    *,
    against: Sequence[str] | None = None,
    message: str | None = None,
) -> SquashResult:
    """Replace the revisions from base to ``to`` with one revision that keeps ``to``'s id.

    Args:
        cfg: the project.
        schema: the schema's name.
        to: the last revision squashed (an id or a unique prefix; not ``head``
            unless the whole history is meant).
        against: where to prove it, as ``generate --against`` takes it (default:
            SQLite, plus ``$WORKBENCH_POSTGRES_URL`` when set).
        message: the squashed revision's message.

    Raises:
        RevisionError: an unknown revision, a range with a merge or a branch, a
            revision that cannot be read without a database, or one revision only.
        WorkbenchError: the squashed history does not build the same schema on
            a backend (nothing is changed).

    Example:
        >>> squash(Config.at("."), "blog", "3f2a9c1b7d4e")  # doctest: +SKIP
    """
    from workbench.revisions import script_directory
    from workbench.runtime import proving_targets

    scripts = script_directory(cfg, schema)
    chain = _chain(scripts, schema, to)
    last = chain[-1]
    # Revisions may do different things per backend (`if op.get_context().dialect.name ==
    # "postgresql":` around enum DDL, as generate writes it): read them once per dialect.
    readings = {dialect: _operations(chain, dialect) for dialect in ("postgresql", "sqlite")}
    dropped = readings["postgresql"][2]
    text = _render(cfg, schema, chain, readings, message)
    versions = Path(last.path).parent
    name = f"{datetime.date.today():%Y_%m_%d}_{last.revision}_squashed.py"
    with contextlib.ExitStack() as stack:
        targets, unproved = proving_targets(cfg, schema, against, stack)
        proof = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="workbench-squash-")))
        proof_cfg = _copy(cfg, schema, proof, chain, name, text)
        for backend, source in targets:
            _prove(cfg, proof_cfg, schema, last.revision, backend, source)
    removed = [Path(s.path) for s in chain]
    target = versions / name
    from workbench.files import write_atomic

    write_atomic(target, text)
    for path in removed:
        if path != target:
            path.unlink(missing_ok=True)
            _drop_bytecode(path)
    return SquashResult(
        schema=schema,
        revision=last.revision,
        path=target,
        removed=tuple(s.revision for s in chain),
        dropped=tuple(dropped),
        backends=tuple(b for b, _ in targets),
        unproved=tuple(unproved),
    )


def _chain(scripts: Any, schema: str, to: str) -> list[Script]:
    """The revisions from base to ``to``, oldest first: one straight line, or an error."""
    from workbench.runtime import find_revision

    found = find_revision(scripts, to)
    if found is None:
        raise RevisionError(
            f"schema {schema!r} has no revision {to!r}.",
            hint="Name a revision of `workbench history " + schema + "`.",
        )
    chain: list[Script] = []
    current: Script | None = found
    while current is not None:
        down = current.down_revision
        if isinstance(down, tuple | list) and len(down) > 1:
            raise RevisionError(
                f"revision {current.revision} merges branches; squash cannot flatten a merge.",
                hint="Squash to a revision before the branches split.",
            )
        chain.append(current)
        parent = down[0] if isinstance(down, tuple | list) else down
        current = scripts.get_revision(parent) if parent else None
    chain.reverse()
    for script in chain[:-1]:
        children = script.nextrev
        if len(children) > 1:
            raise RevisionError(
                f"revision {script.revision} has several children ({', '.join(sorted(children))}); "
                "squashing past a branch point would strand the other branch.",
                hint="Squash to a revision before the branch point.",
            )
    if len(chain) < 2:
        raise RevisionError(
            f"revision {found.revision} is the first of {schema!r}: there is nothing to squash.",
            hint="Name a later revision: squash replaces base .. REV with one revision.",
        )
    return chain


def _operations(chain: list[Script], dialect: str) -> tuple[list[Any], list[Any], list[str]]:
    """The schema operations of ``chain`` as ``dialect`` runs them (upgrades in order,
    downgrades newest first) and the data migrations left out, one line each."""
    from workbench.revisions import capture

    ups: list[CapturedOp] = []
    downs: list[CapturedOp] = []
    dropped: list[str] = []
    for script in chain:
        up = capture(script, "upgrade", dialect)
        _readable(up, script)
        ups.extend(_schema_only(up, dropped))
    for script in reversed(chain):
        down = capture(script, "downgrade", dialect)
        _readable(down, script)
        downs.extend(_schema_only(down, []))
    return _grouped(ups), _grouped(downs), dropped


def _readable(captured: Capture, script: Script) -> None:
    source = Path(script.path).read_text(encoding="utf-8")
    if _BIND.search(source):
        # What runs through the connection is invisible offline: fail closed.
        raise RevisionError(
            f"revision {script.revision} ({Path(script.path).name}) runs statements through "
            "op.get_bind(), which squash cannot read without a database, so its operations "
            "cannot be squashed.",
            hint="Squash to a revision before it.",
        )
    if captured.error:
        raise RevisionError(
            f"revision {script.revision} ({Path(script.path).name}) cannot be read without a "
            f"database ({captured.error}), so its operations cannot be squashed.",
            hint="Squash to a revision before it.",
        )


def _schema_only(captured: Capture, dropped: list[str]) -> list[CapturedOp]:
    kept = []
    for item in captured.ops:
        op: Any = item.op
        kind = item.kind
        if kind == "bulk_insert" or (kind == "execute" and _DATA.match(_sql(op))):
            where = f"{Path(captured.path).name}:{item.line}" if item.line else captured.path.name
            summary = " ".join(_sql(op).split())[:80] if kind == "execute" else "bulk_insert"
            dropped.append(f"revision {captured.revision} ({where}): {summary}")
            continue
        kept.append(item)
    return kept


def _sql(op: Any) -> str:
    return str(getattr(op, "sqltext", ""))


def _grouped(items: list[CapturedOp]) -> list[Any]:
    """Operations of ``batch_alter_table`` blocks put back into their blocks."""
    from alembic.operations import ops as alembic_ops

    out: list[Any] = []
    for item in items:
        if item.batch is None:
            out.append(item.op)
            continue
        schema = getattr(item.op, "schema", None)
        last = out[-1] if out else None
        if isinstance(last, alembic_ops.ModifyTableOps) and last.table_name == item.batch:
            last.ops.append(item.op)
        else:
            out.append(alembic_ops.ModifyTableOps(item.batch, [item.op], schema=schema))
    return out


def _render(
    cfg: Config,
    schema: str,
    chain: list[Script],
    readings: dict[str, tuple[list[Any], list[Any], list[str]]],
    message: str | None,
) -> str:
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops as alembic_ops
    from alembic.runtime.migration import MigrationContext
    from alembic.util import format_as_comma, template_to_file

    import workbench.ops  # noqa: F401  (renders the enum operations)
    from workbench.autogen import render_item

    def code(dialect: str, direction: int) -> str:
        ops: list[Any] = list(readings[dialect][direction])
        if not ops:
            return "pass"
        container = alembic_ops.UpgradeOps if direction == 0 else alembic_ops.DowngradeOps
        return render_python_code(
            container(ops=ops),
            render_as_batch=True,
            render_item=render_item,  # type: ignore[arg-type]
            migration_context=MigrationContext.configure(dialect_name=dialect),
        )

    def per_backend(direction: int) -> str:
        on_postgresql, elsewhere = code("postgresql", direction), code("sqlite", direction)
        if on_postgresql == elsewhere:
            return on_postgresql
        # The template indents the first line; the renderer indents the others itself.
        lines = [
            'if op.get_context().dialect.name == "postgresql":',
            *textwrap.indent(textwrap.dedent("    " + on_postgresql), "    ").splitlines(),
            "else:",
            *textwrap.indent(textwrap.dedent("    " + elsewhere), "    ").splitlines(),
        ]
        return "\n".join([lines[0], *(f"    {line}" if line.strip() else "" for line in lines[1:])])

    upgrades, downgrades = per_backend(0), per_backend(1)
    first, last = chain[0], chain[-1]
    text = message or (
        f"squashed: {len(chain)} revisions, {first.revision} (base) to {last.revision}"
    )
    imports = _imports(chain)
    template = cfg.migrations_path(schema) / "script.py.mako"
    with tempfile.TemporaryDirectory(prefix="workbench-squash-") as folder:
        out = Path(folder) / "squashed.py"
        template_to_file(
            str(template),
            str(out),
            "utf-8",
            up_revision=last.revision,
            down_revision=None,
            branch_labels=None,
            depends_on=None,
            create_date=datetime.datetime.now(),
            comma=format_as_comma,
            message=text,
            imports="\n".join(imports),
            upgrades=upgrades,
            downgrades=downgrades,
        )
        return out.read_text(encoding="utf-8")


def _imports(chain: list[Script]) -> list[str]:
    """The module-level imports of the squashed files (their types and operations need them)."""
    found: list[str] = []
    for script in chain:
        source = Path(script.path).read_text(encoding="utf-8")
        for node in ast.parse(source).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                line = ast.get_source_segment(source, node) or ""
                line = " ".join(line.split())
                if line and line not in _TEMPLATE_IMPORTS and line not in found:
                    found.append(line)
    return found


def _copy(
    cfg: Config, schema: str, proof: Path, chain: list[Script], name: str, text: str
) -> Config:
    """A copy of the schema's script directory with the squash applied, and a config for it."""
    location = proof / "migrations" / schema
    shutil.copytree(
        cfg.migrations_path(schema), location, ignore=shutil.ignore_patterns("__pycache__")
    )
    source = cfg.migrations_path(schema)
    for script in chain:
        (location / Path(script.path).relative_to(source)).unlink()
    (location / "versions" / name).write_text(text, encoding="utf-8")
    return dataclasses.replace(cfg, migrations_dir=proof / "migrations")


def _prove(
    cfg: Config, proof_cfg: Config, schema: str, revision: str, backend: str, source: str
) -> None:
    """The squashed history builds what the old one builds, at ``revision`` and at head."""
    from workbench.migrate import downgrade, upgrade
    from workbench.snapshot import diff, take

    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    where = names.get(backend, backend)

    def built(config: Config, url: str, to: str) -> Any:
        upgrade(config, schema, to, url=url, yes=True)
        with db.connect(url) as conn:
            return take(conn)

    with db.scratch(source) as old_url, db.scratch(source) as new_url:
        try:
            expected = built(cfg, old_url, revision)
            found = built(proof_cfg, new_url, revision)
            problems = diff(expected, found)
            if not problems:
                downgrade(proof_cfg, schema, "base", url=new_url, yes=True)
                with db.connect(new_url) as conn:
                    left = take(conn).table_names
                if left:
                    problems = [f"its downgrade to base leaves {', '.join(left)}"]
            if not problems:
                problems = diff(built(cfg, old_url, "heads"), built(proof_cfg, new_url, "heads"))
                problems = [f"at head: {p}" for p in problems]
        except WorkbenchError as exc:
            problems = [exc.text]
    if problems:
        raise WorkbenchError(
            f"the squashed revision does not build the same schema as the revisions it would "
            f"replace, on {where}: {'; '.join(problems[:3])}. Nothing was changed.",
            hint="Squash to an earlier revision, or report the revisions that caused it.",
        )


def _drop_bytecode(source: Path) -> None:
    cache = source.parent / "__pycache__"
    if cache.is_dir():
        for compiled in cache.glob(f"{source.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)
