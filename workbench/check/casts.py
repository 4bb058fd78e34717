"""Type changes whose values may not fit the new type: a data proof with rows that do not.

A revision that changes a column to a type that cannot hold every value of
the old one (text to an enum, a shorter ``VARCHAR``, text to an integer, a
uuid, a date or a boolean, a smaller integer, fewer integer digits of a
``NUMERIC``) works on an empty table and in the author's tests, then meets
the first row that does not fit. Before such a step, :func:`write` puts into
the table's seeded rows a value the old type admits (the ``UPDATE`` succeeds
under every constraint the table has) and the new one does not, and a value
that fits. Then the revision runs, exactly as it is:

* it fails (PostgreSQL refuses the value, or any cast from text without
  ``USING``): :func:`explain` turns the failure into a finding that names the
  column, the cast and the value, with the two fixes;
* it succeeds and the value is still there, not of the new type (SQLite keeps
  what it is given; a non-native enum is a plain ``VARCHAR``):
  :func:`verify` reports which values the new type does not hold;
* it succeeds and SQLite's batch copy turned the value into something else
  (``CAST('2024-01-31' AS DATE)`` is ``2024`` there): values lost.

A revision that converts the values itself (an ``UPDATE`` before the cast, a
``USING`` that maps them) passes: what is judged is what happened to the rows.
Lint's WB104 says the same thing without data.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench import snapshot as snap
from workbench.check.effects import Effect, Retype
from workbench.revisions import enum_name, impl
from workbench.safety import family, type_sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_INT_MAX = {"SmallInteger": 32767, "Integer": 2147483647, "BigInteger": 9223372036854775807}
_INT_DIGITS = {"SmallInteger": 4, "Integer": 9, "BigInteger": 18}
"""Decimal digits every value of the integer type can have."""

_PARSED: dict[str, tuple[str, str]] = {
    # new type's family: (a text it cannot read, a text it can)
    "Integer": ("abc", "42"),
    "Numeric": ("abc", "42"),
    "Float": ("abc", "1.5"),
    "Uuid": ("not-a-uuid", "8c3f1b3e-5b0a-4f8e-9d4e-2a7c1e0b9f31"),
    "Date": ("not a date", "2024-01-31"),
    "DateTime": ("not a time", "2024-01-31 12:30:00"),
    "Boolean": ("maybe", "true"),
}

_SHAPE = {
    "Integer": r"^\s*[-+]?[0-9]+\s*$",
    "Numeric": r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$",
    "Float": r"^\s*[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$",
    "Uuid": r"^[0-9a-fA-F-]{32,36}$",
    "Date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "DateTime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+$",
}
"""What a text the new type reads looks like, for the USING a fix suggests."""


@dataclass(frozen=True)
class Cast:
    """A type change whose new type does not hold every value of the old one."""

    retype: Retype
    old: Any
    kind: str
    """``member`` (an enum), ``length``, ``range`` (integer or digits) or ``parse``."""
    unfit: Any
    """A value the old type admits and the new one does not."""
    fit: Any | None
    """A value both admit, or ``None`` when there is none to write."""

    @property
    def where(self) -> str:
        return f"{self.retype.table}.{self.retype.column}"

    @property
    def shown(self) -> str:
        return f"{self.where} from {type_sql(self.old)} to {_type_name(self.retype.new)}"


@dataclass(frozen=True)
class Probe:
    """A cast and the rows :func:`write` gave its values: ``(primary key, value written)``."""

    cast: Cast
    rows: tuple[tuple[tuple[Any, ...], Any], ...]

    @property
    def unfit(self) -> Any:
        return self.cast.unfit


@dataclass(frozen=True)
class Verdict:
    """What the data proof found after the upgrade: a finding to report."""

    code: str
    message: str
    fix: str
    line: int | None


def casts_of(
    effect: Effect, conn: Connection, state: snap.Snapshot, declared: Any = None
) -> list[Cast]:
    """The type changes of ``effect`` whose values may not fit, with the values to write.

    The old type is the operation's ``existing_type``, else the type the
    history declared (``declared``: a :class:`~workbench.revisions.HistoryModel`
    up to the revision before), else the reflected one: on SQLite an enum is
    stored as a ``VARCHAR``, and a value that is no member of the old enum is
    not one its old type admits.
    """
    found: list[Cast] = []
    for retype in effect.retypes:
        table = state.table(retype.table)
        if table is None or table.column(retype.column) is None:
            continue  # made in the same step: it holds no rows yet
        old = retype.existing
        if declared is not None:
            column = declared.column(retype.table, retype.column)
            made = column.type if column is not None else None
            # Autogenerate on SQLite writes an enum's existing_type as the VARCHAR it
            # reflects: the history's enum says which values the old type admits.
            if old is None or (_is_enum(made) and not _is_enum(old)):
                old = made if made is not None else old
        if old is None:
            old = _reflected_type(conn, retype.table, retype.column)
        plan = values_for(old, retype.new)
        if plan is not None:
            found.append(Cast(retype, old, *plan))
    return found


def _is_enum(type_: Any) -> bool:
    import sqlalchemy as sa

    return type_ is not None and isinstance(impl(type_), sa.Enum)


def _reflected_type(conn: Connection, table: str, column: str) -> Any:
    import sqlalchemy as sa

    for info in sa.inspect(conn).get_columns(table):
        if info["name"] == column:
            return info["type"]
    return None


def values_for(old: Any, new: Any) -> tuple[str, Any, Any | None] | None:
    """``(kind, a value that does not fit, a value that fits)`` for ``old`` to ``new``."""
    import sqlalchemy as sa

    if old is None or new is None:
        return None
    o, n = impl(old), impl(new)
    if isinstance(o, sa.Enum):
        return None  # an enum's members are lint's WB107
    fo, fn = family(o), family(n)
    limit = getattr(o, "length", None) if fo == "String" else None

    def admitted(value: str) -> bool:
        return limit is None or len(value) <= limit

    if isinstance(n, sa.Enum):
        if fo != "String":
            return None
        members = list(n.enums)
        unfit = next(
            (v for v in ("zz", "xx", "z", "x", "?") if v not in members and admitted(v)), None
        )
        fit = next((m for m in members if admitted(m)), None)
        return ("member", unfit, fit) if unfit is not None else None
    if fo == "String" and fn == "String":
        length = getattr(n, "length", None)
        if length is None or (limit is not None and limit <= length):
            return None
        return ("length", "x" * (length + 1), "ok"[:length] or None)
    if fo == "String" and fn in _PARSED:
        bad, good = _PARSED[fn]
        if fn == "Boolean" and not admitted(good):
            good = "t"
        return ("parse", bad[: limit or None], good if admitted(good) else None)
    if fo == fn == "Integer":
        before, after = _int_name(o), _int_name(n)
        if _INT_MAX[after] >= _INT_MAX[before]:
            return None
        return ("range", _INT_MAX[after] + 1, 7)
    if fn == "Numeric" and fo in ("Integer", "Numeric") and getattr(n, "precision", None):
        digits = n.precision - (n.scale or 0)
        if fo == "Integer":
            held: int | None = _INT_DIGITS[_int_name(o)]
        else:
            held = o.precision - (o.scale or 0) if o.precision is not None else None
        if held is not None and held <= digits:
            return None
        return ("range", 10**digits, 1)
    return None


def _int_name(type_: Any) -> str:
    import sqlalchemy as sa

    if isinstance(type_, sa.BigInteger):
        return "BigInteger"
    if isinstance(type_, sa.SmallInteger):
        return "SmallInteger"
    return "Integer"


def _type_name(type_: Any) -> str:
    name = enum_name(type_)
    return f"enum {name}" if name else type_sql(type_)


# --- writing the values --------------------------------------------------------------------


def write(conn: Connection, state: snap.Snapshot, casts: Sequence[Cast]) -> list[Probe]:
    """Give seeded rows of each cast's table the value that does not fit (and one that does).

    Rows where the column is NULL are taken first (their count of values is
    measured before, so a value the revision maps to NULL is not a value lost).
    Only a column outside every key can be given values here: changing a key
    would move foreign keys (or cascade into other tables). Each ``UPDATE``
    runs in its own transaction; one the table refuses (a CHECK, a UNIQUE...)
    is a value the old schema does not admit, and is not written.
    """
    import sqlalchemy as sa

    probes: list[Probe] = []
    if conn.in_transaction():
        conn.commit()
    for cast in casts:
        table = state.table(cast.retype.table)
        assert table is not None
        column = cast.retype.column
        keyed = {c for fk in table.foreign_keys for c in fk.columns} | {
            c
            for other in state.tables
            for fk in other.foreign_keys
            if fk.referred_table == table.name
            for c in fk.referred_columns
        }
        if not table.primary_key or column in table.primary_key or column in keyed:
            continue
        q = conn.dialect.identifier_preparer.quote
        keys = ", ".join(q(c) for c in table.primary_key)
        values = [v for v in (cast.unfit, cast.fit) if v is not None]
        found = conn.exec_driver_sql(
            f"SELECT {keys} FROM {q(table.name)} "
            f"ORDER BY CASE WHEN {q(column)} IS NULL THEN 0 ELSE 1 END, {keys} "
            f"LIMIT {len(values)}"
        ).fetchall()
        conn.commit()
        written: list[tuple[tuple[Any, ...], Any]] = []
        for key, value in zip(found, values, strict=False):
            match = " AND ".join(f"{q(c)} = :k{i}" for i, c in enumerate(table.primary_key))
            params = {f"k{i}": v for i, v in enumerate(key)}
            try:
                conn.execute(
                    sa.text(f"UPDATE {q(table.name)} SET {q(column)} = :v WHERE {match}"),
                    {"v": value, **params},
                )
                conn.commit()
            except sa.exc.DBAPIError:
                conn.rollback()
                continue
            written.append((tuple(key), value))
        if any(value == cast.unfit for _, value in written):
            probes.append(Probe(cast, tuple(written)))
    return probes


# --- after the upgrade ---------------------------------------------------------------------


def verify(
    conn: Connection, state: snap.Snapshot, probes: Sequence[Probe], effect: Effect, backend: str
) -> list[Verdict]:
    """What became of the written values once the upgrade succeeded.

    A value still there and not of the new type is kept silently (an error
    when the models cannot read it back: a non-member of an enum, a text that
    is no number, uuid, date or boolean; a warning for a length or a range
    the backend does not enforce). A value that changed on SQLite, when the
    revision runs no SQL of its own, was changed by batch mode's ``CAST``:
    values lost. A value that changed otherwise was converted by the
    revision (its ``UPDATE``, its ``USING``): what it should do.
    """
    verdicts: list[Verdict] = []
    for probe in probes:
        cast = probe.cast
        table = effect.after(cast.retype.table)
        column = effect.column_after(cast.retype.table, cast.retype.column)
        now = state.table(table) if table is not None else None
        if table is None or column is None or now is None or not now.primary_key:
            continue
        q = conn.dialect.identifier_preparer.quote
        match = " AND ".join(f"{q(c)} = :k{i}" for i, c in enumerate(now.primary_key))
        import sqlalchemy as sa

        converted: list[tuple[Any, Any]] = []
        for key, value in probe.rows:
            row = conn.execute(
                sa.text(f"SELECT {q(column)} FROM {q(table)} WHERE {match}"),
                {f"k{i}": v for i, v in enumerate(key)},
            ).first()
            if row is not None and not _same(value, row[0]):
                converted.append((value, row[0]))
        values = [
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL"
            )
        ]
        conn.commit()
        if converted and backend == "sqlite" and not effect.opaque:
            shown = ", ".join(f"{v!r} became {n!r}" for v, n in converted)
            verdicts.append(
                Verdict(
                    "WB221",
                    f"changing {cast.shown} loses values on sqlite: batch mode copies the "
                    f"column through CAST(... AS {type_sql(cast.retype.new)}), and {shown}.",
                    "SQLite has no such type to convert to: add a new column, fill it with an "
                    "UPDATE that converts each value, drop the old column and rename the new "
                    "one; or keep the stored type on SQLite "
                    "(sa.Text().with_variant(NEW_TYPE, 'postgresql')).",
                    cast.retype.line,
                )
            )
            continue
        kept = [v for v in values if not _fits(cast, v)]
        if not kept:
            continue
        first = [str(v) for v in kept if str(v) == str(cast.unfit)][:1]
        examples = ", ".join(
            repr(v) for v in [*first, *sorted(set(map(str, kept)) - set(first))][:3]
        )
        readable = cast.kind in ("member", "parse")
        verdicts.append(
            Verdict(
                "WB224" if readable else "WB225",
                f"changing {cast.shown} succeeds on {backend} and keeps {len(kept)} value(s) "
                f"{_type_name(cast.retype.new)} does not hold: {examples}"
                + (
                    "; reading such a row through the models fails."
                    if readable
                    else f"; {backend} does not enforce the limit."
                ),
                convert_fix(cast, backend),
                cast.retype.line,
            )
        )
    return verdicts


def restore(
    conn: Connection, state: snap.Snapshot, probes: Sequence[Probe], effect: Effect
) -> bool:
    """Take back the values :func:`write` gave, once reported; whether any row changed.

    A value the new type does not hold, kept in the walk's database, would
    make later revisions fail on it (a CHECK added later, a batch copy): the
    same defect reported again. A nullable column gets NULL back, a NOT NULL
    one the value that fits; a row that cannot take either keeps its value.
    """
    import sqlalchemy as sa

    changed = False
    for probe in probes:
        cast = probe.cast
        table = effect.after(cast.retype.table)
        column = effect.column_after(cast.retype.table, cast.retype.column)
        now = state.table(table) if table is not None else None
        info = now.column(column) if now is not None and column is not None else None
        if now is None or info is None or not now.primary_key:
            continue
        value = None if info.nullable else cast.fit
        if value is None and not info.nullable:
            continue
        q = conn.dialect.identifier_preparer.quote
        match = " AND ".join(f"{q(c)} = :k{i}" for i, c in enumerate(now.primary_key))
        for key, _ in probe.rows:
            try:
                conn.execute(
                    sa.text(f"UPDATE {q(now.name)} SET {q(info.name)} = :v WHERE {match}"),
                    {"v": value, **{f"k{i}": v for i, v in enumerate(key)}},
                )
                conn.commit()
                changed = True
            except sa.exc.DBAPIError:
                conn.rollback()
    return changed


def _same(written: Any, found: Any) -> bool:
    if found is None or written is None:
        return found is written
    if str(found) == str(written):
        return True
    truth = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}
    if isinstance(found, bool) or isinstance(written, bool):
        a, b = truth.get(str(written).lower()), truth.get(str(found).lower())
        return a is not None and a == b
    try:
        return decimal.Decimal(str(written)) == decimal.Decimal(str(found))
    except decimal.InvalidOperation:
        return False


def _fits(cast: Cast, value: Any) -> bool:
    """Whether a value read back raw holds in the cast's new type."""
    import sqlalchemy as sa

    n = impl(cast.retype.new)
    if cast.kind == "member":
        return str(value) in n.enums if isinstance(n, sa.Enum) else True
    if cast.kind == "length":
        return len(str(value)) <= int(n.length)
    fn = family(n)
    try:
        if fn == "Integer":
            number = int(str(value).strip())
            return abs(number) <= _INT_MAX[_int_name(n)]
        if fn == "Numeric" and getattr(n, "precision", None):
            digits = int(n.precision) - int(n.scale or 0)
            return bool(abs(decimal.Decimal(str(value))) < 10**digits)
        if fn in ("Numeric", "Float"):
            float(str(value))
        elif fn == "Uuid":
            uuid.UUID(str(value))
        elif fn == "Date":
            if not isinstance(value, datetime.date):
                datetime.date.fromisoformat(str(value))
        elif fn == "DateTime":
            if not isinstance(value, datetime.datetime):
                datetime.datetime.fromisoformat(str(value))
        elif fn == "Boolean":
            return isinstance(value, bool) or str(value).lower() in ("0", "1", "true", "false")
    except (ValueError, decimal.InvalidOperation):
        return False
    return True


