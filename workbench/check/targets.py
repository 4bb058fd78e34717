"""Where ``check`` runs and on what: ``--against`` targets and the schemas named."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from workbench import db
from workbench.config import Config
from workbench.errors import ProjectError, WorkbenchError


def default_against(environ: dict[str, str] | None = None) -> list[str]:
    """``sqlite``, plus ``$WORKBENCH_POSTGRES_URL`` when it is set."""
    env = os.environ if environ is None else environ
    targets = ["sqlite"]
    if env.get("WORKBENCH_POSTGRES_URL"):
        targets.append(env["WORKBENCH_POSTGRES_URL"])
    return targets


def backend_of(target: str) -> str:
    """``sqlite`` or ``postgresql`` for an ``--against`` value; an error for anything else."""
    if target == "sqlite":
        return "sqlite"
    name = db.backend(target)
    if name != "postgresql":
        raise WorkbenchError(
            f"--against {db.redact(target)}: check runs against `sqlite` or a PostgreSQL "
            "server URL.",
            hint="For example --against sqlite --against postgresql://postgres@localhost/postgres.",
        )
    return name


def resolve_schemas(cfg: Config, given: Sequence[str] | None) -> list[str]:
    """Schema names from names or paths (see :func:`check`), each once, in the order given."""
    known = cfg.schema_names()
    if given is None:
        if not known:
            raise ProjectError(
                f"the project has no schemas: {cfg.rel(cfg.schemas_dir)}/ holds no module.",
                hint="Add a schema module there (see `workbench init`), then run check again.",
            )
        return known
    out: list[str] = []
    for arg in given:
        if any(ch in arg for ch in "/\\."):  # schema names are identifiers; this is a path
            name = _schema_of_path(cfg, Path(arg))
            if name is None or name not in known:
                continue
        else:
            cfg.schema_path(arg)  # an unknown name is an error that lists the known ones
            name = arg
        if name not in out:
            out.append(name)
    return out


def _schema_of_path(cfg: Config, path: Path) -> str | None:
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    for folder in (cfg.schemas_dir, cfg.migrations_dir):
        try:
            parts = full.relative_to(folder.resolve()).parts
        except ValueError:
            continue
        if parts:
            return parts[0].removesuffix(".py")
    return None
