"""Project discovery and the ``[tool.workbench]`` table.

A project is a directory whose ``pyproject.toml`` has a ``[tool.workbench]``
table. :class:`Config` is frozen and can be built in code without any file
(``Config.at(path)``), which is how tests and the tour use it.
"""

from __future__ import annotations

import configparser
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.errors import ProjectError

VERSION_TABLE = "alembic_version"
"""The table in which Alembic records a target's revision; never part of a schema."""

_VERSION_TABLES: set[str] = {VERSION_TABLE}


def is_version_table(name: str) -> bool:
    """Whether ``name`` is where a history records its revision, never part of a schema.

    ``alembic_version``, and every custom ``version_table`` of an adopted schema
    of a project loaded in this process (the readers of a live database, a
    snapshot or a reflection, do not know which schema's database they read).
    """
    return name in _VERSION_TABLES


STATE_DIR = ".workbench"
"""Per-project, git-ignored folder holding the embedded SQLite databases."""

_KNOWN_KEYS = {"schemas", "migrations", "diagrams", "url", "urls", "schema"}
_SPEC_KEYS = {
    "models",
    "alembic_ini",
    "backends",
    "url",
    "version_table",
    "version_table_schema",
    "baseline",
}

BACKENDS: tuple[str, ...] = ("sqlite", "postgresql")
"""The backends workbench supports; a schema supports all of them unless it declares fewer."""


@dataclass(frozen=True)
class SchemaSpec:
    """What ``[tool.workbench.schema.NAME]`` declares about one schema.

    Attributes:
        models: the import path of the models' MetaData (``pkg.models:Base.metadata``,
            or a declarative base / SQLModel class); set for an adopted schema
            whose models live outside ``schemas/``.
        alembic_ini: the path (relative to the project root) of the ``alembic.ini``
            of an adopted history, whose script location, ``prepend_sys_path``,
            version table and file template are used as they are.
        backends: the backends the schema supports; findings are due only for these.
        url: the schema's target URL (like ``[tool.workbench.urls]``).
        version_table: the table in which the history's targets record their
            revision, when its ``env.py`` names one other than ``alembic_version``.
        version_table_schema: the PostgreSQL schema that holds the version table
            (default: the database's default schema, as Alembic's own default).
        baseline: the import path (``MODULE:ATTR``) of a MetaData or declarative
            base holding the tables a history starts from without creating them
            (the application makes them with ``create_all`` before its first
            upgrade); created on an empty database before the first revision.
    """

    models: str | None = None
    alembic_ini: str | None = None
    backends: tuple[str, ...] = BACKENDS
    url: str | None = None
    version_table: str | None = None
    version_table_schema: str | None = None
    baseline: str | None = None

    @property
    def adopted(self) -> bool:
        """Whether the schema lives outside ``schemas/`` (its models, or its history)."""
        return self.models is not None or self.alembic_ini is not None


@dataclass(frozen=True)
class ScriptLocation:
    """Where a schema's history lives and how Alembic is configured for it.

    The one answer to "where are the revisions": workbench's own layout
    (``migrations/<schema>/``) or an adopted history's ``alembic.ini`` (or the
    ``[tool.alembic]`` table of ``pyproject.toml``), read as Alembic reads it.

    Attributes:
        directory: the script directory (``env.py``, ``script.py.mako``).
        versions: the folders holding revision files.
        ini: the ``alembic.ini`` whose settings apply, if any.
        toml: the ``pyproject.toml`` whose ``[tool.alembic]`` applies, if no ini.
        sys_path: folders put on ``sys.path`` whenever models or revisions are
            read: the project root, then the ini's ``prepend_sys_path``.
        version_table: where a target records its revision.
        adopted: the history is the user's own (their ``env.py`` never runs under workbench).
    """

    directory: Path
    versions: tuple[Path, ...]
    ini: Path | None
    toml: Path | None
    sys_path: tuple[Path, ...]
    version_table: str
    adopted: bool

    @property
    def env_py(self) -> Path:
        return self.directory / "env.py"


