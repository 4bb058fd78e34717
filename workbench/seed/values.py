"""Columns of values, a batch at a time: realistic, vectorised, deterministic.

Every maker takes a :class:`random.Random` and a count and returns a list, with
list comprehensions over fixed pools (no call into Faker per value). Values are
*raw* while the engine works on them (an int for an integer, an int of
``10**-scale`` units for a NUMERIC, epoch seconds for a timestamp, a day
ordinal for a date) and become the driver's form only in an encoder
(:func:`sqlite_encoder`, :func:`copy_encoder`).

Unique strings are unique by construction: a value for the row with global
index ``g`` either carries ``g`` itself (``anna.lee42@example.com``,
``CS142``), or is a pool entry picked by a permutation of ``g``
(``python``, ``rust``, then ``python-2``...), or ends in ``-<g>``. Which scheme
a column uses is decided once per column (:func:`unique_scheme`), so two
schemes never meet in one column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from random import Random
from typing import Any

from workbench.seed import pools

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86_400
RECENT = (date(2019, 1, 1), date(2025, 12, 31))
"""Where dates and timestamps fall unless a name or a CHECK says otherwise (fixed dates)."""
BIRTH = (date(1940, 1, 1), date(2007, 12, 31))
NOW = date(2026, 1, 1)
"""What ``now()`` and ``CURRENT_DATE`` mean in a CHECK: after every generated date."""

Maker = Callable[[Random, int], list[str]]


def seconds(day: date) -> int:
    """Epoch seconds at the start of ``day``."""
    return (day.toordinal() - EPOCH_ORDINAL) * DAY


# --- permutations and picks ---------------------------------------------------------------


def stride(modulus: int, rng: Random) -> int:
    """A step coprime with ``modulus``: ``(start + step * k) % modulus`` visits every value once."""
    if modulus <= 2:
        return 1
    step = int(modulus * (0.382 + 0.236 * rng.random())) | 1
    while math.gcd(step, modulus) != 1:
        step += 1
    return step


_WORD = 2**32


def words(rng: Random, n: int) -> memoryview:
    """``n`` uniform 32-bit integers in one call: ``randbytes`` read as unsigned ints.

    The common generators draw an index a value from these rather than calling
    ``rng.random()`` per value (a fifth of the cost, and still the same numbers for the
    same seed).
    """
    return memoryview(rng.randbytes(4 * n)).cast("I")


def skewed(rng: Random, n: int, size: int) -> list[int]:
    """``n`` indexes into ``range(size)`` with a long tail: a few are picked often, most rarely.

    The popular ones are scattered over the range, not its first entries.
    """
    step, start = stride(size, rng), int(size * rng.random())
    if size < _WORD:
        half = words(rng, 2 * n)
        # the product of two uniform draws: small ones often (a few parents are picked a lot)
        return [
            (start + step * ((a * b * size) >> 64)) % size
            for a, b in zip(half[::2], half[1::2], strict=True)
        ]
    r = rng.random
    return [(start + step * int(size * r() * r())) % size for _ in range(n)]


def uniform(rng: Random, n: int, low: int, high: int) -> list[int]:
    """``n`` integers in ``[low, high]``."""
    width = high - low + 1
    if width < _WORD:
        return [low + ((w * width) >> 32) for w in words(rng, n)]
    r = rng.random
    return [low + int(width * r()) for _ in range(n)]


def low_heavy(rng: Random, n: int, low: int, high: int) -> list[int]:
    """``n`` integers in ``[low, high]``, small ones more often (quantities, counts)."""
    r = rng.random
    width = high - low + 1
    return [low + int(width * r() * r()) for _ in range(n)]


def log_uniform(rng: Random, n: int, low: float, high: float) -> list[float]:
    """``n`` floats in ``[low, high]`` spread evenly over orders of magnitude (prices, sizes)."""
    r = rng.random
    if low <= 0:
        return [low + (high - low) * r() * r() for _ in range(n)]
    base, span = math.log(low), math.log(high / low)
    exp = math.exp
    return [exp(base + span * r()) for _ in range(n)]


def log_units(rng: Random, n: int, low: int, high: int, unit: int) -> list[int]:
    """``n`` integers in ``[low, high]``, log-uniform in ``unit``s (the cents of prices)."""
    exp = math.exp
    first = max(low, unit, 1)
    base, span = math.log(first / unit), math.log(max(high, first) / first)
    span /= _WORD
    out = [int(exp(base + span * w) * unit) for w in words(rng, n)]
    if out and (min(out) < low or max(out) > high):
        out = [low if v < low else high if v > high else v for v in out]
    return out


def picks(rng: Random, n: int, pool: Sequence[Any]) -> list[Any]:
    """``n`` entries of ``pool``, uniformly."""
    size = len(pool)
    if size < _WORD:
        return [pool[(w * size) >> 32] for w in words(rng, n)]
    r = rng.random
    return [pool[int(size * r())] for _ in range(n)]


# --- what a column holds, from its name ---------------------------------------------------

_PERSON_TABLES = re.compile(
    r"^(users?|people|persons?|customers?|clients?|authors?|employees?|staff|members?|"
    r"students?|teachers?|instructors?|contacts?|patients?|players?|owners?|managers?|"
    r"accounts?|drivers?|guests?|speakers?|readers?|writers?|profiles?|actors?|artists?)$"
)
_TEXT_RULES: tuple[tuple[str, str], ...] = (
    (r"e_?mail", "email"),
    (r"^(user_?name|login|handle|nick_?name|nick|screen_?name)$", "username"),
    (r"^(first_?name|given_?name|forename)$", "first_name"),
    (r"^(last_?name|surname|family_?name)$", "last_name"),
    (r"^(full_?name|display_?name|author_?name|contact_?name|customer_?name|person)$", "person"),
    (r"slug", "slug"),
    (r"(^|_)(url|uri|website|homepage|link|href|avatar|image|photo|picture)($|_)", "url"),
    (r"(^|_)(phone|mobile|tel|telephone|fax|cell)($|_)", "phone"),
    (r"(^|_)(country_?code|country_?iso|iso_?country)$", "country_code"),
    (r"(^|_)country($|_)", "country"),
    (r"(^|_)(city|town|municipality)$", "city"),
    (r"(^|_)(region|province|county)$", "region"),
    (r"(^|_)(street|address|address_?line_?\d?|address\d)$", "street"),
    (r"(^|_)(zip|zip_?code|postal_?code|post_?code)$", "zip"),
    (r"(^|_)sku$", "sku"),
    (r"(^|_)(code|ref|reference|serial|barcode)$", "code"),
    (r"^(?!(phone|mobile|tel|fax|cell)_)\w+_(number|no|num|nr)$", "number_code"),
    (r"(^|_)(letter_)?grade$", "grade"),
    (r"(^|_)(title|subject|headline|heading|caption)$", "title"),
    (
        r"(^|_)(body|content|text|description|summary|bio|about|comment|notes?|message|"
        r"details|abstract|excerpt|review|remarks?)$",
        "body",
    ),
    (r"(^|_)colou?r$", "color"),
    (r"(^|_)currency", "currency"),
    (r"(^|_)(lang|language|locale)$", "language"),
    (r"(^|_)(timezone|time_?zone|tz)$", "timezone"),
    (r"(^|_)(status|state)$", "status"),
    (r"(^|_)(gender|sex)$", "gender"),
    (r"(^|_)ip(_?addr(ess)?)?$", "ip"),
    (r"(^|_)(password|passwd|hash|digest|token|secret|api_?key|salt|checksum|signature)", "hex"),
    (r"(^|_)(mime|mime_?type|content_?type|media_?type)$", "mime"),
    (r"(^|_)(file_?name|path|file)$", "filename"),
    (r"(^|_)version$", "version"),
    (r"(^|_)(uuid|guid)$", "uuid"),
    (
        r"(^|_)(company|organi[sz]ation|employer|brand|vendor|manufacturer|publisher|supplier)"
        r"(_?name)?$",
        "company",
    ),
    (r"(^|_)(tag|keyword|label)s?$", "tag"),
    (r"(^|_)(category|genre|department|section)(_?name)?$", "category"),
)
_NAME_BY_TABLE: tuple[tuple[str, str], ...] = (
    (r"^(tags?|labels?|keywords?|topics?)$", "tag"),
    (r"^(categories|category|genres?|departments?|sections?)$", "category"),
    (r"^(products?|items?|goods|articles?|skus?)$", "product"),
    (
        r"^(compan(y|ies)|organi[sz]ations?|orgs?|vendors?|suppliers?|brands?|publishers?|"
        r"manufacturers?|teams?)$",
        "company",
    ),
    (r"^(cities|city|towns?)$", "city"),
    (r"^(countries|country)$", "country"),
    (r"^(courses?|classes|subjects?|lessons?)$", "course"),
)


@cache
def text_kind(table: str, column: str) -> str:
    """What a string column holds, from its name (and its table's, for ``name`` and ``code``)."""
    name, owner = column.lower(), table.lower()
    if name in ("name", "title") and re.match(r"^(courses?|classes|subjects?)$", owner):
        return "course"
    if name == "code" and re.match(r"^(courses?|classes|subjects?)$", owner):
        return "course_code"
    if name == "name":
        if _PERSON_TABLES.match(owner):
            return "person"
        for pattern, kind in _NAME_BY_TABLE:
            if re.match(pattern, owner):
                return kind
        return "label"
    for pattern, kind in _TEXT_RULES:
        if re.search(pattern, name):
            return kind
    return "words"


_NUMBER_RULES: tuple[tuple[str, tuple[float, float, str]], ...] = (
    (
        r"(^|_)(price|amount|cost|total|subtotal|balance|salary|fee|revenue|budget|wage|"
        r"income|payment|charge|fare|tax)(_|$)",
        (1.0, 1000.0, "log"),
    ),
    (r"(^|_)(quantity|qty)$", (1, 10, "low")),
    (r"(^|_)(count|num_\w+|\w+_count|number_of_\w+)$", (0, 100, "low")),
    (r"(^|_)age$", (18, 90, "uniform")),
    (r"(^|_)year$", (1990, 2025, "uniform")),
    (r"(^|_)(rating|stars)$", (1, 5, "uniform")),
    (r"(^|_)(grade|score|mark|marks|points|result)$", (40, 100, "uniform")),
    (r"(^|_)gpa$", (0, 4, "uniform")),
    (r"(^|_)(percent|percentage|pct)", (0, 100, "uniform")),
    (r"(^|_)(rate|ratio|discount|probability)$", (0, 1, "uniform")),
    (r"(^|_)(lat|latitude)$", (-90, 90, "uniform")),
    (r"(^|_)(lng|lon|long|longitude)$", (-180, 180, "uniform")),
    (r"(^|_)(weight|mass)", (0.1, 100, "log")),
    (r"(^|_)(height)", (50, 220, "uniform")),
    (r"(^|_)credits?$", (1, 6, "uniform")),
    (
        r"(^|_)(position|sort_?order|rank|priority|ordinal|seq|sequence|level|order)$",
        (0, 100, "uniform"),
    ),
    (r"(^|_)(views?|likes|clicks|visits|downloads|followers|votes)(_count)?$", (0, 10000, "low")),
    (r"(^|_)(stock|inventory|on_hand|capacity|seats)$", (0, 500, "uniform")),
    (r"(^|_)(duration|seconds|minutes|length|timeout)$", (1, 3600, "low")),
    (r"(^|_)(size|bytes|file_?size)$", (100, 10_000_000, "log")),
)


@cache
def number_rule(column: str, integer: bool) -> tuple[float, float, str]:
    """A realistic ``(low, high, distribution)`` for a number column, from its name."""
    name = column.lower()
    for pattern, rule in _NUMBER_RULES:
        if re.search(pattern, name):
            return rule
    return (1, 10_000, "uniform") if integer else (0, 1000, "uniform")


@cache
def date_window(column: str) -> tuple[date, date]:
    """The dates a date or timestamp column falls in: birth dates in the past, others recent."""
    if re.search(r"(birth|dob|born)", column.lower()):
        return BIRTH
    return RECENT


def true_share(column: str) -> float:
    """How often a boolean column is true."""
    name = column.lower()
    if re.search(r"(deleted|archived|banned|locked|spam|suspended)", name):
        return 0.1
    if re.search(r"(active|enabled|visible|verified|available|in_stock|confirmed)", name):
        return 0.85
    return 0.5


def mostly_null(column: str) -> bool:
    """Columns that are usually empty when nullable: ``deleted_at``, ``archived_at``..."""
    return (
        re.search(r"(deleted|archived|cancel+ed|banned|revoked)_?(at|on|date)?$", column.lower())
        is not None
    )


# --- text makers --------------------------------------------------------------------------


def _phrases(
    name: str, words: Sequence[str], count: int, shortest: int, spread: int, end: str = ""
) -> tuple[str, ...]:
    """``count`` phrases of ``shortest`` to ``shortest + spread - 1`` of ``words``, the same
    every run (the generator is seeded by ``name``)."""
    rng = Random(name)
    out = []
    for _ in range(count):
        n = shortest + int(spread * rng.random())
        chosen = [words[int(len(words) * rng.random())] for _ in range(n)]
        out.append(" ".join(chosen).capitalize() + end)
    return tuple(out)


@cache
def _sentences() -> tuple[str, ...]:
    return _phrases("workbench-sentences", pools.WORDS, 1024, 6, 10, ".")


@cache
def _titles() -> tuple[str, ...]:
    return _phrases("workbench-titles", pools.TITLE_WORDS, 2048, 3, 5)


@cache
def _paragraphs() -> tuple[str, ...]:
    rng = Random("workbench-paragraphs")
    sentences = _sentences()
    out = []
    for _ in range(1024):
        n = 1 + int(6 * rng.random())
        out.append(" ".join(sentences[int(len(sentences) * rng.random())] for _ in range(n)))
    return tuple(out)


@cache
def _products() -> tuple[str, ...]:
    return tuple(
        f"{a} {m} {n}"
        for a in pools.PRODUCT_ADJECTIVES
        for m in pools.PRODUCT_MATERIALS
        for n in pools.PRODUCT_NOUNS
    )


@cache
def _companies() -> tuple[str, ...]:
    return tuple(f"{w} {s}" for w in pools.COMPANY_WORDS for s in pools.COMPANY_SUFFIXES)


@cache
def _courses() -> tuple[str, ...]:
    return tuple(f"{lvl} {s}" for s in pools.COURSE_SUBJECTS for lvl in pools.COURSE_LEVELS)


@cache
def _streets() -> tuple[str, ...]:
    return tuple(f"{s} {x}" for s in pools.STREETS for x in pools.STREET_SUFFIXES)


@cache
def _labels() -> tuple[str, ...]:
    return tuple(
        f"{a.capitalize()} {b}" for a in pools.TITLE_WORDS[:200] for b in pools.TITLE_WORDS[200:260]
    )


_COUNTRY_NAMES = tuple(c[0] for c in pools.COUNTRIES)
_COUNTRY_2 = tuple(c[1] for c in pools.COUNTRIES)
_COUNTRY_3 = tuple(c[2] for c in pools.COUNTRIES)
_AREAS = tuple(str(a) for a in range(201, 990) if a % 100 not in (11, 0))
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _emails(rng: Random, n: int) -> list[str]:
    return [
        f"{a}.{b}@{d}".lower()
        for a, b, d in zip(
            picks(rng, n, pools.FIRST_NAMES),
            picks(rng, n, pools.LAST_NAMES),
            picks(rng, n, pools.DOMAINS),
            strict=True,
        )
    ]


def _people(rng: Random, n: int) -> list[str]:
    first, last = picks(rng, n, pools.FIRST_NAMES), picks(rng, n, pools.LAST_NAMES)
    return [f"{a} {b}" for a, b in zip(first, last, strict=True)]


def _usernames(rng: Random, n: int) -> list[str]:
    first, last = picks(rng, n, pools.FIRST_NAMES), picks(rng, n, pools.LAST_NAMES)
    return [f"{a}_{b}".lower() for a, b in zip(first, last, strict=True)]


def _slugs(rng: Random, n: int) -> list[str]:
    return [t.lower().replace(" ", "-") for t in picks(rng, n, _titles())]


def _urls(rng: Random, n: int) -> list[str]:
    hosts, paths = picks(rng, n, pools.WORDS), _slugs(rng, n)
    return [f"https://www.{h}.example.com/{p}" for h, p in zip(hosts, paths, strict=True)]


def _phones(rng: Random, n: int) -> list[str]:
    areas, lines = picks(rng, n, _AREAS), uniform(rng, n, 100, 199)
    return [f"+1-{a}-555-{x:04d}" for a, x in zip(areas, lines, strict=True)]


def _zips(rng: Random, n: int) -> list[str]:
    return [f"{x:05d}" for x in uniform(rng, n, 1001, 99950)]


def _streets_numbered(rng: Random, n: int) -> list[str]:
    numbers, streets = uniform(rng, n, 1, 2999), picks(rng, n, _streets())
    return [f"{x} {s}" for x, s in zip(numbers, streets, strict=True)]


def _skus(rng: Random, n: int) -> list[str]:
    a, b, c = picks(rng, n, _LETTERS), picks(rng, n, _LETTERS), picks(rng, n, _LETTERS)
    numbers = uniform(rng, n, 0, 99999)
    return [f"{x}{y}{z}-{k:05d}" for x, y, z, k in zip(a, b, c, numbers, strict=True)]


_GRADES = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "F")


