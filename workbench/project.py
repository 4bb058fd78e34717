"""Make a new workbench project, or complete one, without touching what exists."""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from workbench.config import STATE_DIR, SchemaSpec
from workbench.envscan import read_env_py
from workbench.errors import ProjectError
from workbench.files import write_atomic
from workbench.results import AdoptedSchema, AdoptResult, InitResult

WORKBENCH_TABLE = """
[tool.workbench]
# One module per schema, one Alembic script directory per schema, committed diagrams.
schemas = "schemas"
migrations = "migrations"
diagrams = "diagrams"
# Target databases (default: a SQLite file per schema under .workbench/).
# url = "postgresql://app@localhost/app"
# [tool.workbench.urls]
# blog = "postgresql://app:${BLOG_DB_PASSWORD}@localhost/blog"
"""


def init(directory: Path) -> InitResult:
    """Make ``directory`` a workbench project; a second run adds only what is missing.

    Creates ``pyproject.toml`` (or adds ``[tool.workbench]`` to an existing one),
    ``schemas/`` with one commented example schema, ``migrations/``,
    ``diagrams/`` and a ``.gitignore`` entry for ``.workbench/``.

    Example:
        >>> init(Path("shop"))  # doctest: +SKIP
    """
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{directory} exists and is not a directory.")
    root.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    kept: list[Path] = []

    pyproject = root / "pyproject.toml"
    if not pyproject.exists():
        pyproject.write_text(
            f'[project]\nname = "{_project_name(root)}"\nversion = "0.1.0"\n'
            'requires-python = ">=3.11"\n' + WORKBENCH_TABLE,
            encoding="utf-8",
        )
        created.append(pyproject)
    else:
        try:
            text = pyproject.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ProjectError(
                f"{pyproject} is not UTF-8 text (byte {exc.start}: {exc.reason}); init leaves "
                "it alone.",
                hint="TOML files are UTF-8: save it as UTF-8, then run `workbench init` again.",
            ) from None
        data = _parse_toml(pyproject, text, "workbench init")
        if isinstance(data.get("tool", {}).get("workbench"), dict):
            kept.append(pyproject)
        else:
            pyproject.write_text(text.rstrip("\n") + "\n" + WORKBENCH_TABLE, encoding="utf-8")
            created.append(pyproject)

    for folder in ("schemas", "migrations", "diagrams"):
        path = root / folder
        if path.is_dir():
            kept.append(path)
        else:
            path.mkdir(parents=True)
            created.append(path)

    example = root / "schemas" / "example.py"
    schemas_present = any(p.suffix == ".py" for p in (root / "schemas").iterdir())
    if not schemas_present:
        source = resources.files("workbench") / "templates" / "example_schema.py"
        example.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        created.append(example)
    elif example.exists():
        kept.append(example)

    gitignore = root / ".gitignore"
    line = f"{STATE_DIR}/"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if line in existing.splitlines():
        kept.append(gitignore)
    else:
        prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
        comment = "# workbench's embedded SQLite databases\n"
        gitignore.write_text(prefix + comment + line + "\n", encoding="utf-8")
        created.append(gitignore)
    return InitResult(root=root, created=tuple(created), kept=tuple(kept))