# --- when the upgrade fails ----------------------------------------------------------------

_REFUSED = re.compile(
    r"cannot be cast automatically|invalid input (value|syntax)|value too long|out of range|"
    r"numeric field overflow|invalid text representation|datetime|date/time",
    re.IGNORECASE,
)


def explain(probes: Sequence[Probe], reason: str) -> tuple[Probe, str] | None:
    """The probe a failed upgrade's ``reason`` is about, and what to say of it.

    Only a failure of the kind a cast raises (a value PostgreSQL cannot read
    as the new type, or a cast it will not make without ``USING``) is about a
    probe; the probe is the one whose column or type the reason names, else
    the only one. A CHECK that fails (SQLite's batch copy into an enum declared
    with ``create_constraint=True``) is about the probe whose column or enum
    the CHECK's name names, and no other.
    """
    if not probes:
        return None
    if "check constraint" in reason.lower():
        after = reason.lower().split("check constraint", 1)[1]
        probes = [
            p
            for p in probes
            if p.cast.kind == "member"
            and any(
                word and word.lower() in after
                for word in (p.cast.retype.column, enum_name(p.cast.retype.new))
            )
        ]
        if not probes:
            return None
    elif not _REFUSED.search(reason):
        return None
    named = [
        p
        for p in probes
        if f'"{p.cast.retype.column}"' in reason
        or _type_name(p.cast.retype.new).lower() in reason.lower()
    ]
    chosen = named[0] if named else (probes[0] if len(probes) == 1 else None)
    if chosen is None:
        return None
    cast = chosen.cast
    if "cannot be cast automatically" in reason:
        said = (
            f"PostgreSQL cannot change {cast.shown} without USING ({reason}); rows that hold "
            f"values {_type_name(cast.retype.new)} does not, such as {cast.unfit!r} (a value "
            f"{type_sql(cast.old)} admits), need converting too"
        )
    else:
        said = (
            f"changing {cast.shown} fails on the rows that hold a value {type_sql(cast.old)} "
            f"admits and {_type_name(cast.retype.new)} does not, such as {chosen.unfit!r} "
            f"({reason})"
        )
    return chosen, said


