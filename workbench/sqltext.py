"""SQL text as schemas compare it: whitespace collapsed, redundant outer parentheses gone, and
a looser form for text that backends spell differently (CHECKs, defaults, index
expressions). Split from :mod:`workbench.snapshot`, which compares with it.
"""

from __future__ import annotations

import re


def balanced(text: str, start: int) -> tuple[str, str]:
    """The text from ``start`` up to the parenthesis that closes the one before it, and the rest."""
    depth, quote = 1, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start:i], text[i + 1 :]
    return text[start:], ""


# --- normalizing --------------------------------------------------------------


def normalize_sql(text: str) -> str:
    """``text`` with whitespace collapsed and redundant outer parentheses removed.

    Quoted literals are left exactly as they are. This makes the SQL a
    backend gives back for a CHECK, default or index expression comparable
    with itself after a table is rebuilt.
    """
    out: list[str] = []
    quote = ""
    pending_space = False
    for ch in text:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch.isspace():
            pending_space = True
            continue
        if ch == ",":
            out.append(",")
            pending_space = True
            continue
        if pending_space and out and out[-1] != "(" and ch != ")":
            out.append(" ")
        pending_space = False
        if ch in "'\"":
            quote = ch
        out.append(ch)
    return unwrap("".join(out))


def unwrap(text: str) -> str:
    """``text`` without the parentheses that wrap all of it (``(CURRENT_TIMESTAMP)``)."""
    while _wrapped(text):
        text = text[1:-1].strip()
    return text


def strip_outer_parens(text: str) -> str:
    """One layer of parentheses off ``text`` when they wrap all of it (as PostgreSQL writes a
    CHECK's expression), else ``text`` as it is."""
    stripped = text.strip()
    return stripped[1:-1] if _wrapped(stripped) else text


def _wrapped(text: str) -> bool:
    """Whether the whole of ``text`` is one parenthesised group."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    inside, rest = balanced(text, 1)
    return rest == "" and len(inside) == len(text) - 2


def loose_sql(text: str) -> str:
    """``text`` lowercased and without whitespace or casts outside quotes, for cross-source checks.

    The models' SQL for a CHECK and the database's rendering of it differ in
    spacing, case and casts (PostgreSQL writes ``price >= 0::numeric`` back
    for ``price >= 0``); this form is equal for both.
    """
    out: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            out.append(ch)
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif not ch.isspace():
            out.append(ch.lower())
    flat = "".join(out)
    flat = re.sub(r"::[a-z_][a-z0-9_ ]*(\([0-9, ]*\))?(\[\])?", "", flat)
    return flat.replace("(", "").replace(")", "").replace('"', "")


def split_top_level(text: str) -> list[str]:
    """``text`` cut at its commas outside parentheses and quotes, each part stripped."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def unquote_name(name: str) -> str:
    """An identifier without its double quotes, backquotes or brackets."""
    if len(name) > 1 and name[0] in '"`[' and name[-1] in '"`]':
        return name[1:-1]
    return name