def _parse_toml(pyproject: Path, text: str, command: str) -> dict[str, Any]:
    """``pyproject.toml``'s tables; an error that leaves the file alone when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(
            f"{pyproject} is not valid TOML ({exc}); init leaves it alone.",
            hint=f"Fix it, then run `{command}` again.",
        ) from None


def _project_name(root: Path) -> str:
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in root.name).strip("-")
    return name or "workbench-project"


# --- adopting an existing Alembic history ------------------------------------------------

_SKIP_DIRS = {
    ".git",
    ".hg",
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    "site-packages",
    "build",
    "dist",
    STATE_DIR,
}
_GENERIC_NAMES = {"migrations", "migration", "alembic", "db_migrations", "versions", "db"}


def adopt(directory: Path, *, models: str | None = None, name: str | None = None) -> AdoptResult:
    """Declare the project's existing Alembic histories as workbench schemas, moving nothing.

    Finds every ``alembic.ini`` under ``directory`` (and a ``[tool.alembic]``
    table in its ``pyproject.toml``), reads the ``target_metadata`` each
    history's ``env.py`` names (statically: nothing of the user's runs), and
    appends one ``[tool.workbench.schema.NAME]`` table per history to
    ``pyproject.toml`` (created if missing; the rest of the file is left as it
    is). The user's ``env.py`` and revisions are not touched: workbench runs
    their revisions through its own runner and never runs their ``env.py``.

    Args:
        directory: the project root.
        models: the models' import path (``app.models:Base``) where ``env.py``
            builds ``target_metadata`` at run time (Flask-Migrate), or to override it.
        name: the schema's name, when there is one history.

    Example:
        >>> adopt(Path("."), models="app.models:Base")  # doctest: +SKIP
    """
    root = _adopt_root(directory, models=models, name=name)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    data = _parse_toml(pyproject, text, "workbench init --adopt")
    workbench_table = data.get("tool", {}).get("workbench")
    declared = workbench_table.get("schema", {}) if isinstance(workbench_table, dict) else {}
    found = _histories(root, pyproject)
    if name is not None and len(found) > 1:
        raise ProjectError(
            f"--name names one schema, but {len(found)} histories were found.",
            hint="Run without --name; rename the tables in pyproject.toml afterwards.",
        )

    taken = set(declared)
    edits: list[tuple[str, str]] = []
    adopted: list[AdoptedSchema] = []
    tables: list[str] = []
    for ini, location in found:
        detected, version_table, notes = read_env_py(location.env_py, location.sys_path)
        chosen = detected
        if models is not None and (detected is None or len(found) == 1):
            if detected is not None and detected != models:
                notes.append(f"--models {models} used instead of {detected}, which env.py names.")
            chosen = models
        existing = _declared_as(root, ini, declared)
        if existing is not None:
            body = declared.get(existing, {})
            schema = _readopt(root, ini, location, existing, body, models, version_table, notes)
            if schema.written and models is not None:
                edits.append((existing, models))
        else:
            schema_name = name or _schema_name(root, ini, location.directory, data, taken)
            taken.add(schema_name)
            schema, table = _adopt_new(
                root, ini, location, schema_name, chosen, version_table, notes
            )
            tables.append(table)
        adopted.append(schema)

    created = not pyproject.is_file()
    if tables or edits:
        header = "" if isinstance(workbench_table, dict) or not tables else _ADOPT_HEADER
        _write_adopted(pyproject, text, edits, header + "".join(tables))
    return AdoptResult(root=root, pyproject=pyproject, schemas=tuple(adopted), created=created)


def _adopt_root(directory: Path, *, models: str | None, name: str | None) -> Path:
    """The project's root, once ``--models`` and ``--name`` are known to be well formed."""
    from workbench.config import _SCHEMA_NAME

    root = directory.resolve()
    if not root.is_dir():
        raise ProjectError(f"{directory} is not a directory.")
    if models is not None and ":" not in models and not _SCHEMA_NAME.match(models.split(".")[0]):
        raise ProjectError(
            f"--models {models!r} is not an import path.",
            hint="Write it as MODULE:ATTR, for example --models app.models:Base.",
        )
    if name is not None and not _SCHEMA_NAME.match(name):
        raise ProjectError(f"--name {name!r} is not a schema name (a Python identifier).")
    return root


def _histories(root: Path, pyproject: Path) -> list[tuple[Path | None, Any]]:
    """Each Alembic history of the project: ``(alembic.ini or None, its script location)``.

    Every readable ``alembic.ini`` that workbench did not write; else the
    ``[tool.alembic]`` table of ``pyproject.toml``; an error when there is none.
    """
    from workbench.config import read_alembic_ini, read_tool_alembic, tool_alembic

    found: list[tuple[Path | None, Any]] = []
    for candidate in _alembic_inis(root):
        try:
            location = read_alembic_ini(candidate, root, "alembic_version", where=str(candidate))
        except ProjectError:
            continue
        if _written_by_workbench(location.env_py):
            continue
        found.append((candidate, location))
    if tool_alembic(pyproject) is not None and not found:
        with contextlib.suppress(ProjectError):
            found.append((None, read_tool_alembic(pyproject, root, "alembic_version")))
    if not found:
        raise ProjectError(
            f"no Alembic history found under {root}: no alembic.ini with a script_location "
            "(outside virtualenvs and workbench's own migrations/), and no [tool.alembic] "
            "in pyproject.toml.",
            hint="Run `workbench init --adopt` in the project's root, or `workbench init` to "
            "start a new history.",
        )
    return found


