"""The rules' view of a schema's models, kept while nothing that shaped it changed.

Static advice is a pure function of the :class:`TableView` list; importing a
large schema costs far more than the rules (200 declarative classes take most
of a second, the rules 40 ms). The views are kept in ``.workbench/cache/``
under the same key as the diagram's model (:mod:`workbench.diagram.cache`):
the content of the schema module and of every project module loaded with it,
workbench's own code, and the versions of the libraries; and the schema's
configuration (the loader judges the models for the backends it names).
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from workbench.advise.catalog import ForeignKeyView, IndexView, TableView, views_of
from workbench.config import VERSION_TABLE, Config
from workbench.diagram.cache import _environment, _file_digest, _project_modules
from workbench.files import write_atomic
from workbench.loader import load_schema

_FORMAT = 1


def model_views(cfg: Config, schema: str, *, cache: bool = True) -> list[TableView]:
    """Every table of the schema's models as the rules see it, from the cache when current."""
    if cache:
        cached = _cached(cfg, schema)
        if cached is not None:
            return cached
    before = set(_project_modules(cfg))
    models = load_schema(cfg, schema, configure=False)
    views = views_of(models.metadata, skip=[VERSION_TABLE])
    files = _project_modules(cfg)
    # As the diagram's cache: only modules this very load imported are known to match
    # their files (one imported earlier in a long-lived process may be older).
    if cache and not before & set(files):
        _store(cfg, schema, views, files)
    return views


def _path(cfg: Config, schema: str) -> Any:
    return cfg.state_dir / "cache" / f"advise-{schema}.json"


def _cached(cfg: Config, schema: str) -> list[TableView] | None:
    try:
        document = json.loads(_path(cfg, schema).read_text(encoding="utf-8"))
        if document["format"] != _FORMAT or document["environment"] != _environment():
            return None
        if document["config"] != repr(cfg.spec(schema)):
            return None  # e.g. other backends: the loader judges the models for them
        if cfg.rel(cfg.schema_path(schema)) not in document["files"]:
            return None
        for name, known in document["files"].items():
            if _file_digest(cfg.root / name) != known:
                return None
        return [_view(v) for v in document["views"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(cfg: Config, schema: str, views: list[TableView], files: list[str]) -> None:
    document = {
        "format": _FORMAT,
        "environment": _environment(),
        "config": repr(cfg.spec(schema)),
        "files": {name: _file_digest(cfg.root / name) for name in files},
        "views": [_plain(v) for v in views],
    }
    # A read-only project still gets its advice, only more slowly next time.
    with suppress(OSError):
        write_atomic(_path(cfg, schema), json.dumps(document).encode("utf-8"))


def _plain(view: TableView) -> dict[str, Any]:
    return {
        "name": view.name,
        "columns": list(view.columns),
        "low_cardinality": sorted(view.low_cardinality),
        "primary_key": list(view.primary_key),
        "foreign_keys": [[list(f.columns), f.referred_table] for f in view.foreign_keys],
        "indexes": [[i.name, list(i.columns), i.kind, i.unique, i.partial] for i in view.indexes],
    }


def _view(doc: dict[str, Any]) -> TableView:
    return TableView(
        name=str(doc["name"]),
        columns=tuple(doc["columns"]),
        low_cardinality=frozenset(doc["low_cardinality"]),
        primary_key=tuple(doc["primary_key"]),
        foreign_keys=tuple(ForeignKeyView(tuple(c), str(t)) for c, t in doc["foreign_keys"]),
        indexes=tuple(
            IndexView(str(n), tuple(c), k, unique=bool(u), partial=bool(p))
            for n, c, k, u, p in doc["indexes"]
        ),
    )
