"""Graphviz DOT of a model: one HTML-like table per node, an edge per foreign-key column.

Each edge joins the referenced key column to the foreign-key column that
refers to it (ports on the columns' rows), with crow's-foot ends that say the
cardinality. The same model always gives the same text.
"""

from __future__ import annotations

from workbench.diagram.model import Change, ColumnInfo, ErModel, TableInfo

_FONT = "Helvetica,Arial,sans-serif"
_INK = "#1f2933"
_MUTED = "#52606d"
_FAINT = "#7b8794"
_LINE = "#9aa5b1"
_HEADER = "#2d4a6b"
_LINK_HEADER = "#3d6b63"
_KEYS = "#8a5a00"
_EDGE_COLOURS = (
    "#2d6a9f",
    "#b5562b",
    "#3f7f3f",
    "#7a4f9a",
    "#a3406b",
    "#2f7f84",
    "#8a6d1f",
    "#5a5f9e",
)
_CHANGE_INK = {"added": "#1b6e2a", "removed": "#b3261e", "changed": "#9a5b00"}
_CHANGE_FILL = {"added": "#e3f4e5", "removed": "#fbe4e2", "changed": "#fdf0d7"}
_CHANGE_HEADER = {"added": "#2e7d32", "removed": "#c62828", "changed": "#b26a00"}
_CHANGE_SIGN = {"added": "+", "removed": "\u2212", "changed": "~"}


def _h(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
        .replace("[", "&#91;")
    )