def _declared_as(root: Path, ini: Path | None, declared: dict[str, Any]) -> str | None:
    """The schema ``pyproject.toml`` already declares for a history, if any.

    A history with an ``alembic.ini`` is known by that file; ``[tool.alembic]`` by
    the first declared schema that names models and no ``alembic.ini``.
    """
    if ini is not None:
        declared_inis = {
            (root / str(body.get("alembic_ini"))).resolve(): key
            for key, body in declared.items()
            if isinstance(body, dict) and body.get("alembic_ini")
        }
        return declared_inis.get(ini.resolve())
    return next(
        (
            key
            for key, body in declared.items()
            if isinstance(body, dict) and body.get("models") and not body.get("alembic_ini")
        ),
        None,
    )


def _spec(root: Path, ini: Path | None, models: str, version_table: str | None) -> SchemaSpec:
    """The schema an adopted history would be, to try its models before writing it."""
    return SchemaSpec(
        models=models,
        alembic_ini=_rel(ini, root) if ini is not None else None,
        version_table=version_table,
    )


def _readopt(
    root: Path,
    ini: Path | None,
    location: Any,
    existing: str,
    body: Any,
    models: str | None,
    version_table: str | None,
    notes: list[str],
) -> AdoptedSchema:
    """A history already declared as ``existing``: left as it is, unless ``models`` changes it.

    ``notes`` (what env.py said) gets what was done.
    """
    current = body.get("models") if isinstance(body, dict) else None
    loaded_tables = None
    changed = models is not None and models != current
    if models is not None and changed:
        loaded_tables, said = _try_models(root, existing, _spec(root, ini, models, version_table))
        notes.extend(said)
        notes.append(
            f"[tool.workbench.schema.{existing}] was already declared: its models are now {models}."
        )
    else:
        notes.append(
            f"already declared as [tool.workbench.schema.{existing}] in "
            "pyproject.toml; left as it is."
        )
    return AdoptedSchema(
        existing,
        ini,
        location.directory,
        _count_revisions(location.versions),
        models if changed else current,
        version_table,
        changed,
        tuple(notes),
        loaded_tables,
    )


def _adopt_new(
    root: Path,
    ini: Path | None,
    location: Any,
    name: str,
    models: str | None,
    version_table: str | None,
    notes: list[str],
) -> tuple[AdoptedSchema, str]:
    """A history not declared yet: the schema it becomes, and its table for pyproject.toml.

    ``notes`` (what env.py said) gets what its models and revisions showed.
    """
    loaded_tables = None
    if models is not None:
        loaded_tables, said = _try_models(root, name, _spec(root, ini, models, version_table))
        notes.extend(said)
    else:
        notes.append(
            "the models' import path is not known: pass --models MODULE:ATTR (the "
            "module that defines the models, and their declarative base, MetaData or "
            "SQLModel class), or add models = ... to the table written."
        )
    baseline, said = _baseline(location, root)
    notes.extend(said)
    schema = AdoptedSchema(
        name,
        ini,
        location.directory,
        _count_revisions(location.versions),
        models,
        version_table,
        True,
        tuple(notes),
        loaded_tables,
    )
    return schema, _table(name, ini, root, models, version_table, baseline)


def _write_adopted(pyproject: Path, text: str, edits: list[tuple[str, str]], addition: str) -> None:
    """Set the changed models and append the new tables, or write nothing if TOML would break."""
    for schema_name, value in edits:
        text = _set_models(text, schema_name, value)
    new = (text.rstrip("\n") + "\n" if text.strip() else "") + addition
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - an odd existing file
        raise ProjectError(
            f"adding the schema tables to {pyproject} would make it invalid TOML ({exc}); "
            "nothing was written.",
            hint="Add them by hand:\n" + addition,
        ) from None
    write_atomic(pyproject, new)