def _number_codes(rng: Random, n: int) -> list[str]:
    """Six digits; the column's initial is put in front (``student_number``: ``S-000123``)."""
    r = rng.random
    return [f"{1 + int(999_998 * r()):06d}" for _ in range(n)]


def _unique_number_codes(rng: Random, n: int, g0: int) -> list[str]:
    return [f"{g + 1:06d}" for g in range(g0, g0 + n)]


def usernames_for(names: Sequence[str | None], rng: Random, g0: int | None) -> list[str]:
    """Usernames made from people's names (``Ann Lee`` -> ``ann_lee``, ``ann_l42`` if unique).

    A missing name gets a made-up one.
    """
    n = len(names)
    firsts, lasts = picks(rng, n, pools.FIRST_NAMES), picks(rng, n, pools.LAST_NAMES)
    out = []
    for i, name in enumerate(names):
        parts = name.split() if name else []
        first, last = (parts[0], parts[-1]) if len(parts) > 1 else (firsts[i], lasts[i])
        out.append(
            f"{first}_{last}".lower() if g0 is None else f"{first}_{last[0]}{g0 + i}".lower()
        )
    return out


def _codes(rng: Random, n: int) -> list[str]:
    a, b = picks(rng, n, _LETTERS), picks(rng, n, _LETTERS)
    return [f"{x}{y}{k}" for x, y, k in zip(a, b, uniform(rng, n, 100, 999), strict=True)]