_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Config:
    """Where a project keeps its schemas, migrations and diagrams, and which databases it targets.

    Attributes:
        root: the project directory.
        schemas_dir: one Python module per schema.
        migrations_dir: one Alembic script directory per schema.
        diagrams_dir: committed ER diagrams.
        url: the project-wide target URL, if configured.
        urls: per-schema target URLs, which win over ``url``.
    """

    root: Path
    schemas_dir: Path
    migrations_dir: Path
    diagrams_dir: Path
    url: str | None = None
    urls: Mapping[str, str] = field(default_factory=dict)
    specs: Mapping[str, SchemaSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.specs.values():
            if spec.version_table:
                _VERSION_TABLES.add(spec.version_table)

    def spec(self, name: str) -> SchemaSpec:
        """What the project declares about schema ``name`` (defaults when nothing)."""
        return self.specs.get(name) or SchemaSpec()

    def backends(self, name: str) -> tuple[str, ...]:
        """The backends schema ``name`` supports: findings are due only for these."""
        return self.spec(name).backends

    @classmethod
    def at(cls, root: Path | str, **overrides: Any) -> Config:
        """Build the default layout rooted at ``root``, without reading any file."""
        base = Path(root).resolve()
        cfg = cls(
            root=base,
            schemas_dir=base / "schemas",
            migrations_dir=base / "migrations",
            diagrams_dir=base / "diagrams",
        )
        return replace(cfg, **overrides) if overrides else cfg

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def schema_names(self) -> list[str]:
        """Every schema: the modules in ``schemas_dir`` and the adopted ones, sorted."""
        names = [name for name, spec in self.specs.items() if spec.adopted]
        if not self.schemas_dir.is_dir():
            return sorted(names)
        for entry in self.schemas_dir.iterdir():
            if entry.name.startswith(("_", ".")):
                continue
            if entry.suffix == ".py" and entry.is_file():
                names.append(entry.stem)
            elif entry.is_dir() and (entry / "__init__.py").is_file():
                names.append(entry.name)
        return sorted(set(names))

    def schema_path(self, name: str) -> Path:
        """The module file of schema ``name``; a ``ProjectError`` listing the schemas if unknown."""
        if not _SCHEMA_NAME.match(name):
            raise ProjectError(
                f"{name!r} is not a schema name: a schema is a Python module name in "
                f"{self._rel(self.schemas_dir)}/.",
                hint=self._known_hint(),
            )
        spec = self.spec(name)
        if spec.models is not None:
            return self._models_file(name, spec.models)
        if spec.adopted:
            raise ProjectError(
                f"schema {name!r} is an adopted history ({spec.alembic_ini}) whose models are "
                "not declared.",
                hint=f'Add models = "MODULE:ATTR" to [tool.workbench.schema.{name}] in '
                "pyproject.toml (the import path of the models' MetaData or declarative base), "
                "or run `workbench init --adopt --models MODULE:ATTR`.",
            )
        module = self.schemas_dir / f"{name}.py"
        if module.is_file():
            return module
        package = self.schemas_dir / name / "__init__.py"
        if package.is_file():
            return package
        raise ProjectError(
            f"unknown schema {name!r}: there is no {self._rel(module)}.", hint=self._known_hint()
        )

    def migrations_path(self, name: str) -> Path:
        """The Alembic script directory of schema ``name`` (it may not exist yet)."""
        return self.script_location(name).directory

    def version_table(self, name: str) -> str:
        """The table in which targets of schema ``name`` record their revision."""
        return self.spec(name).version_table or VERSION_TABLE

    def script_location(self, name: str) -> ScriptLocation:
        """Where schema ``name``'s history lives: ``migrations/<name>/`` or its ``alembic.ini``.

        An adopted schema's ``alembic_ini`` is read as Alembic reads it
        (``%(here)s``, ``script_location``, ``version_locations``,
        ``prepend_sys_path``); without one, a ``[tool.alembic]`` table in the
        project's ``pyproject.toml`` is used when the schema declares its models.
        """
        spec = self.spec(name)
        table = self.version_table(name)
        if spec.alembic_ini is not None:
            ini = (self.root / spec.alembic_ini).resolve()
            return read_alembic_ini(ini, self.root, table, where=f"schema {name!r}")
        pyproject = self.root / "pyproject.toml"
        if spec.models is not None and tool_alembic(pyproject) is not None:
            return read_tool_alembic(pyproject, self.root, table)
        directory = self.migrations_dir / name
        ini_path = directory / "alembic.ini"
        return ScriptLocation(
            directory=directory,
            versions=(directory / "versions",),
            ini=ini_path if ini_path.is_file() else None,
            toml=None,
            sys_path=(self.root,),
            version_table=table,
            adopted=False,
        )

    def _models_file(self, name: str, models: str) -> Path:
        """The file of the module an adopted schema's ``models`` import path names."""
        module = models.split(":", 1)[0].strip()
        parts = module.split(".")
        if not module or not all(_SCHEMA_NAME.match(p) for p in parts):
            raise ProjectError(
                f"schema {name!r}: models = {models!r} is not an import path.",
                hint='Write it as MODULE:ATTR, for example models = "app.models:Base".',
            )
        try:
            folders: tuple[Path, ...] = self.script_location(name).sys_path
        except ProjectError:
            folders = (self.root,)
        # An installed package: where it is is known only by importing it.
        return module_file(module, folders) or self.root / "pyproject.toml"

    def default_url(self, name: str) -> str:
        """The embedded default target: a SQLite file per schema under ``.workbench/``."""
        return f"sqlite:///{(self.state_dir / f'{name}.sqlite3').as_posix()}"

    def resolve_url(
        self, name: str, url: str | None = None, environ: Mapping[str, str] | None = None
    ) -> str:
        """The target of schema ``name``.

        Precedence: ``url`` (from ``--url``), then ``$WORKBENCH_URL``, then the
        schema's configured URL, then the project URL, then the embedded default.
        Configured URLs may say ``${VAR}`` to keep passwords out of the file.
        """
        env = os.environ if environ is None else environ
        if url:
            return url
        if env.get("WORKBENCH_URL"):
            return env["WORKBENCH_URL"]
        configured = self.spec(name).url or self.urls.get(name) or self.url
        if configured:
            return _expand(configured, env, where=f"the URL configured for {name!r}")
        return self.default_url(name)

    def rel(self, path: Path) -> str:
        """``path`` relative to the project root when it is inside it, for messages."""
        return self._rel(path)

    def _rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _known_hint(self) -> str:
        names = self.schema_names()
        if not names:
            return (
                f"The project has no schemas yet: add a module to {self._rel(self.schemas_dir)}/."
            )
        return "Known schemas: " + ", ".join(names) + "."


def module_file(module: str, folders: Sequence[Path]) -> Path | None:
    """The source file of ``module`` (``a.b``: ``a/b.py`` or ``a/b/__init__.py``) in ``folders``.

    The first folder that holds it wins, as on ``sys.path``; ``None`` when none does.
    """
    parts = module.split(".")
    for folder in folders:
        for candidate in (
            folder.joinpath(*parts).with_suffix(".py"),
            folder.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                return candidate
    return None


def _expand(value: str, env: Mapping[str, str], *, where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ProjectError(
                f"{where} refers to ${{{name}}}, which is not set in the environment.",
                hint=f"Set {name}, or pass --url.",
            )
        return env[name]

    return _ENV_REF.sub(sub, value)


def load(root: Path) -> Config:
    """Read the ``[tool.workbench]`` table of ``root/pyproject.toml``."""
    pyproject = root / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(
            f"{root} has no pyproject.toml.",
            hint="Run `workbench init` there, or pass --project DIR.",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{pyproject}: {exc}.", hint="Fix the TOML syntax.") from None
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{pyproject} is not UTF-8 text (byte {exc.start}: {exc.reason}).",
            hint="TOML files are UTF-8: save it as UTF-8.",
        ) from None
    table = data.get("tool", {}).get("workbench")
    if not isinstance(table, dict):
        raise ProjectError(
            f"{pyproject} has no [tool.workbench] table.",
            hint="Run `workbench init` there to add one, or pass --project DIR.",
        )
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ProjectError(
            f"{pyproject}: unknown key(s) in [tool.workbench]: {', '.join(unknown)}.",
            hint=f"Known keys: {', '.join(sorted(_KNOWN_KEYS))}.",
        )
    for key in ("schemas", "migrations", "diagrams", "url"):
        if key in table and not isinstance(table[key], str):
            raise ProjectError(f"{pyproject}: [tool.workbench] {key} must be a string.")
    urls = table.get("urls", {})
    if not isinstance(urls, dict) or not all(isinstance(v, str) for v in urls.values()):
        raise ProjectError(
            f"{pyproject}: [tool.workbench.urls] must map schema names to URL strings.",
            hint='For example: blog = "postgresql://app@localhost/blog".',
        )
    specs = _specs(table.get("schema", {}), pyproject)
    base = root.resolve()
    return Config(
        root=base,
        schemas_dir=base / table.get("schemas", "schemas"),
        migrations_dir=base / table.get("migrations", "migrations"),
        diagrams_dir=base / table.get("diagrams", "diagrams"),
        url=table.get("url"),
        urls=dict(urls),
        specs=specs,
    )


def _specs(table: Any, pyproject: Path) -> dict[str, SchemaSpec]:
    """Parse ``[tool.workbench.schema.NAME]`` tables."""
    where = f"{pyproject}: [tool.workbench.schema]"
    example = 'For example: [tool.workbench.schema.app] backends = ["postgresql"].'
    if not isinstance(table, dict):
        raise ProjectError(f"{where} must be a table of schema names.", hint=example)
    specs: dict[str, SchemaSpec] = {}
    for name, body in table.items():
        if not _SCHEMA_NAME.match(name) or not isinstance(body, dict):
            raise ProjectError(
                f"{where}.{name} must be a table named like a Python module.", hint=example
            )
        unknown = sorted(set(body) - _SPEC_KEYS)
        if unknown:
            raise ProjectError(
                f"{where}.{name}: unknown key(s): {', '.join(unknown)}.",
                hint=f"Known keys: {', '.join(sorted(_SPEC_KEYS))}.",
            )
        for key in (
            "models",
            "alembic_ini",
            "url",
            "version_table",
            "version_table_schema",
            "baseline",
        ):
            if key in body and not isinstance(body[key], str):
                raise ProjectError(f"{where}.{name}: {key} must be a string.")
        backends = body.get("backends", list(BACKENDS))
        if (
            not isinstance(backends, list)
            or not backends
            or not all(isinstance(b, str) and b in BACKENDS for b in backends)
        ):
            raise ProjectError(
                f"{where}.{name}: backends must be a non-empty list drawn from "
                f"{', '.join(BACKENDS)}.",
                hint=example,
            )
        specs[name] = SchemaSpec(
            models=body.get("models"),
            alembic_ini=body.get("alembic_ini"),
            backends=tuple(b for b in BACKENDS if b in backends),
            url=body.get("url"),
            version_table=body.get("version_table"),
            version_table_schema=body.get("version_table_schema"),
            baseline=body.get("baseline"),
        )
    return specs


def discover(start: Path | None = None) -> Config:
    """Find the project: the nearest directory upward from ``start`` with ``[tool.workbench]``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_workbench_table(pyproject):
            return load(candidate)
    raise ProjectError(
        f"no workbench project here: no pyproject.toml with a [tool.workbench] table in {here} "
        "or any directory above it.",
        hint="Run `workbench init` to make one, or pass --project DIR.",
    )


def _has_workbench_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        # A broken pyproject.toml is reported by load() when it is the project.
        return "[tool.workbench]" in pyproject.read_text(encoding="utf-8", errors="replace")
    return isinstance(data.get("tool", {}).get("workbench"), dict)


# --- an adopted history's Alembic settings ----------------------------------------------

_GENERIC_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}


def _split_paths(value: str, separator: str | None) -> list[str]:
    """Split a path list as Alembic does (``path_separator``, else spaces and commas)."""
    if separator is not None and separator in _GENERIC_SEPARATORS:
        return [p.strip() for p in value.split(_GENERIC_SEPARATORS[separator]) if p.strip()]
    return [p for p in re.split(r", *|(?: +)|\n", value.strip()) if p]


def _resolve_location(value: str, base: Path, where: str) -> Path:
    """A ``script_location``: a path (relative to ``base``) or ``package:folder``.

    As Alembic reads it, every colon after the package separates a folder:
    ``prefect:server:database:_migrations`` is ``server/database/_migrations``
    in package ``prefect``.
    """
    if ":" in value and not Path(value).is_absolute() and not re.match(r"^[A-Za-z]:[\\/]", value):
        package, *folders = value.split(":")
        folder = "/".join(folders)
        import importlib.util

        found = importlib.util.find_spec(package)
        if found is None or not found.submodule_search_locations:
            raise ProjectError(
                f"{where}: script_location {value!r} names package {package!r}, "
                "which cannot be found.",
                hint="Install the package in the environment workbench runs in.",
            )
        return (Path(next(iter(found.submodule_search_locations))) / folder).resolve()
    path = Path(value)
    return path if path.is_absolute() else (base / path).resolve()


def read_alembic_ini(ini: Path, root: Path, version_table: str, *, where: str) -> ScriptLocation:
    """Read an ``alembic.ini``'s ``[alembic]`` section the way Alembic does."""
    if not ini.is_file():
        raise ProjectError(
            f"{where}: alembic_ini {ini} does not exist.",
            hint="Point alembic_ini at the project's alembic.ini (relative to pyproject.toml).",
        )
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    try:
        parser.read(ini, encoding="utf-8")
        section = dict(parser.items("alembic")) if parser.has_section("alembic") else {}
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ProjectError(f"{ini}: {exc}.", hint="Fix the ini syntax.") from None
    pyproject = root / "pyproject.toml"
    toml = tool_alembic(pyproject) or {}
    settings: dict[str, Any] = {**toml, **section}
    location = settings.get("script_location")
    if not location:
        raise ProjectError(
            f"{ini} has no script_location in its [alembic] section (nor [tool.alembic]).",
            hint="Add script_location = <folder of env.py>, as `alembic init` writes it.",
        )
    # Alembic resolves relative paths against the directory it is run from;
    # people run it beside their alembic.ini.
    return _location(settings, ini.parent, root, version_table, ini=ini, toml=None)


def read_tool_alembic(pyproject: Path, root: Path, version_table: str) -> ScriptLocation:
    settings = tool_alembic(pyproject) or {}
    if not settings.get("script_location"):
        raise ProjectError(
            f"{pyproject}: [tool.alembic] has no script_location.",
            hint="Add script_location, as `alembic init --template pyproject` writes it.",
        )
    here = {"here": str(pyproject.parent)}
    expanded = {
        k: (v % here if isinstance(v, str) else [x % here for x in v] if isinstance(v, list) else v)
        for k, v in settings.items()
    }
    return _location(expanded, pyproject.parent, root, version_table, ini=None, toml=pyproject)


def _location(
    settings: Mapping[str, Any],
    base: Path,
    root: Path,
    version_table: str,
    *,
    ini: Path | None,
    toml: Path | None,
) -> ScriptLocation:
    where = str(ini or toml)
    directory = _resolve_location(str(settings["script_location"]), base, where)
    separator = settings.get("path_separator") or settings.get("version_path_separator")

    def paths(key: str) -> list[str]:
        value = settings.get(key)
        if isinstance(value, list):
            return [str(v) for v in value]
        return _split_paths(value, separator) if isinstance(value, str) and value else []

    versions = tuple(_resolve_location(v, base, where) for v in paths("version_locations"))
    extra = tuple((base / p).resolve() for p in paths("prepend_sys_path"))
    sys_path = tuple(dict.fromkeys((root, *extra)))
    return ScriptLocation(
        directory=directory,
        versions=versions or (directory / "versions",),
        ini=ini,
        toml=toml,
        sys_path=sys_path,
        version_table=version_table,
        adopted=True,
    )


_OWN_ENV = '''"""workbench's own runner for this history: the history's env.py is not run.

Written by workbench for one process and removed when it exits; the revisions
and script.py.mako are the history's own.
"""

from workbench.envpy import run_migrations

run_migrations()
'''

_own_env_root: list[Path] = []


def own_env_directory(location: ScriptLocation) -> Path:
    """A script directory whose ``env.py`` is workbench's runner, for ``location``'s history.

    Workbench points Alembic's ``script_location`` here and its
    ``version_locations`` at the history's revisions, so no ``env.py`` of the
    user's runs under workbench: whatever it does (open its own engine from
    ``sqlalchemy.url``, ``$DATABASE_URL`` or the app's settings), only the
    connection workbench hands over is used. ``script.py.mako`` is the
    history's own (a link to it), so new revisions keep the history's style.
    """
    import atexit
    import hashlib
    import shutil
    import tempfile
    from importlib import resources

    if not _own_env_root:
        made = Path(tempfile.mkdtemp(prefix="workbench-env-"))
        atexit.register(shutil.rmtree, made, True)
        _own_env_root.append(made)
    key = hashlib.sha1(str(location.directory).encode()).hexdigest()[:16]
    folder = _own_env_root[0] / key
    if not (folder / "env.py").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "env.py").write_text(_OWN_ENV, encoding="utf-8")
    mako = folder / "script.py.mako"
    theirs = location.directory / "script.py.mako"
    if not mako.exists() and not mako.is_symlink():
        if theirs.is_file():
            try:
                mako.symlink_to(theirs)
            except OSError:
                shutil.copyfile(theirs, mako)
        else:
            ours = resources.files("workbench") / "templates" / "script.py.mako"
            mako.write_text(ours.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def tool_alembic(pyproject: Path) -> dict[str, Any] | None:
    """The ``[tool.alembic]`` table of ``pyproject``, if it has one."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    table = data.get("tool", {}).get("alembic")
    return table if isinstance(table, dict) else None