_ADOPT_HEADER = """
[tool.workbench]
# Existing Alembic histories, adopted in place by `workbench init --adopt`:
# workbench reads their alembic.ini and revisions where they are, and never
# runs their env.py (its own runner uses only the database it is given).
"""


def _alembic_inis(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.startswith(".")
            and not (Path(folder) / d / "pyvenv.cfg").exists()
        )
        if "alembic.ini" in files:
            found.append(Path(folder) / "alembic.ini")
    return found


def _written_by_workbench(env_py: Path) -> bool:
    try:
        return "workbench.envpy import run_migrations" in env_py.read_text(encoding="utf-8")
    except OSError:
        return False


def _count_revisions(versions: tuple[Path, ...]) -> int:
    count = 0
    for folder in versions:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            try:
                source = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "down_revision" in source:
                count += 1
    return count


def _schema_name(
    root: Path, ini: Path | None, directory: Path, data: dict[str, Any], taken: set[str]
) -> str:
    """A schema name from where the history lives: its folder, else the project's name."""
    from workbench.config import _SCHEMA_NAME

    candidates = [directory.name]
    if directory.parent != root:
        candidates.append(directory.parent.name)
    project = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
    candidates += [str(project or ""), root.name, "app"]
    for raw in candidates:
        clean = re.sub(r"[^A-Za-z0-9_]", "_", raw).strip("_").lower()
        if not clean or not _SCHEMA_NAME.match(clean) or clean in _GENERIC_NAMES:
            continue
        base, n = clean, 2
        while clean in taken:
            clean = f"{base}_{n}"
            n += 1
        return clean
    return "app"  # pragma: no cover - "app" is always a candidate


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _table(
    name: str,
    ini: Path | None,
    root: Path,
    models: str | None,
    version_table: str | None,
    baseline: str | None = None,
) -> str:
    lines = [f"\n[tool.workbench.schema.{name}]"]
    if models is not None:
        lines.append(f"models = {_toml_string(models)}")
    else:
        lines.append('# models = "MODULE:ATTR"  # not found in env.py: name the models here')
    if ini is not None:
        lines.append(f"alembic_ini = {_toml_string(_rel(ini, root))}")
    if version_table is not None and version_table != "alembic_version":
        lines.append(f"version_table = {_toml_string(version_table)}")
    if baseline is not None:
        lines.append(f"baseline = {_toml_string(baseline)}")
    lines.append('# backends = ["postgresql"]  # when the history runs on PostgreSQL only')
    return "\n".join(lines) + "\n"


def _set_models(text: str, name: str, models: str) -> str:
    """Set ``models`` in the ``[tool.workbench.schema.NAME]`` table, leaving every other line."""
    lines = text.splitlines(keepends=True)
    header = re.compile(rf"^\s*\[\s*tool\.workbench\.schema\.{re.escape(name)}\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        raise ProjectError(
            f"cannot find [tool.workbench.schema.{name}] in pyproject.toml to set its models.",
            hint=f'Set models = "{models}" in that table by hand.',
        )
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    line = f"models = {_toml_string(models)}\n"
    for i in range(start + 1, end):
        if re.match(r"^\s*#?\s*models\s*=", lines[i]):
            lines[i] = line
            return "".join(lines)
    lines.insert(start + 1, line)
    return "".join(lines)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _try_models(root: Path, name: str, spec: Any) -> tuple[int | None, list[str]]:
    """Import the models once: how many tables they hold (``None``: they do not load), and why."""
    from workbench.config import Config
    from workbench.errors import ModelDefect, WorkbenchError
    from workbench.loader import load_schema

    cfg = Config.at(root, specs={name: spec})
    defects: list[ModelDefect] = []
    try:
        loaded = load_schema(cfg, name, configure=False, defects=defects)
    except WorkbenchError as exc:
        return None, [f"the models {spec.models} do not load: {exc.text}"]
    tables = len(loaded.metadata.tables)
    # They load: a defect a backend would refuse is check's WB212, not a failed adoption.
    return tables, [f"models {spec.models}: {tables} tables."] + [
        f"the models cannot be created as declared ({d.text}); "
        "`workbench check` reports it (WB212) beside its walk of the history."
        for d in defects
    ]


