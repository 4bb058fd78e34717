"""A Mermaid ``erDiagram`` of a model, for Markdown that renders Mermaid (GitHub, GitLab)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from workbench.diagram.model import ColumnInfo, ErModel

_MERMAID_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _mermaid_type(column: ColumnInfo) -> str:
    text = column.type.replace(", ", ",")
    text = re.sub(r"[^A-Za-z0-9_\-\[\]\(\),.]", "_", text.replace(" ", "_"))
    return text if re.match(r"[A-Za-z_*]", text) else "_" + text


def _mermaid_name(name: str) -> str:
    if _MERMAID_WORD.match(name) and name.lower() not in ("pk", "fk", "uk"):
        return name
    return "`" + name.replace("`", "'") + "`"


def _mermaid_comment(parts: Iterable[str]) -> str:
    text = "; ".join(p for p in parts if p).replace('"', "'")
    return f' "{text}"' if text else ""


def _mermaid_column(column: ColumnInfo) -> str:
    keys = [
        k
        for k, on in (("PK", column.primary_key), ("FK", column.foreign_key), ("UK", column.unique))
        if on
    ]
    notes = []
    if column.change:
        notes.append(column.change + (f" (was {column.was})" if column.was else ""))
    if column.enum_values:
        notes.append("enum: " + ", ".join(column.enum_values))
    notes.append("nullable" if column.nullable else "")
    if column.default is not None:
        notes.append(f"default {column.default}")
    key_text = " " + ", ".join(keys) if keys else ""
    name = _mermaid_name(column.name)
    return f"        {_mermaid_type(column)} {name}{key_text}{_mermaid_comment(notes)}"


def _entity(name: str) -> str:
    # Quoted: an unquoted entity starting with a keyword (class, style, to...) breaks the parser.
    return '"' + name.replace('"', "'") + '"'


def to_mermaid(model: ErModel) -> str:
    """A Mermaid ``erDiagram`` of ``model``; constraints and indexes are ``%%`` comment lines."""
    lines = [
        f"%% {model.title}: ER diagram drawn by `workbench diagram`; redraw it, do not edit.",
        "erDiagram",
    ]
    for table in model.tables:
        if table.change:
            lines.append(f"    %% {table.name}: {table.change}")
        if table.links:
            lines.append(f"    %% {table.name} links {' and '.join(table.links)} (many-to-many)")
        lines.append(f"    {_entity(table.name)} {{")
        lines += [_mermaid_column(c) for c in table.columns]
        lines.append("    }")
        if not model.keys_only:
            notes = []
            if table.primary_key is not None:
                notes.append((table.primary_key.summary(), table.primary_key.change))
            notes += [(f"FK {fk.name} {fk.summary()}", fk.change) for fk in table.foreign_keys]
            notes += [(c.summary(), c.change) for c in table.constraints]
            for text, change in notes:
                lines.append(f"    %% {table.name}: {text}" + (f" ({change})" if change else ""))
    shown = {t.name for t in model.tables}
    for table in model.tables:
        for fk in table.foreign_keys:
            if fk.referred_table not in shown:
                lines.append(
                    f"    %% {table.name}.{', '.join(fk.columns)} references "
                    f"{fk.referred_table}, not shown"
                )
                continue
            parent = "|o" if fk.optional else "||"
            child = "o|" if fk.one_to_one else "o{"
            line = "--" if fk.identifying else ".."
            label = ", ".join(fk.columns) + (f" ({fk.change})" if fk.change else "")
            lines.append(
                f"    {_entity(fk.referred_table)} {parent}{line}{child} {_entity(table.name)} "
                f': "{label}"'
            )
    if model.diff:
        lines.append("    %% legend: added, removed and changed items say so in their comment")
    return "\n".join(lines) + "\n"
