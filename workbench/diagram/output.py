"""The entry points: choose the source, the view and the formats, then write or check files.

:func:`diagram` draws one schema, :func:`diagram_all` the committed diagrams of
every schema; with ``check`` they compare instead of writing. Markdown
injection and the system viewer live here too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.config import Config
from workbench.diagram.cache import from_models
from workbench.diagram.dot import to_dot
from workbench.diagram.drawing import digest, draw, svg_digest
from workbench.diagram.mermaid import to_mermaid
from workbench.diagram.model import ErModel, Format
from workbench.diagram.pending import pending_changes
from workbench.diagram.sources import (
    MODELS,
    at_revision,
    named_schemas,
    reflect,
    require_database,
    resolve_revision,
)
from workbench.diagram.views import confirmed, diff_models, select
from workbench.errors import WorkbenchError
from workbench.files import write_atomic
from workbench.results import DiagramOutput, DiagramResult, DiagramStatus
from workbench.revisions import list_revisions

FORMATS: tuple[Format, ...] = ("svg", "png", "pdf", "mermaid", "dot")
EXTENSIONS: dict[Format, str] = {
    "svg": "svg",
    "png": "png",
    "pdf": "pdf",
    "mermaid": "mmd",
    "dot": "dot",
}
COMMITTED: tuple[Format, ...] = ("svg", "mermaid")
"""The formats kept in ``diagrams/`` and verified by ``diagram --all --check``."""
TEXT_FORMATS: tuple[Format, ...] = ("svg", "mermaid", "dot")
_ALIASES: dict[str, Format] = {"mmd": "mermaid", "gv": "dot", "md": "mermaid"}

# --- Markdown injection ------------------------------------------------------------------


def _markers_for(schema: str) -> tuple[str, str]:
    return f"<!-- workbench:diagram {schema} -->", f"<!-- /workbench:diagram {schema} -->"


def inject(markdown: str, schema: str, mermaid: str) -> str:
    """``markdown`` with the Mermaid diagram of ``schema`` between its marker comments.

    The markers are ``<!-- workbench:diagram SCHEMA -->`` and
    ``<!-- /workbench:diagram SCHEMA -->``; without them the block is appended.
    """
    begin, end = _markers_for(schema)
    block = f"{begin}\n```mermaid\n{mermaid.rstrip()}\n```\n{end}"
    start = markdown.find(begin)
    stop = markdown.find(end, start + len(begin)) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        return markdown[:start] + block + markdown[stop + len(end) :]
    if start >= 0:
        raise WorkbenchError(
            f"the Markdown file has {begin} but no {end} after it.",
            hint="Add the closing marker where the diagram should end, or remove the opening one.",
        )
    separator = (
        ""
        if not markdown or markdown.endswith("\n\n")
        else ("\n" if markdown.endswith("\n") else "\n\n")
    )
    return markdown + separator + block + "\n"


def injected(markdown: str, schema: str) -> str | None:
    """The Mermaid text between ``schema``'s markers in ``markdown`` (``None`` without them)."""
    begin, end = _markers_for(schema)
    match = re.search(
        re.escape(begin) + r"\n```mermaid\n(.*?)```\n" + re.escape(end), markdown, re.S
    )
    return match.group(1) if match else None


# --- the entry points --------------------------------------------------------------------


@dataclass(frozen=True)
class _Artifact:
    fmt: Format
    path: Path | None


def parse_format(value: str | None) -> Format | None:
    """``value`` as a format (``mmd`` is ``mermaid``); a ``WorkbenchError`` naming the formats."""
    if value is None:
        return None
    lowered = value.strip().lower().lstrip(".")
    if lowered in FORMATS:
        return lowered
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    raise WorkbenchError(
        f"unknown diagram format {value!r}.",
        hint="Choose one of: " + ", ".join(FORMATS) + " (svg is the default).",
    )