def _q(text: str) -> str:
    """A quoted DOT identifier."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _font(text: str, *, colour: str | None = None, size: float | None = None) -> str:
    if not text:
        return ""  # Graphviz rejects an empty <FONT></FONT>
    attrs = ""
    if colour:
        attrs += f' COLOR="{colour}"'
    if size:
        attrs += f' POINT-SIZE="{size:g}"'
    return f"<FONT{attrs}>{text}</FONT>" if attrs else text


def _struck(text: str, change: Change | None) -> str:
    return f"<S>{text}</S>" if change == "removed" else text


def _markers(column: ColumnInfo, table: TableInfo, hidden: set[str]) -> str:
    marks = []
    if column.primary_key:
        marks.append("PK")
    if column.foreign_key:
        targets = sorted(
            {fk.referred_table for fk in table.foreign_keys if column.name in fk.columns} & hidden
        )
        marks.append("FK" + "".join(f" \u2192 {t}" for t in targets))
    if column.unique:
        marks.append("UQ")
    if column.nullable:
        marks.append("NULL")
    return " ".join(marks)


def _column_row(column: ColumnInfo, index: int, table: TableInfo, hidden: set[str]) -> str:
    change = column.change
    name = _h(column.name)
    if column.primary_key:
        name = f"<B><U>{name}</U></B>"
    elif column.foreign_key:
        name = f"<I>{name}</I>"
    sign = _CHANGE_SIGN[change] + " " if change else ""
    name = _font(sign, colour=_CHANGE_INK[change]) + _struck(name, change) if change else name
    type_text = _h(column.type)
    if column.enum_values:
        shown = list(column.enum_values[:6])
        more = len(column.enum_values) - len(shown)
        values = " | ".join(shown) + (f" | \u2026 +{more}" if more > 0 else "")
        type_text = f'enum {type_text}<BR ALIGN="LEFT"/>{_font(_h(values), size=8)}'
    if column.default is not None:
        type_text += _font(_h(f" = {column.default}"), colour=_FAINT, size=8)
    if change == "changed" and column.was:
        type_text += '<BR ALIGN="LEFT"/>' + _font(_h(f"was {column.was}"), size=8)
    type_cell = _font(_struck(type_text, change), colour=_CHANGE_INK[change] if change else _MUTED)
    marks = _font(_h(_markers(column, table, hidden)), colour=_KEYS, size=8)
    bg = f' BGCOLOR="{_CHANGE_FILL[change]}"' if change else ""
    return (
        f'<TR><TD ALIGN="LEFT" PORT="c{index}w"{bg}>{name}</TD>'
        f'<TD ALIGN="LEFT"{bg}>{type_cell}</TD>'
        f'<TD ALIGN="RIGHT" PORT="c{index}e"{bg}>{marks}</TD></TR>'
    )


def _footer_lines(table: TableInfo) -> list[tuple[str, Change | None]]:
    lines: list[tuple[str, Change | None]] = []
    pk = table.primary_key
    if pk is not None and (len(pk.columns) > 1 or pk.change):
        lines.append((pk.summary(), pk.change))
    for fk in table.foreign_keys:
        if fk.ondelete or fk.onupdate or fk.change or len(fk.columns) > 1:
            # The name is in the edge's tooltip; the line says what the edge cannot.
            lines.append((f"FK {fk.summary()}", fk.change))
    lines += [(c.summary(), c.change) for c in table.constraints]
    return lines


def _table_node(table: TableInfo, hidden: set[str]) -> str:
    change = table.change
    header_bg = _CHANGE_HEADER[change] if change else (_LINK_HEADER if table.links else _HEADER)
    title = f"<B>{_struck(_h(table.name), change)}</B>"
    if change:
        title += _font(f"  ({change})", size=9)
    rows = [
        f'<TR><TD COLSPAN="3" BGCOLOR="{header_bg}" ALIGN="CENTER">'
        f"{_font(title, colour='#ffffff', size=12)}</TD></TR>"
    ]
    if table.links:
        joined = " \u21c4 ".join(_h(t) for t in table.links)
        rows.append(
            f'<TR><TD COLSPAN="3" BGCOLOR="#e6f0ee" ALIGN="CENTER">'
            f"{_font('<I>links ' + joined + '</I>', colour=_LINK_HEADER, size=9)}</TD></TR>"
        )
    rows += [_column_row(c, i, table, hidden) for i, c in enumerate(table.columns)]
    footer = _footer_lines(table)
    for n, (text, line_change) in enumerate(footer):
        colour = _CHANGE_INK[line_change] if line_change else _MUTED
        sign = _CHANGE_SIGN[line_change] + " " if line_change else ""
        bg = _CHANGE_FILL[line_change] if line_change else "#f3f5f7"
        sides = ' SIDES="T"' if n == 0 else ""
        rows.append(
            f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{bg}"{sides}>'
            f"{_font(_struck(_h(sign + text), line_change), colour=colour, size=8)}</TD></TR>"
        )
    border = _CHANGE_HEADER[change] if change else _LINE
    width = "2" if change else "1"
    label = (
        f'<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
        f'COLOR="{border}" BGCOLOR="#ffffff">' + "".join(rows) + "</TABLE>"
    )
    tooltip = table.primary_key.name if table.primary_key else table.name
    return f"  {_q(table.name)} [label=<{label}>, tooltip={_q(tooltip)}];"


def _arrow(*, one: bool, optional: bool) -> str:
    # Crow's foot, nearest the node first: "tee" one, "crow" many, "odot" may be none.
    if not one:
        return "crowodot"
    return "teeodot" if optional else "teetee"


def _edges(model: ErModel) -> list[str]:
    shown = {t.name: t for t in model.tables}
    colour_of = {name: _EDGE_COLOURS[i % len(_EDGE_COLOURS)] for i, name in enumerate(shown)}
    lines = []
    for table in model.tables:
        for fk in table.foreign_keys:
            parent = shown.get(fk.referred_table)
            if parent is None:
                continue
            child_port = _port(table, fk.columns[0])
            parent_port = _port(parent, fk.referred_columns[0])
            if child_port is None or parent_port is None:
                continue
            attrs = [
                f"arrowtail={_arrow(one=True, optional=fk.optional)}",
                f"arrowhead={_arrow(one=fk.one_to_one, optional=True)}",
                f"tooltip={_q(fk.name + ': ' + table.name + ' ' + fk.summary())}",
            ]
            colour = colour_of[parent.name]
            if fk.change:
                colour = _CHANGE_INK[fk.change]
                attrs.append("penwidth=2.2")
                if fk.change == "removed":
                    attrs.append('style="dashed"')
            elif not fk.identifying:
                attrs.append('style="solid"')
            attrs.append(f'color="{colour}"')
            if parent is table:
                # A self-reference loops on the right-hand side, from key to column.
                tail, head = f"{parent_port}e:e", f"{child_port}e:e"
            else:
                tail, head = f"{parent_port}e:e", f"{child_port}w:w"
            lines.append(
                f"  {_q(parent.name)}:{tail} -> {_q(table.name)}:{head} [{', '.join(attrs)}];"
            )
    return lines


def _port(table: TableInfo, column: str) -> str | None:
    for i, c in enumerate(table.columns):
        if c.name == column:
            return f"c{i}"
    return None


_KEY_LINES = (
    "PK primary key \u00b7 FK foreign key \u00b7 UQ unique \u00b7 NULL nullable",
    "a line joins a key to the foreign-key column that",
    "references it; at its ends a bar means one,",
    "a circle zero (optional), a crow's foot many",
)


def _legend(model: ErModel) -> str:
    rows = [
        f'<TR><TD ALIGN="LEFT" COLSPAN="2">{_font("<B>" + _h(model.title) + "</B>", size=12)}'
        "</TD></TR>"
    ]
    tables, links = len(model.tables), model.relationships
    detail = f"{tables} table{'' if tables == 1 else 's'}, "
    detail += f"{links} relationship{'' if links == 1 else 's'}"
    if model.hidden:
        detail += f"; {len(model.hidden)} not shown"
    if model.keys_only:
        detail += "; key columns only"
    rows.append(
        f'<TR><TD ALIGN="LEFT" COLSPAN="2">{_font(_h(detail), colour=_MUTED, size=9)}</TD></TR>'
    )
    # Short lines: the legend must not make a small diagram wide.
    keys = '<BR ALIGN="LEFT"/>'.join(_h(line) for line in _KEY_LINES)
    rows.append(
        f'<TR><TD ALIGN="LEFT" COLSPAN="2">{_font(keys, colour=_MUTED, size=8)}'
        '<BR ALIGN="LEFT"/></TD></TR>'
    )
    if model.diff:
        chips = "   ".join(
            _font("\u25a0", colour=_CHANGE_HEADER[c], size=12)
            + _font(f" {_CHANGE_SIGN[c]} {c}", colour=_CHANGE_INK[c], size=10)
            for c in ("added", "removed", "changed")
        )
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{chips}</TD></TR>')
    return '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>"


def to_dot(model: ErModel) -> str:
    """Graphviz DOT of ``model``: deterministic, the same model always gives the same text."""
    hidden = set(model.hidden)
    lines = [
        f"// {model.title}: ER diagram drawn by `workbench diagram`; redraw it, do not edit.",
        f"digraph {_q(model.schema)} {{",
        f'  graph [rankdir=LR, splines=true, nodesep=0.35, ranksep=0.9, pad=0.3, bgcolor="#ffffff",'
        f' fontname="{_FONT}", labelloc=b, labeljust=l, outputorder=edgesfirst,'
        f" label=<{_legend(model)}>];",
        f'  node [shape=plain, fontname="{_FONT}", fontsize=10, fontcolor="{_INK}"];',
        f'  edge [dir=both, arrowsize=0.8, penwidth=1.3, fontname="{_FONT}"];',
    ]
    lines += [_table_node(t, hidden) for t in model.tables]
    lines += _edges(model)
    lines.append("}")
    return "\n".join(lines) + "\n"