def convert_fix(cast: Cast, backend: str = "postgresql") -> str:
    """The ways to convert the values a cast does not hold, written for this column.

    A ``USING`` runs on PostgreSQL only: on SQLite the fix is the ``UPDATE``.
    """
    import sqlalchemy as sa

    r = cast.retype
    c, n = r.column, impl(r.new)
    target = enum_name(r.new) or type_sql(r.new)
    if cast.kind == "member" and isinstance(n, sa.Enum):
        members = ", ".join(f"'{m}'" for m in n.enums)
        bad = f"{c} NOT IN ({members})"
        using = f"CASE WHEN {c} IN ({members}) THEN {c}::{target} END"
    elif cast.kind == "length":
        bad = f"length({c}) > {n.length}"
        using = f"left({c}, {n.length})"
    elif cast.kind == "range":
        fn = family(n)
        bound = _INT_MAX[_int_name(n)] if fn == "Integer" else f"1e{n.precision - (n.scale or 0)}"
        bad = f"abs({c}) > {bound}" if fn == "Integer" else f"abs({c}) >= {bound}"
        using = f"CASE WHEN NOT ({bad}) THEN {c} END"
    else:
        shape = _SHAPE.get(family(n) or "")
        lowered = f"lower({c}) IN ('true', 'false', 't', 'f', 'yes', 'no', '1', '0')"
        test = f"{c} ~ '{shape}'" if shape else lowered
        bad = f"NOT ({test})"
        using = f"CASE WHEN {test} THEN {c}::{target.lower()} END"
    update = (
        f'convert the values before the cast, in the same revision: op.execute("UPDATE '
        f'{r.table} SET {c} = ... WHERE {bad}")'
    )
    if backend == "sqlite":
        return f"{update} (SQLite does not run a postgresql_using)."
    return (
        f"{update}; or give the cast a USING that maps them: "
        f'postgresql_using="{using}" (values it does not map become NULL).'
    )