def default_path(cfg: Config, schema: str, fmt: Format, variant: str = "") -> Path:
    """``diagrams/<schema>.<ext>``, or ``diagrams/<schema>.<variant>.<ext>`` for another view."""
    return cfg.diagrams_dir / default_path_name(schema, fmt, variant)


def default_path_name(schema: str, fmt: Format, variant: str = "") -> str:
    """The file name of :func:`default_path`."""
    stem = f"{schema}.{variant}" if variant else schema
    return f"{stem}.{EXTENSIONS[fmt]}"


def diagram(
    cfg: Config,
    schema: str,
    *,
    fmt: str | None = None,
    out: Path | str | None = None,
    url: str | None = None,
    revision: str | None = None,
    diff: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    keys_only: bool = False,
    focus: str | None = None,
    depth: int = 1,
    inject_into: Path | None = None,
    check: bool = False,
    formats: Sequence[str] = (),
    open_viewer: bool = False,
) -> DiagramResult:
    """Draw the ER diagram of ``schema``, or with ``check`` verify the one already drawn.

    The source is the models, else the live database at ``url``, else the
    schema at ``revision``, else the change between two revisions (``diff``,
    ``A..B``, where either side may be ``models``). The default output is
    ``diagrams/<schema>.<ext>``; a database, revision, change or narrowed view
    goes to ``diagrams/<schema>.<variant>.<ext>`` so it never overwrites the
    committed diagram of the models.

    Args:
        cfg: the project.
        schema: the schema's name.
        fmt: ``svg`` (default), ``png``, ``pdf``, ``mermaid`` or ``dot``; taken
            from ``out``'s extension when not given.
        out: where to write; ``-`` returns a text format in the result instead.
        url: draw this live database instead of the models.
        revision: draw the schema as this revision leaves it.
        diff: ``A..B``: draw B with what changed since A marked.
        include: table globs to keep.
        exclude: table globs to leave out.
        keys_only: only key columns, no constraint list.
        focus: only this table and its neighbours within ``depth`` hops.
        depth: the radius of ``focus``.
        inject_into: also write (or with ``check`` verify) the Mermaid diagram
            between marker comments in this Markdown file.
        check: compare instead of writing; stale outputs are reported, nothing is written.
        formats: several formats at once (``diagram --all`` uses svg and mermaid).
        open_viewer: open the first image written in the system viewer.

    Example:
        >>> diagram(Config.at("."), "blog", fmt="png")  # doctest: +SKIP
    """
    chosen = _formats(
        fmt, out, formats, inject_only=inject_into is not None and not (fmt or out or formats)
    )
    model, variant = _model(cfg, schema, url=url, revision=revision, diff=diff)
    model = select(
        model, include=include, exclude=exclude, focus=focus, depth=depth, keys_only=keys_only
    )
    if include or exclude or focus or keys_only:
        variant = ".".join(v for v in (variant, "view") if v)
    artifacts = [_Artifact(f, _target(cfg, schema, f, out, variant)) for f in chosen]
    dot = to_dot(model)
    mermaid = to_mermaid(model) if any(a.fmt == "mermaid" for a in artifacts) or inject_into else ""
    outputs = [
        _check_one(a, dot, mermaid) if check else _write_one(a, dot, mermaid) for a in artifacts
    ]
    if inject_into is not None:
        outputs.append(_inject_one(inject_into, schema, mermaid, check=check))
    opened, notes = _open_first(outputs) if open_viewer and not check else (None, ())
    return DiagramResult(
        schema=schema,
        source=model.source,
        tables=len(model.tables),
        relationships=model.relationships,
        outputs=tuple(outputs),
        opened=opened,
        notes=notes,
    )


def _open_first(outputs: Sequence[DiagramOutput]) -> tuple[str | None, tuple[str, ...]]:
    """Open the first image written; the viewer's name, and a note when there is none."""
    image = next((o.path for o in outputs if o.path is not None and o.format != "markdown"), None)
    if image is None:
        return None, ()
    opened = open_file(image)
    if opened is None:
        return None, ("no viewer found" + ("" if _has_display() else " (no display)"),)
    return opened, ()