def _course_codes(rng: Random, n: int) -> list[str]:
    depts, numbers = picks(rng, n, pools.DEPARTMENTS), uniform(rng, n, 100, 499)
    return [f"{d}{k}" for d, k in zip(depts, numbers, strict=True)]


def _ips(rng: Random, n: int) -> list[str]:
    nets = picks(rng, n, ("192.0.2", "198.51.100", "203.0.113"))
    return [f"{a}.{b}" for a, b in zip(nets, uniform(rng, n, 1, 254), strict=True)]


def _hexes(rng: Random, n: int) -> list[str]:
    bits = rng.getrandbits
    return [f"{bits(256):064x}" for _ in range(n)]


def _uuids(rng: Random, n: int) -> list[str]:
    bits = rng.getrandbits
    return [uuid_text(_uuid_bits(bits(122))) for _ in range(n)]


def _filenames(rng: Random, n: int) -> list[str]:
    a, b, ext = (
        picks(rng, n, pools.WORDS),
        picks(rng, n, pools.WORDS),
        picks(rng, n, pools.FILE_EXTENSIONS),
    )
    return [f"{x}_{y}.{e}" for x, y, e in zip(a, b, ext, strict=True)]


def _versions(rng: Random, n: int) -> list[str]:
    major, minor, patch = uniform(rng, n, 0, 9), uniform(rng, n, 0, 20), uniform(rng, n, 0, 30)
    return [f"{a}.{b}.{c}" for a, b, c in zip(major, minor, patch, strict=True)]


