"""ER diagrams of a schema: from the models, a live database, or any revision of the history.

A pipeline, one module per stage:

- :mod:`~workbench.diagram.model`: the normalized :class:`ErModel` (tables,
  columns in declaration order, keys, constraints, indexes, foreign keys with
  cardinality) that every diagram is drawn from;
- :mod:`~workbench.diagram.sources`: SQLAlchemy tables, a live database or a
  revision of the history, normalized into that model;
- :mod:`~workbench.diagram.cache`: the model of the schema's models, kept in
  ``.workbench/cache/`` while nothing that shaped it changes;
- :mod:`~workbench.diagram.views`: a subset of the tables, keys only, and the
  change between two models;
- :mod:`~workbench.diagram.dot` and :mod:`~workbench.diagram.mermaid`: the
  renderers, pure functions of the model;
- :mod:`~workbench.diagram.drawing`: Graphviz in-process (SVG, PNG, PDF);
- :mod:`~workbench.diagram.output`: the entry points, which write or check files.

The same models always give byte-identical DOT, Mermaid and SVG (Graphviz's
version comment is removed). An SVG also carries the digest of the DOT it was
drawn from: ``--check`` compares that digest, because the coordinates Graphviz
computes depend on the fonts of the machine that drew it.
"""

from __future__ import annotations

from workbench.diagram.cache import from_models
from workbench.diagram.dot import to_dot
from workbench.diagram.drawing import PNG_MAX_PIXELS, PNG_MAX_SIDE, digest, render
from workbench.diagram.mermaid import to_mermaid
from workbench.diagram.model import (
    Change,
    ColumnInfo,
    ConstraintInfo,
    ErModel,
    ForeignKeyInfo,
    Format,
    TableInfo,
)
from workbench.diagram.output import (
    COMMITTED,
    EXTENSIONS,
    FORMATS,
    TEXT_FORMATS,
    default_path,
    diagram,
    diagram_all,
    inject,
    injected,
    open_file,
    parse_format,
)
from workbench.diagram.sources import (
    MODELS,
    at_revision,
    model_from_metadata,
    reflect,
    resolve_revision,
    type_label,
)
from workbench.diagram.views import diff_models, neighbourhood, select

__all__ = [
    "COMMITTED",
    "EXTENSIONS",
    "FORMATS",
    "MODELS",
    "PNG_MAX_PIXELS",
    "PNG_MAX_SIDE",
    "TEXT_FORMATS",
    "Change",
    "ColumnInfo",
    "ConstraintInfo",
    "ErModel",
    "ForeignKeyInfo",
    "Format",
    "TableInfo",
    "at_revision",
    "default_path",
    "diagram",
    "diagram_all",
    "diff_models",
    "digest",
    "from_models",
    "inject",
    "injected",
    "model_from_metadata",
    "neighbourhood",
    "open_file",
    "parse_format",
    "reflect",
    "render",
    "resolve_revision",
    "select",
    "to_dot",
    "to_mermaid",
    "type_label",
]