# --- a history that starts from tables it never creates ---------------------------------

_CREATE_ALL = re.compile(r"\b(\w+)\.metadata\.create_all\(")


def _baseline(location: Any, root: Path) -> tuple[str | None, list[str]]:
    """The models a history starts from, when its revisions change tables none of them creates.

    Found by reading source only: the files of the package that holds the history
    (or the project) that call ``X.metadata.create_all(...)``, with ``X`` imported
    from a module; a candidate is imported once and kept when it holds those tables.
    """
    missing = _never_created(location)
    if not missing:
        return None, []
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    for candidate in _create_all_candidates(location, root):
        tables = _baseline_tables(candidate, location, root)
        # The first table the history fails on must be there; later ones may be made by
        # revisions that cannot be read offline.
        if tables is not None and missing[0] in tables:
            return candidate, [
                f"the history changes tables no revision creates ({shown}): the application "
                f"makes them first with create_all on {candidate}, written as baseline (created "
                "on empty databases before the first revision)."
            ]
    return None, [
        f"the history changes tables no revision creates ({shown}): if the application makes "
        'them before its first upgrade (create_all), add baseline = "MODULE:ATTR" naming those '
        "models to the table written (see docs/adopt.md)."
    ]


def _never_created(location: Any) -> list[str]:
    """Tables the revisions change (in order) before any of them creates them."""
    from workbench.loader import add_sys_path
    from workbench.revisions import capture

    try:
        from alembic.script import ScriptDirectory

        add_sys_path(location.sys_path)
        scripts = ScriptDirectory(
            str(location.directory), version_locations=[str(v) for v in location.versions]
        )
        chain = list(scripts.walk_revisions("base", "heads"))
    except Exception:  # an unreadable history: check reports it; no baseline to suggest
        return []
    chain.reverse()
    created: set[str] = set()
    missing: list[str] = []
    for script in chain:
        for c in capture(script, "upgrade").ops:
            table = c.table
            if c.kind == "create_table" and table:
                created.add(table)
            elif table and table not in created and table not in missing:
                missing.append(table)
    return missing


def _create_all_candidates(location: Any, root: Path) -> list[str]:
    """``MODULE:ATTR`` for each ``ATTR.metadata.create_all(`` whose ATTR a file imports."""
    top = location.directory
    while (top.parent / "__init__.py").is_file():
        top = top.parent
    folder = top.parent if (top / "__init__.py").is_file() else root
    search = [top] if (top / "__init__.py").is_file() else [root]
    found: list[str] = []
    for base in search:
        for path in sorted(base.rglob("*.py")):
            if any(
                p in (".venv", "venv", "site-packages", "node_modules")
                for p in path.relative_to(base).parts
            ):
                continue
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for name in _CREATE_ALL.findall(text):
                imported = re.search(
                    rf"^\s*from\s+([\w.]+)\s+import\s+(?:\(?[^\n]*?\b)?(\w+)\s+as\s+{name}\b"
                    rf"|^\s*from\s+([\w.]+)\s+import\s+(?:[^\n]*?,\s*)?{name}\b",
                    text,
                    re.M,
                )
                if imported is None:
                    continue
                module = imported.group(1) or imported.group(3)
                attr = imported.group(2) or name
                if module.startswith("."):
                    package = ".".join(path.relative_to(folder).with_suffix("").parts[:-1])
                    module = f"{package}{module}" if module.strip(".") else package
                candidate = f"{module}:{attr}"
                if candidate not in found:
                    found.append(candidate)
    return found


def _baseline_tables(candidate: str, location: Any, root: Path) -> set[str] | None:
    """The tables of a baseline candidate, imported once; ``None`` when it does not load."""
    from workbench.config import Config
    from workbench.errors import WorkbenchError
    from workbench.loader import add_sys_path, load_baseline

    cfg = Config.at(root, specs={"_candidate": SchemaSpec(baseline=candidate)})
    add_sys_path(location.sys_path)
    try:
        metadata = load_baseline(cfg, "_candidate")
    except WorkbenchError:
        return None
    return set(metadata.tables) if metadata is not None else None