def _words(rng: Random, n: int) -> list[str]:
    a, b = picks(rng, n, pools.WORDS), picks(rng, n, pools.WORDS)
    return [f"{x} {y}" for x, y in zip(a, b, strict=True)]


def _pool(pool: Callable[[], Sequence[str]] | Sequence[str]) -> Maker:
    def make(rng: Random, n: int) -> list[str]:
        return picks(rng, n, pool() if callable(pool) else pool)

    return make


MAKERS: dict[str, Maker] = {
    "email": _emails,
    "username": _usernames,
    "first_name": _pool(pools.FIRST_NAMES),
    "last_name": _pool(pools.LAST_NAMES),
    "person": _people,
    "slug": _slugs,
    "url": _urls,
    "phone": _phones,
    "country_code": _pool(_COUNTRY_2),
    "country": _pool(_COUNTRY_NAMES),
    "city": _pool(pools.CITIES),
    "region": _pool(pools.REGIONS),
    "street": _streets_numbered,
    "zip": _zips,
    "sku": _skus,
    "code": _codes,
    "number_code": _number_codes,
    "grade": _pool(_GRADES),
    "course_code": _course_codes,
    "title": _pool(_titles),
    "course": _pool(_courses),
    "body": _pool(_paragraphs),
    "color": _pool(pools.COLORS),
    "currency": _pool(pools.CURRENCIES),
    "language": _pool(pools.LANGUAGES),
    "timezone": _pool(pools.TIMEZONES),
    "status": _pool(pools.STATUSES),
    "gender": _pool(pools.GENDERS),
    "ip": _ips,
    "hex": _hexes,
    "mime": _pool(pools.MIME_TYPES),
    "filename": _filenames,
    "version": _versions,
    "uuid": _uuids,
    "company": _pool(_companies),
    "tag": _pool(pools.TAGS),
    "category": _pool(pools.CATEGORIES),
    "product": _pool(_products),
    "label": _pool(_labels),
    "words": _words,
}

