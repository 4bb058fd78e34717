"""Type-faithful values: columns whose type converts values on their way in or out.

Most columns hold what the engine writes directly (an integer, a string, a
timestamp's text): their values take the fast path, with no per-value call into
SQLAlchemy. A column whose type does its own conversion (a ``TypeDecorator`` with
``process_bind_param``/``process_result_value``, such as the GUID of SQLAlchemy's
documentation stored as ``CHAR(32)``; a ``PickleType``; an ``ARRAY``) gets values
of its Python type instead, written through the type's own bind processing on the
target's dialect, so that the application's ORM reads every row back.

Which Python type? A ``TypeDecorator`` often does not say (its ``python_type`` is
its storage's), so :func:`probe_kind` tries candidate values (the declared
``python_type`` first, then what the names suggest, then the storage's kind) and
keeps the first that goes through the type's bind and result processing and
comes back equal.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from workbench.seed import encoders as E
from workbench.seed import values as V

Encoder = Callable[[list[Any]], list[Any]]

_EPOCH = datetime(1970, 1, 1)
_CANDIDATES = ("uuid", "json", "datetime", "date", "numeric", "int", "float", "bool", "str")
_BY_PYTHON = {
    uuid.UUID: "uuid",
    str: "str",
    int: "int",
    bool: "bool",
    float: "float",
    Decimal: "numeric",
    datetime: "datetime",
    date: "date",
    time: "time",
    dict: "json",
    bytes: "bytes",
}


def is_custom(t: Any) -> bool:
    """Whether a column type converts values itself (beyond what the engine's fast path does)."""
    import sqlalchemy as sa

    base = sa.TypeDecorator
    while isinstance(t, base):
        cls = type(t)
        for method in ("process_bind_param", "process_result_value"):
            if getattr(cls, method) is not getattr(base, method):
                return True
        for method in ("bind_processor", "result_processor"):
            if getattr(cls, method) is not getattr(base, method):
                return True
        t = t.impl_instance
    return isinstance(t, sa.types.UserDefinedType | sa.PickleType | sa.ARRAY)


def probe_kind(column_type: Any, name: str, storage: str, utc: bool, dialect: Any) -> str | None:
    """The engine's kind whose values ``column_type`` takes and gives back unchanged."""
    import sqlalchemy as sa

    order: list[str] = []
    declared = type(column_type).python_type
    if declared is not sa.TypeDecorator.python_type:  # said by the type itself
        try:
            found = _BY_PYTHON.get(column_type.python_type)
            if found:
                order.append(found)
        except NotImplementedError:
            pass
    hint = f"{type(column_type).__name__} {name}".lower()
    if "uuid" in hint or "guid" in hint:
        order.append("uuid")
    if storage != "str" and storage in _BY_PYTHON.values():
        order.append(storage)
    # a str goes through most conversions unchanged: it is the last resort
    order.extend(_CANDIDATES)
    impl = column_type.dialect_impl(dialect)
    bind = impl.bind_processor(dialect)
    result = impl.result_processor(dialect, None)
    for kind in dict.fromkeys(order):
        value = _sample(kind, utc)
        try:
            stored = bind(value) if bind else value
            back = result(stored) if result else stored
        except Exception:  # the user's type refuses this candidate, whatever it raises
            continue
        if back == value and type(back) is type(value):
            return kind
    return None


def _sample(kind: str, utc: bool) -> Any:
    return to_python(kind, 2, utc)(
        {
            "uuid": 0x5F0E2C3A9B7D4E1F8A6C2B3D4E5F6A7B,
            "str": "sample text",
            "int": 42,
            "numeric": 1250,
            "float": 1.5,
            "bool": 1,
            "date": date(2024, 5, 17).toordinal(),
            "datetime": V.seconds(date(2024, 5, 17)) + 45_000,
            "time": 45_000,
            "json": '{"tag": "sample"}',
            "bytes": b"\x00\x01",
        }[kind]
    )


def to_python(kind: str, scale: int, utc: bool) -> Callable[[Any], Any]:
    """A raw value of ``kind`` (see :mod:`workbench.seed.values`) as its Python value."""
    if kind == "numeric":
        return lambda v: Decimal(v).scaleb(-scale)
    if kind == "bool":
        return bool
    if kind == "date":
        return date.fromordinal
    if kind == "datetime":
        if utc:
            return lambda v: (_EPOCH + timedelta(seconds=v)).replace(tzinfo=UTC)
        return lambda v: _EPOCH + timedelta(seconds=v)
    if kind == "time":
        return lambda v: time(v // 3600, v // 60 % 60, v % 60)
    if kind == "uuid":
        return lambda v: uuid.UUID(int=v)
    if kind == "json":
        return json.loads
    return lambda v: v


def python_encoder(
    column_type: Any, kind: str, scale: int, utc: bool, dialect: Any, driver: Any
) -> Encoder:
    """Raw values to Python values, through the type's bind processing, to what is written.

    SQLite takes the bound values as parameters; PostgreSQL's COPY takes their
    text, as psycopg itself would render each bound value.
    """
    convert = to_python(kind, scale, utc)
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)

    def bound(values: list[Any]) -> list[Any]:
        out = [None if v is None else convert(v) for v in values]
        if bind is not None:
            out = [bind(v) if v is not None else bind(None) for v in out]
        return out

    if dialect.name == "sqlite":
        return bound
    from psycopg.adapt import PyFormat, Transformer

    transformer = Transformer(driver)
    dumpers: dict[type, Any] = {}

    def text(value: Any) -> str | None:
        if value is None:
            return None
        dumper: Any = None if isinstance(value, list) else dumpers.get(type(value))
        if dumper is None:  # an array's dumper depends on its items: not kept
            dumper = transformer.get_dumper(value, PyFormat.TEXT)
            if not isinstance(value, list):
                dumpers[type(value)] = dumper
        return bytes(dumper.dump(value) or b"").decode()

    return lambda values: E.copy_escape([text(v) for v in bound(values)])
