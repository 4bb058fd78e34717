"""Project discovery and the ``[tool.workbench]`` table.

A project is a directory whose ``pyproject.toml`` has a ``[tool.workbench]``
table. :class:`Config` is frozen and can be built in code without any file
(``Config.at(path)``), which is how tests and the tour use it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.errors import ProjectError

VERSION_TABLE = "alembic_version"
"""The table in which Alembic records a target's revision; never part of a schema."""

STATE_DIR = ".workbench"
"""Per-project, git-ignored folder holding the embedded SQLite databases."""

_KNOWN_KEYS = {"schemas", "migrations", "diagrams", "url", "urls", "schema"}
_SPEC_KEYS = {"models", "alembic_ini", "backends", "url"}

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
    """

    models: str | None = None
    alembic_ini: str | None = None
    backends: tuple[str, ...] = BACKENDS
    url: str | None = None


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
        """Every schema of the project: the modules and packages in ``schemas_dir``, sorted."""
        if not self.schemas_dir.is_dir():
            return []
        names = []
        for entry in self.schemas_dir.iterdir():
            if entry.name.startswith(("_", ".")):
                continue
            if entry.suffix == ".py" and entry.is_file():
                names.append(entry.stem)
            elif entry.is_dir() and (entry / "__init__.py").is_file():
                names.append(entry.name)
        return sorted(names)

    def schema_path(self, name: str) -> Path:
        """The module file of schema ``name``; a ``ProjectError`` listing the schemas if unknown."""
        if not _SCHEMA_NAME.match(name):
            raise ProjectError(
                f"{name!r} is not a schema name: a schema is a Python module name in "
                f"{self._rel(self.schemas_dir)}/.",
                hint=self._known_hint(),
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
        return self.migrations_dir / name

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
        for key in ("models", "alembic_ini", "url"):
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