_POOL_KINDS: dict[str, Callable[[], Sequence[str]]] = {
    "tag": lambda: pools.TAGS,
    "category": lambda: pools.CATEGORIES,
    "city": lambda: pools.CITIES,
    "country": lambda: _COUNTRY_NAMES,
    "color": lambda: pools.COLORS,
    "currency": lambda: pools.CURRENCIES,
    "language": lambda: pools.LANGUAGES,
    "timezone": lambda: pools.TIMEZONES,
    "status": lambda: pools.STATUSES,
    "region": lambda: pools.REGIONS,
    "company": _companies,
    "product": _products,
    "course": _courses,
    "first_name": lambda: pools.FIRST_NAMES,
    "last_name": lambda: pools.LAST_NAMES,
    "label": _labels,
    "title": _titles,
}


def _longest(values: Sequence[str]) -> int:
    return max(map(len, values))


def country_pool(max_len: int | None) -> Sequence[str]:
    """Country codes that fit: ISO 3166 alpha-2 below 3 characters, alpha-3 otherwise."""
    return _COUNTRY_2 if max_len is not None and max_len < 3 else _COUNTRY_3


# --- unique values ------------------------------------------------------------------------

UniqueMaker = Callable[[Random, int, int], list[str]]
"""``(rng, n, g0)``: values for the rows with global indexes ``g0 .. g0 + n - 1``."""


