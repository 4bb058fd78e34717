"""The model of a schema's models, and the cache that spares re-importing them.

Importing a large schema costs far more than drawing it, so the normalized
model is kept in ``.workbench/cache/`` and reused while nothing that shaped it
changed: the content of the schema module and of every project module loaded
with it, the code of workbench itself, and the versions of the libraries.
"""

from __future__ import annotations

import hashlib
import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from workbench.config import Config
from workbench.diagram.model import (
    ColumnInfo,
    ConstraintInfo,
    ErModel,
    ForeignKeyInfo,
    TableInfo,
)
from workbench.diagram.sources import model_from_metadata
from workbench.errors import WorkbenchError
from workbench.files import write_atomic
from workbench.loader import load_schema


def from_models(cfg: Config, schema: str, *, cache: bool = True) -> ErModel:
    """The :class:`ErModel` of the schema's models.

    Importing a large schema costs far more than drawing it (200 declarative
    classes take most of a second), so the model is kept in
    ``.workbench/cache/`` with the digest of the schema module and of every
    project module loaded with it, and reused while none of them changes.

    Args:
        cfg: the project.
        schema: the schema's name.
        cache: read and write that cache.
    """
    if cache:
        cached = _cached_model(cfg, schema)
        if cached is not None:
            return cached
    before = set(_project_modules(cfg))
    model = _load(cfg, schema)
    files = _project_modules(cfg)
    # Only modules this very load imported are known to match their files: one imported
    # earlier in a long-lived process may be older than its file, and so would the model.
    if cache and not before & set(files):
        _store_model(cfg, schema, model, files)
    return model


def _load(cfg: Config, schema: str) -> ErModel:
    """Import the schema and normalize it; a foreign key to a table it lacks is a clear error."""
    from sqlalchemy.exc import NoReferencedColumnError, NoReferencedTableError

    try:
        loaded = load_schema(cfg, schema, configure=False)
        return model_from_metadata(loaded.metadata, schema=schema)
    except NoReferencedTableError as exc:
        raise WorkbenchError(
            f"schema {schema!r} has a foreign key to table {exc.table_name!r}, which it does "
            f"not declare ({' '.join(str(exc).split())})",
            hint=f"Declare table {exc.table_name!r} in the schema, or correct the "
            "ForeignKey target (TABLE.COLUMN).",
        ) from None
    except NoReferencedColumnError as exc:
        raise WorkbenchError(
            f"schema {schema!r} has a foreign key to column {exc.column_name!r} of table "
            f"{exc.table_name!r}, which that table does not declare.",
            hint="Correct the ForeignKey target (TABLE.COLUMN).",
        ) from None


_CACHE_FORMAT = 2
_PACKAGE = Path(__file__).resolve().parent.parent
"""workbench's own package: the code that turns models into a diagram's model."""
_LIBRARIES = ("sqlalchemy", "sqlmodel", "eralchemy2")
_CODE_STAMPS: dict[str, tuple[int, int, str]] = {}
"""Per file of workbench's code: (mtime_ns, size, sha256), so a process hashes each file once."""


def _cache_path(cfg: Config, schema: str) -> Path:
    return cfg.state_dir / "cache" / f"diagram-{schema}.json"


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _code_digest() -> str:
    """The digest of the content of every Python file of workbench's own package.

    Every module is covered, not a list of names: the model depends on the
    loader, the history replay and the type rendering as much as on this
    package, and a list of names silently stops covering a module that moves.
    A file is re-read only when its modification time or size changed since
    this process last hashed it.
    """
    digests = []
    for path in sorted(_PACKAGE.rglob("*.py")):
        key = str(path)
        try:
            stat = path.stat()
        except OSError:
            continue
        known = _CODE_STAMPS.get(key)
        if known is None or known[:2] != (stat.st_mtime_ns, stat.st_size):
            content = _file_digest(path)
            if content is None:
                continue
            known = (stat.st_mtime_ns, stat.st_size, content)
            _CODE_STAMPS[key] = known
        digests.append(f"{path.relative_to(_PACKAGE).as_posix()}:{known[2]}")
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _environment() -> str:
    """What besides the project's files decides the model: workbench's code, library versions."""
    import importlib.util

    parts = [str(_CACHE_FORMAT), sys.version, f"workbench:{_code_digest()}"]
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        # A reinstall or upgrade rewrites the package's __init__.py.
        stamp = origin.stat().st_mtime_ns if origin is not None and origin.exists() else None
        parts.append(f"{library}:{origin}:{stamp}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _project_modules(cfg: Config) -> list[str]:
    """The project's own Python files among the loaded modules, relative to the project.

    workbench's own package is left out (when the project is workbench's own
    repository): :func:`_environment` covers the part of it that shapes a model.
    """
    root = str(cfg.root) + os.sep
    skip = (
        str(cfg.state_dir) + os.sep,
        os.sep + "site-packages" + os.sep,
        str(_PACKAGE) + os.sep,
    )
    found = []
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        # Plain string tests: resolving a thousand library paths would cost more than drawing.
        if name and name.startswith(root) and not any(s in name for s in skip):
            found.append(name[len(root) :].replace(os.sep, "/"))
    return sorted(found)


def _cached_model(cfg: Config, schema: str) -> ErModel | None:
    import json

    try:
        document = json.loads(_cache_path(cfg, schema).read_text(encoding="utf-8"))
        if document["environment"] != _environment():
            return None
        if cfg.rel(cfg.schema_path(schema)) not in document["files"]:
            return None
        for name, known in document["files"].items():
            if _file_digest(cfg.root / name) != known:
                return None
        return _model_from_json(document["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_model(cfg: Config, schema: str, model: ErModel, files: list[str]) -> None:
    import json

    digests = {name: _file_digest(cfg.root / name) for name in files}
    document = {"environment": _environment(), "files": digests, "model": _plain(model)}
    # A read-only project still draws, only more slowly next time.
    with suppress(OSError):
        write_atomic(_cache_path(cfg, schema), json.dumps(document).encode("utf-8"))


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data (``dataclasses.asdict`` deep-copies, ten times slower)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def _model_from_json(doc: dict[str, Any]) -> ErModel:
    def constraint(c: dict[str, Any]) -> ConstraintInfo:
        return ConstraintInfo(**{**c, "columns": tuple(c["columns"])})

    def foreign_key(f: dict[str, Any]) -> ForeignKeyInfo:
        return ForeignKeyInfo(
            **{
                **f,
                "columns": tuple(f["columns"]),
                "referred_columns": tuple(f["referred_columns"]),
            }
        )

    def column(c: dict[str, Any]) -> ColumnInfo:
        return ColumnInfo(**{**c, "enum_values": tuple(c["enum_values"])})

    tables = tuple(
        TableInfo(
            name=t["name"],
            columns=tuple(column(c) for c in t["columns"]),
            primary_key=constraint(t["primary_key"]) if t["primary_key"] else None,
            foreign_keys=tuple(foreign_key(f) for f in t["foreign_keys"]),
            constraints=tuple(constraint(c) for c in t["constraints"]),
            change=t["change"],
        )
        for t in doc["tables"]
    )
    return ErModel(
        schema=doc["schema"],
        source=doc["source"],
        tables=tables,
        diff=doc["diff"],
        hidden=tuple(doc["hidden"]),
        keys_only=doc["keys_only"],
    )