def diagram_all(
    cfg: Config, *, fmt: str | None = None, check: bool = False, inject_into: Path | None = None
) -> tuple[DiagramResult, ...]:
    """Draw (or with ``check`` verify) the committed diagrams of every schema of the project.

    Without ``fmt`` these are ``diagrams/<schema>.svg`` and ``diagrams/<schema>.mmd``.
    """
    names = cfg.schema_names()
    if not names:
        raise WorkbenchError(
            f"the project has no schemas: {cfg.rel(cfg.schemas_dir)}/ holds no module.",
            hint="Add a schema module first (see `workbench init`).",
        )
    formats: Sequence[str] = ()
    if fmt:
        formats = (fmt,)
    elif inject_into is None:
        formats = COMMITTED
    return tuple(
        diagram(cfg, name, formats=formats, check=check, inject_into=inject_into) for name in names
    )


def _formats(
    fmt: str | None, out: Path | str | None, formats: Sequence[str], *, inject_only: bool
) -> list[Format]:
    if inject_only:
        return []
    if formats:
        return [f for f in (parse_format(x) for x in formats) if f is not None]
    chosen = parse_format(fmt)
    if chosen is None and out is not None and str(out) != "-":
        suffix = Path(out).suffix
        chosen = parse_format(suffix) if suffix else None
    return [chosen or "svg"]


def _target(
    cfg: Config, schema: str, fmt: Format, out: Path | str | None, variant: str
) -> Path | None:
    if out is None:
        return default_path(cfg, schema, fmt, variant)
    if str(out) == "-":
        if fmt not in TEXT_FORMATS:
            raise WorkbenchError(
                f"--out - prints the diagram, and {fmt} is not text.",
                hint="Print svg, mermaid or dot, or give --out a file name.",
            )
        return None
    path = Path(out)
    if path.is_dir():
        raise WorkbenchError(
            f"--out {out} is a directory; --out takes the diagram's file name.",
            hint=f"For example --out {(path / default_path_name(schema, fmt, variant)).as_posix()}"
            ".",
        )
    return path


def _model(
    cfg: Config, schema: str, *, url: str | None, revision: str | None, diff: str | None
) -> tuple[ErModel, str]:
    given = [
        name
        for name, value in (("--url", url), ("--revision", revision), ("--diff", diff))
        if value
    ]
    if len(given) > 1:
        raise WorkbenchError(
            f"{' and '.join(given)} are different sources; a diagram draws one.",
            hint="Keep one of them.",
        )
    cfg.schema_path(schema)  # an unknown schema is reported with the known ones
    if url:
        require_database(url)
        return reflect(url, schema=schema, named=named_schemas(cfg, schema)), "db"
    if revision:
        model = at_revision(cfg, schema, revision)
        return model, _safe_variant(revision)
    if diff:
        old_rev, new_rev = _split_diff(diff)
        old = _side(cfg, schema, old_rev)
        new = _side(cfg, schema, new_rev)
        source = f"changes from {_side_label(old)} to {_side_label(new)}"
        change = diff_models(old, new, source=source)
        if _models_against_head(cfg, schema, old_rev, new_rev):
            # What generate would write is the change; the rest is two sources' wording.
            change = confirmed(change, pending_changes(cfg, schema))
        return change, "diff"
    return from_models(cfg, schema), ""


def _split_diff(diff: str) -> tuple[str, str]:
    old, sep, new = diff.partition("..")
    if not sep or not old.strip() or not new.strip():
        raise WorkbenchError(
            f"--diff {diff!r} is not a range.",
            hint="Write it as REV_A..REV_B (revision ids, head, base, or models), "
            "for example --diff base..head or --diff head..models.",
        )
    return old.strip(), new.strip()


def _models_against_head(cfg: Config, schema: str, old: str, new: str) -> bool:
    """One side is the models and the other the head revision: what ``generate`` compares."""
    if (old == MODELS) == (new == MODELS):
        return False
    other = new if old == MODELS else old
    chain = list_revisions(cfg, schema)
    head = chain[-1].id if chain else None
    return resolve_revision(cfg, schema, other) == head