def _unique_emails(rng: Random, n: int, g0: int) -> list[str]:
    first, last = picks(rng, n, pools.FIRST_NAMES), picks(rng, n, pools.LAST_NAMES)
    domains = picks(rng, n, pools.DOMAINS)
    return [
        f"{a}.{b}{g}@{d}".lower()
        for a, b, d, g in zip(first, last, domains, range(g0, g0 + n), strict=True)
    ]


def emails_for(names: Sequence[str | None], rng: Random, g0: int | None) -> list[str]:
    """Emails made from people's names (``Ann Lee`` -> ``ann.lee@...``), with the index if unique.

    A missing name gets a made-up one.
    """
    n = len(names)
    firsts, lasts = picks(rng, n, pools.FIRST_NAMES), picks(rng, n, pools.LAST_NAMES)
    domains = picks(rng, n, pools.DOMAINS)
    out = []
    for i, name in enumerate(names):
        parts = name.split() if name else []
        first, last = (parts[0], parts[-1]) if len(parts) > 1 else (firsts[i], lasts[i])
        tag = "" if g0 is None else str(g0 + i)
        out.append(f"{first}.{last}{tag}@{domains[i]}".lower())
    return out


def _unique_usernames(rng: Random, n: int, g0: int) -> list[str]:
    first, last = picks(rng, n, pools.FIRST_NAMES), picks(rng, n, pools.LAST_NAMES)
    return [
        f"{a}_{b[0]}{g}".lower() for a, b, g in zip(first, last, range(g0, g0 + n), strict=True)
    ]


