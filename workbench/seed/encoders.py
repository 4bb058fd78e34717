"""Encoders: the seed engine's raw values (epoch days, seconds, scaled integers) in the text
form the driver takes (``executemany`` on SQLite, ``COPY`` on PostgreSQL), made with lookups
instead of per-value formatting. Split from :mod:`workbench.seed.values`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, cast

from workbench.seed.values import DAY, EPOCH_ORDINAL

# --- encoders: raw values -> the driver's form ---------------------------------------------


class _Days(dict[int, str]):
    """``YYYY-MM-DD`` (plus ``suffix``) of an epoch day, made on first use."""

    def __init__(self, suffix: str = "") -> None:
        super().__init__()
        self.suffix = suffix

    def __missing__(self, day: int) -> str:
        text = self[day] = date.fromordinal(day + EPOCH_ORDINAL).isoformat() + self.suffix
        return text


_DAYS = _Days()
_DAY_PREFIXES = _Days(" ")
_HOURS_MINUTES = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SECONDS = tuple(f"{s:02d}" for s in range(60))
_SECONDS_UTC = tuple(f"{s:02d}+00" for s in range(60))


@cache
def _times_of_day(utc: bool) -> tuple[str, ...]:
    """``HH:MM:SS`` (``+00``) of every second of a day: one lookup instead of three."""
    ss = _SECONDS_UTC if utc else _SECONDS
    return tuple(hm + s for hm in _HOURS_MINUTES for s in ss)


def datetime_texts(values: Sequence[int | None], *, utc: bool = False) -> list[str | None]:
    """``YYYY-MM-DD HH:MM:SS`` (``+00`` with ``utc``) of epoch seconds; ``None`` stays."""
    days = _DAY_PREFIXES
    if len(values) < 2000:  # small batches (check's) do not pay for the table of times
        hm, ss = _HOURS_MINUTES, _SECONDS_UTC if utc else _SECONDS
        return [
            None if t is None else days[t // DAY] + hm[t % DAY // 60] + ss[t % 60] for t in values
        ]
    tod = _times_of_day(utc)
    present = [t for t in values if t is not None] if None in values else values
    if not present:
        return list(values)  # type: ignore[arg-type]
    low, high = min(present) // DAY, max(present) // DAY  # type: ignore[type-var, operator]
    if high - low > _PLAIN_DAYS_MAX:  # a range of centuries: no table of every day
        return [None if t is None else days[t // DAY] + tod[t % DAY] for t in values]
    # a plain dict looks up faster than the caching subclass; it is kept between batches
    known = _plain_days(low, high)
    if present is values:
        return [known[t // DAY] + tod[t % DAY] for t in values]  # type: ignore[operator]
    return [t if t is None else known[t // DAY] + tod[t % DAY] for t in values]


_PLAIN_DAYS: dict[int, str] = {}
_PLAIN_SPAN = [0, -1]
"""The days ``_PLAIN_DAYS`` holds, ``[first, last]`` (empty while last < first)."""
_PLAIN_DAYS_MAX = 40_000
"""Days (about a century) a table of day prefixes may span."""


def _plain_days(low: int, high: int) -> dict[int, str]:
    """Day prefixes of ``low..high`` in a plain dict, extended only where it lacks them."""
    first, last = _PLAIN_SPAN
    if (
        last < first
        or low > last + 1
        or high < first - 1
        or (max(high, last) - min(low, first) > _PLAIN_DAYS_MAX)
    ):
        _PLAIN_DAYS.clear()
        first, last = low, low - 1
    for day in [*range(low, first), *range(last + 1, high + 1)]:
        _PLAIN_DAYS[day] = _DAY_PREFIXES[day]
    _PLAIN_SPAN[:] = [min(low, first), max(high, last)]
    return _PLAIN_DAYS


def date_texts(values: Sequence[int | None]) -> list[str | None]:
    """``YYYY-MM-DD`` of day ordinals; ``None`` stays."""
    days = _DAYS
    return [None if d is None else days[d - EPOCH_ORDINAL] for d in values]


def time_texts(values: Sequence[int | None]) -> list[str | None]:
    hm, ss = _HOURS_MINUTES, _SECONDS
    return [None if t is None else hm[t // 60 % 1440] + ss[t % 60] for t in values]


def decimal_texts(values: Sequence[int | None], scale: int) -> list[str | None]:
    """Exact decimal text of integers counting ``10**-scale`` units."""
    if scale <= 0:
        return [None if v is None else str(v) for v in values]
    unit = 10**scale
    whole = cast(Sequence[int], values)
    if whole and None not in values and min(whole) >= 0:
        shape = f"%d.%0{scale}d"
        return [shape % divmod(v, unit) for v in whole]
    return [
        None
        if v is None
        else (
            f"-{-v // unit}.{-v % unit:0{scale}d}" if v < 0 else f"{v // unit}.{v % unit:0{scale}d}"
        )
        for v in values
    ]


def units(value: Any, scale: int) -> int:
    """A number as an integer count of ``10**-scale`` units (rounded toward zero)."""
    return int(Decimal(str(value)).scaleb(scale))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_escape(values: Sequence[str | None]) -> list[str]:
    """Text for PostgreSQL's COPY text format: specials escaped, ``None`` as ``\\N``."""
    table = _COPY_ESCAPES
    return ["\\N" if v is None else v.translate(table) for v in values]