def _side(cfg: Config, schema: str, revision: str) -> ErModel:
    return from_models(cfg, schema) if revision == MODELS else at_revision(cfg, schema, revision)


def _side_label(model: ErModel) -> str:
    return model.source.removeprefix("revision ")


def _safe_variant(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]+", "_", text)


def _write_one(artifact: _Artifact, dot: str, mermaid: str) -> DiagramOutput:
    fmt, path = artifact.fmt, artifact.path
    if fmt in ("mermaid", "dot"):
        text = mermaid if fmt == "mermaid" else dot
        if path is None:
            return DiagramOutput(fmt, None, "printed", text=text)
        status: DiagramStatus = "unchanged" if _read(path) == text else "written"
        if status == "written":
            write_atomic(path, text.encode("utf-8"))
        return DiagramOutput(fmt, path, status)
    if fmt == "svg" and path is not None and svg_digest(path) == digest(dot):
        # Already drawn from this very DOT (maybe on a machine with other fonts):
        # redrawing would only churn coordinates.
        return DiagramOutput(fmt, path, "unchanged")
    data, note = draw(dot, fmt)
    if path is None:
        return DiagramOutput(fmt, None, "printed", text=data.decode("utf-8"))
    write_atomic(path, data)
    return DiagramOutput(fmt, path, "written", detail=note)


def _check_one(artifact: _Artifact, dot: str, mermaid: str) -> DiagramOutput:
    fmt, path = artifact.fmt, artifact.path
    if fmt not in TEXT_FORMATS:
        raise WorkbenchError(
            f"--check compares text diagrams, and {fmt} is an image.",
            hint="Check the svg, mermaid or dot output instead (`workbench diagram --all --check` "
            "checks the committed svg and mermaid files).",
        )
    if path is None:
        raise WorkbenchError("--check needs a file to compare, not --out -.")
    if not path.exists():
        return DiagramOutput(fmt, path, "missing", detail="it has not been drawn yet")
    if fmt == "svg":
        fresh = svg_digest(path) == digest(dot)
    else:
        fresh = _read(path) == (mermaid if fmt == "mermaid" else dot)
    if fresh:
        return DiagramOutput(fmt, path, "fresh")
    return DiagramOutput(fmt, path, "stale", detail="the schema changed since it was drawn")


def _inject_one(path: Path, schema: str, mermaid: str, *, check: bool) -> DiagramOutput:
    current = _read(path)
    if check:
        if current is None:
            return DiagramOutput("markdown", path, "missing", detail="the file does not exist")
        block = injected(current, schema)
        if block is None:
            return DiagramOutput(
                "markdown", path, "missing", detail=f"it has no diagram block for {schema}"
            )
        if block.rstrip("\n") == mermaid.rstrip("\n"):
            return DiagramOutput("markdown", path, "fresh")
        return DiagramOutput(
            "markdown", path, "stale", detail=f"its {schema} diagram block is out of date"
        )
    updated = inject(current or "", schema, mermaid)
    if updated == current:
        return DiagramOutput("markdown", path, "unchanged")
    write_atomic(path, updated.encode("utf-8"))
    return DiagramOutput("markdown", path, "written")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


# --- the system viewer -------------------------------------------------------------------


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_file(path: Path) -> str | None:
    """Open ``path`` in the system viewer; the viewer's name, or ``None`` when there is none.

    Windows uses the file's associated program, macOS ``open``, other systems
    ``xdg-open`` when a display (``$DISPLAY`` or ``$WAYLAND_DISPLAY``) is set.
    """
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        os.startfile(str(path))
        return "the default viewer"
    command = "open" if sys.platform == "darwin" else "xdg-open"
    found = shutil.which(command)
    if found is None or not _has_display():
        return None
    subprocess.Popen(
        [found, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return command