def _unique_course_codes(rng: Random, n: int, g0: int) -> list[str]:
    depts = picks(rng, n, pools.DEPARTMENTS)
    return [f"{d}{100 + g}" for d, g in zip(depts, range(g0, g0 + n), strict=True)]


def _unique_codes(rng: Random, n: int, g0: int) -> list[str]:
    a, b = picks(rng, n, _LETTERS), picks(rng, n, _LETTERS)
    return [f"{x}{y}{100 + g}" for x, y, g in zip(a, b, range(g0, g0 + n), strict=True)]


def _unique_skus(rng: Random, n: int, g0: int) -> list[str]:
    a, b, c = picks(rng, n, _LETTERS), picks(rng, n, _LETTERS), picks(rng, n, _LETTERS)
    return [f"{x}{y}{z}-{g:05d}" for x, y, z, g in zip(a, b, c, range(g0, g0 + n), strict=True)]


def _unique_phones(rng: Random, n: int, g0: int) -> list[str]:
    areas = picks(rng, n, _AREAS)
    return [f"+1-{a}-{g:07d}" for a, g in zip(areas, range(g0, g0 + n), strict=True)]


def _unique_ips(rng: Random, n: int, g0: int) -> list[str]:
    return [f"10.{g >> 16 & 255}.{g >> 8 & 255}.{g & 255}" for g in range(g0, g0 + n)]


def _unique_hexes(rng: Random, n: int, g0: int) -> list[str]:
    bits = rng.getrandbits
    return [f"{mix64(g):016x}{bits(192):048x}" for g in range(g0, g0 + n)]


def _unique_uuids(rng: Random, n: int, g0: int) -> list[str]:
    salt = rng.getrandbits(122)
    return [uuid_text(uuid_at(g, salt)) for g in range(g0, g0 + n)]


_UNIQUE_MAKERS: dict[str, tuple[UniqueMaker, Callable[[int], int]]] = {
    # maker, and the longest value it makes for global indexes below g_max
    "email": (
        _unique_emails,
        lambda g: (
            _longest(pools.FIRST_NAMES)
            + _longest(pools.LAST_NAMES)
            + len(str(g))
            + 2
            + _longest(pools.DOMAINS)
        ),
    ),
    "username": (_unique_usernames, lambda g: _longest(pools.FIRST_NAMES) + 2 + len(str(g))),
    "course_code": (
        _unique_course_codes,
        lambda g: _longest(pools.DEPARTMENTS) + len(str(g + 100)),
    ),
    "code": (_unique_codes, lambda g: 2 + len(str(g + 100))),
    "number_code": (_unique_number_codes, lambda g: 2 + max(6, len(str(g + 1)))),
    "sku": (_unique_skus, lambda g: 4 + max(5, len(str(g)))),
    "phone": (_unique_phones, lambda g: 7 + max(7, len(str(g)))),
    "ip": (_unique_ips, lambda g: 15 if g < 1 << 24 else 10**9),
    "hex": (_unique_hexes, lambda g: 64),
    "uuid": (_unique_uuids, lambda g: 36),
}


def unique_scheme(kind: str, max_len: int | None, g_max: int) -> str:
    """How a unique column of ``kind`` is kept unique for global indexes below ``g_max``.

    ``natural`` (the kind's own format carries the index), ``pool`` (a
    permutation of a pool, then ``entry-2``...), ``suffix`` (``value-<g>``), or
    ``bare`` (the index alone, in base 36, for very short columns).
    """
    limit = max_len if max_len is not None else 10**9
    if kind in _UNIQUE_MAKERS and _UNIQUE_MAKERS[kind][1](g_max) <= limit:
        return "natural"
    if kind in _POOL_KINDS:
        pool = _POOL_KINDS[kind]()
        overflow = len(str(g_max // len(pool) + 1)) + 1 if g_max > len(pool) else 0
        if _longest(pool) + overflow <= limit:
            return "pool"
    if limit >= len(str(g_max)) + 4:
        return "suffix"
    return "bare"


def unique_capacity(max_len: int | None) -> int:
    """How many distinct values the ``bare`` scheme has in ``max_len`` characters."""
    if max_len is None or max_len >= 12:
        return 1 << 62
    return int(36**max_len)


def unique_texts(
    kind: str, scheme: str, rng: Random, n: int, g0: int, max_len: int | None
) -> list[str]:
    """``n`` values of ``kind`` for global indexes ``g0 ..``, distinct from every other index's."""
    if scheme == "natural":
        return _UNIQUE_MAKERS[kind][0](rng, n, g0)
    if scheme == "pool":
        pool = _POOL_KINDS[kind]()
        size = len(pool)
        step, start = stride(size, Random(f"{kind}:{size}")), 0
        return [
            pool[(start + step * g) % size] if g < size else f"{pool[g % size]}-{g // size + 1}"
            for g in range(g0, g0 + n)
        ]
    if scheme == "bare":
        return [base36(g) for g in range(g0, g0 + n)]
    bases = MAKERS[kind](rng, n)
    if max_len is None:
        return [f"{b}-{g}" for b, g in zip(bases, range(g0, g0 + n), strict=True)]
    out = []
    for base, g in zip(bases, range(g0, g0 + n), strict=True):
        tail = f"-{g}"
        out.append(base[: max_len - len(tail)] + tail)
    return out


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def mix64(g: int) -> int:
    """A bijection of 64-bit integers that scatters consecutive ones."""
    x = (g * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 31
    return (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF


def _uuid_bits(x: int) -> int:
    """122 bits laid out as a version-4 UUID (bits in, UUID out: one to one)."""
    return (
        ((x >> 74) << 80)
        | (0x4 << 76)
        | (((x >> 62) & 0xFFF) << 64)
        | (0b10 << 62)
        | (x & ((1 << 62) - 1))
    )


def uuid_at(g: int, salt: int) -> int:
    """The UUID (as an int) of the row with global index ``g``: distinct for distinct ``g``."""
    return _uuid_bits((g * 0x9E3779B97F4A7C15F39CC0605CEDC835 + salt) & ((1 << 122) - 1))


def uuid_text(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def fit(values: list[str], max_len: int | None, min_len: int = 0) -> list[str]:
    """Cut values to ``max_len`` characters and pad them to ``min_len``."""
    if max_len is not None and values and _longest(values) > max_len:
        values = [v[:max_len] for v in values]
    if min_len and values and min(map(len, values)) < min_len:
        values = [v.ljust(min_len, "x") for v in values]
    return values
