"""Models that import cleanly but cannot become a database: found once, when they are loaded.

SQLAlchemy accepts a ``ForeignKey("nosuch.id")`` until something needs the
referenced column, two indexes of one name until ``CREATE INDEX`` runs, and a
column type no backend can write until DDL is compiled. Each command would
then fail somewhere deep inside (sorting tables, naming constraints, seeding,
building a scratch database) with SQLAlchemy's exception, or, worse, half-way.
The loader calls :func:`check_references` (every schema, every command) and
:func:`check_backends` (names and types, for the backends the schema
supports) so that such models are one clear error naming the user's file and
line, whatever the command.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import ModelDefect, SchemaLoadError

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table
    from sqlalchemy.sql.schema import ForeignKey

BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

PG_MAX_IDENTIFIER = 63
"""PostgreSQL keeps the first 63 bytes of a name and silently drops the rest."""


@dataclass(frozen=True)
class Source:
    """Where the models are written: the files searched for the line a problem is on."""

    path: Path
    shown: str
    module: Any = None
    root: Path | None = None

    @cached_property
    def files(self) -> tuple[tuple[Path, str], ...]:
        """(path, shown): the schema module, then the other modules its mapped classes are in."""
        import inspect as pyinspect

        files: list[tuple[Path, str]] = [(self.path, self.shown)]
        for value in list(vars(self.module).values()) if self.module is not None else []:
            if not isinstance(value, type) or getattr(value, "__table__", None) is None:
                continue
            try:
                found = pyinspect.getsourcefile(value)
            except (TypeError, OSError):
                continue
            if found is None:
                continue
            file = Path(found).resolve()
            if all(file != f for f, _ in files):
                files.append((file, shown_path(file, self.root)))
        return tuple(files)

    def where(self, *needles: str, table: str | None = None) -> str:
        """``file:line`` of :meth:`place`, or the file alone."""
        shown, line = self.place(*needles, table=table)
        return f"{shown}:{line}" if line else shown

    def place(self, *needles: str, table: str | None = None) -> tuple[str, int | None]:
        """File and line of the first line holding one of ``needles`` (after ``table``'s
        declaration when it is given), else the schema's file and no line."""
        for path, shown in self.files:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            start = _declaration(lines, table) if table else 0
            for number in range(start, len(lines)):
                if any(re.search(n, lines[number]) for n in needles):
                    return shown, number + 1
        return self.shown, None


def shown_path(path: Path, root: Path | None) -> str:
    """``path`` relative to the project ``root`` where it lies inside it, else as given."""
    if root is not None:
        try:
            return path.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _declaration(lines: list[str], table: str) -> int:
    quoted = rf"""["']{re.escape(table)}["']"""
    for number, line in enumerate(lines):
        if re.search(rf"__tablename__\s*[:=].*{quoted}|Table\(\s*{quoted}", line):
            return number
    return 0


def _quoted(text: str) -> str:
    return rf"""["']{re.escape(text)}["']"""


def _column_line(column: str) -> tuple[str, ...]:
    return (rf"^\s*{re.escape(column)}\s*[:=]", rf"Column\(\s*{_quoted(column)}")


# --- foreign keys -------------------------------------------------------------------------


def check_references(metadata: MetaData, source: Source, *, keys: bool = True) -> None:
    """Every foreign key names a table and columns of this MetaData that are a key there.

    ``keys=False`` skips the last part (adopted models may leave to their history
    a UNIQUE index that the database has and the models do not declare).

    Raises:
        SchemaLoadError: a foreign key to a table or column the schema does not
            declare, or to columns that are neither the primary key nor UNIQUE
            (PostgreSQL refuses the table; SQLite fails the first write into it).
    """
    from sqlalchemy.exc import NoReferencedColumnError, NoReferencedTableError

    for table in sorted(metadata.tables.values(), key=lambda t: str(t.key)):
        for constraint in sorted(table.foreign_key_constraints, key=_fk_key):
            for element in constraint.elements:
                try:
                    element.column  # noqa: B018 - resolving it is the check
                except NoReferencedTableError as exc:
                    raise _missing_table(metadata, table, element, exc.table_name, source) from None
                except NoReferencedColumnError as exc:
                    raise _missing_column(
                        metadata, table, element, exc.table_name, exc.column_name, source
                    ) from None
            referred = constraint.referred_table
            columns = [e.column for e in constraint.elements]
            if keys and not _is_key(referred, columns):
                raise _not_a_key(table, constraint.elements, referred, columns, source)


def _fk_key(constraint: Any) -> list[str]:
    return [str(c.name) for c in constraint.columns]


def _named(table: Table, element: ForeignKey) -> str:
    return f"{table.name}.{element.parent.name}"


def _missing_table(
    metadata: MetaData, table: Table, element: ForeignKey, missing: str, source: Source
) -> SchemaLoadError:
    near = difflib.get_close_matches(missing, [str(k) for k in metadata.tables], n=1)
    guess = f" Did you mean {near[0]!r}?" if near else ""
    return _dangling(
        table,
        element,
        source,
        f"table {missing!r} ({element.target_fullname!r}), which the schema does not "
        f"declare (its tables: {', '.join(sorted(str(k) for k in metadata.tables))}).{guess}",
        hint="Declare that table in this schema's models, or correct the ForeignKey target "
        "(TABLE.COLUMN): a foreign key can only refer to a table of the same schema (MetaData).",
    )


def _missing_column(
    metadata: MetaData,
    table: Table,
    element: ForeignKey,
    referred: str,
    missing: str,
    source: Source,
) -> SchemaLoadError:
    other = metadata.tables.get(referred)
    names = [str(c.name) for c in other.columns] if other is not None else []
    near = difflib.get_close_matches(missing, names, n=1)
    guess = f" Did you mean {referred}.{near[0]}?" if near else ""
    return _dangling(
        table,
        element,
        source,
        f"{element.target_fullname!r}, but table {referred!r} has no column {missing!r} "
        f"(its columns: {', '.join(names)}).{guess}",
        hint="Correct the ForeignKey target (TABLE.COLUMN).",
    )


def _dangling(
    table: Table, element: ForeignKey, source: Source, target: str, *, hint: str
) -> SchemaLoadError:
    """A foreign key of ``table`` that refers to what is not there: ``target`` says what."""
    where = source.where(_quoted(element.target_fullname), table=table.name)
    return SchemaLoadError(
        f"{where}: column {_named(table, element)} has a foreign key to {target}",
        path=source.shown,
        hint=hint,
    )


def _is_key(table: Table, columns: Sequence[Column[Any]]) -> bool:
    """Whether ``columns`` are, as a set, ``table``'s primary key, a UNIQUE or a full unique
    index: what PostgreSQL requires of a foreign key's target (SQLite too, at write time)."""
    from sqlalchemy import UniqueConstraint

    wanted = {str(c.name) for c in columns}
    keys = [{str(c.name) for c in table.primary_key.columns}]
    keys += [
        {str(c.name) for c in u.columns}
        for u in table.constraints
        if isinstance(u, UniqueConstraint)
    ]
    keys += [
        {str(c.name) for c in i.columns}
        for i in table.indexes
        if i.unique and not i.expressions[len(i.columns) :] and not _partial(i)
    ]
    keys += [{str(c.name)} for c in table.columns if c.unique]
    return any(k == wanted for k in keys if k)


def _partial(index: Any) -> bool:
    return any(
        value is not None
        for key, value in index.kwargs.items()
        if key.endswith("_where") and key.split("_", 1)[0] in BACKEND_NAMES
    )


def _not_a_key(
    table: Table,
    elements: Sequence[ForeignKey],
    referred: Table,
    columns: Sequence[Column[Any]],
    source: Source,
) -> SchemaLoadError:
    target = ", ".join(e.target_fullname for e in elements)
    mine = ", ".join(_named(table, e) for e in elements)
    pk = ", ".join(str(c.name) for c in referred.primary_key.columns)
    what = f"its primary key is ({pk})" if pk else "it has no primary key"
    refs = ", ".join(str(c.name) for c in columns)
    return SchemaLoadError(
        f"{source.where(*(_quoted(e.target_fullname) for e in elements), table=table.name)}: "
        f"{mine} has a foreign key to {target}, but ({refs}) is neither the primary key nor "
        f"UNIQUE in table {referred.name!r} ({what}): PostgreSQL refuses to create it "
        "(there is no unique constraint matching given keys) and SQLite fails the first "
        "write into the table (foreign key mismatch).",
        path=source.shown,
        hint=f"Point the foreign key at {referred.name!r}'s primary key, or make ({refs}) "
        "unique there (unique=True, or a UniqueConstraint).",
    )


# --- names and types, per backend ----------------------------------------------------------


def check_backends(
    metadata: MetaData, source: Source, backends: Sequence[str], schema: str
) -> None:
    """Names the database would see twice, and column types a supported backend cannot create.

    Raises:
        SchemaLoadError: two tables, indexes or index-backed constraints with one
            name in the database's namespace (SQLite: any case; PostgreSQL: the
            first 63 bytes), or a column type that cannot be compiled for one of
            ``backends``.
    """
    _check_names(metadata, source, backends)
    _check_types(metadata, source, backends, schema)


def _relations(metadata: MetaData, backend: str) -> Iterator[tuple[str, str, str]]:
    """(namespace key, kind, declared name) of everything that takes a name in the schema."""
    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    for table in metadata.tables.values():
        space = str(table.schema or "")
        yield space, "table", str(table.name)
        for index in table.indexes:
            if _has_name(index):
                yield space, "index", str(index.name)
        if backend == "postgresql":
            # PRIMARY KEY and UNIQUE constraints are indexes of the same name there.
            for constraint in table.constraints:
                if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint) and _has_name(
                    constraint
                ):
                    yield space, "constraint", str(constraint.name)


def _has_name(item: Any) -> bool:
    from sqlalchemy.sql.base import _NONE_NAME

    return item.name is not None and item.name is not _NONE_NAME


def _folded(name: str, backend: str) -> str:
    if backend == "sqlite":
        return name.lower()
    return name.encode()[:PG_MAX_IDENTIFIER].decode(errors="ignore")


def _check_names(metadata: MetaData, source: Source, backends: Sequence[str]) -> None:
    for backend in backends:
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        for space, kind, name in _relations(metadata, backend):
            key = (space, _folded(name, backend))
            if key not in seen:
                seen[key] = (kind, name)
                continue
            first_kind, first = seen[key]
            why = (
                "SQLite ignores the case of names"
                if first != name and first.lower() == name.lower() and backend == "sqlite"
                else f"PostgreSQL keeps only the first {PG_MAX_IDENTIFIER} bytes of a name"
                if first != name
                else "tables, indexes and key constraints share one namespace"
                if backend == "postgresql"
                else "tables and indexes share one namespace"
            )
            if first == name:
                who = f"two {kind}es are" if kind == "index" else f"two {kind}s are"
                what = f"{who} named {name!r}: that is"
                needle = _quoted(name)
            elif kind == first_kind:
                what = f"the {kind}{'es' if kind == 'index' else 's'} {first!r} and {name!r} are"
                needle = _quoted(name)
            else:
                what = f"the {first_kind} {first!r} and the {kind} {name!r} are"
                needle = _quoted(name)
            raise ModelDefect(
                f"{what} one name to {BACKEND_NAMES[backend]} ({why}), so it cannot create both.",
                source.place(needle),
                backends=tuple(backends) if first == name else (backend,),
                hint="Give one of them another name (name=... on the Index or constraint, "
                "__tablename__ on the model).",
            )


_COMPILED: dict[tuple[str, type, str], str | None] = {}
"""(backend, type class, repr) -> None when it compiles, else why not: types repeat a lot."""


def _check_types(metadata: MetaData, source: Source, backends: Sequence[str], schema: str) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    dialects: dict[str, Any] = {
        "sqlite": sqlite.dialect(),
        "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
    }
    for table in sorted(metadata.tables.values(), key=lambda t: str(t.key)):
        for column in table.columns:
            failed = {
                backend: why
                for backend in backends
                if (why := _compiles(column, backend, dialects[backend])) is not None
            }
            if not failed:
                continue
            place = source.place(*_column_line(str(column.name)), table=table.name)
            names = " nor ".join(BACKEND_NAMES[b] for b in failed)
            reason = "; ".join(dict.fromkeys(failed.values()))
            kind = type(column.type).__name__
            if len(failed) == len(backends):
                hint = (
                    f"Give {kind} a get_col_spec() (UserDefinedType), or make it a "
                    f"TypeDecorator over a type {names.replace(' nor ', ' and ')} can store."
                )
            else:
                others = [b for b in backends if b not in failed]
                listed = ", ".join(f'"{b}"' for b in others)
                hint = (
                    f"Use a type {names} can store too (a TypeDecorator whose "
                    "load_dialect_impl picks one per backend), or, if the schema runs on "
                    f"{' and '.join(BACKEND_NAMES[b] for b in others)} only, declare it: "
                    f"[tool.workbench.schema.{schema}] backends = [{listed}]."
                )
            raise ModelDefect(
                f"column {table.name}.{column.name} has type {kind}, which "
                f"{'neither ' + names + ' can' if len(failed) > 1 else names + ' cannot'} "
                f"create ({reason}); the "
                f"schema supports {' and '.join(BACKEND_NAMES[b] for b in backends)}.",
                place,
                backends=tuple(failed),
                hint=hint,
            )


def _compiles(column: Column[Any], backend: str, dialect: Any) -> str | None:
    try:
        key = (backend, type(column.type), repr(column.type))
    except Exception:  # a type whose repr fails: compile it uncached
        key = None
    if key is not None and key in _COMPILED:
        return _COMPILED[key]
    why: str | None
    try:
        dialect.type_compiler_instance.process(column.type, type_expression=column)
        why = None
    except Exception as exc:  # the user's type: whatever it raises, it does not compile
        text = " ".join(str(exc).split())
        text = re.sub(r"<[\w.]+ object at 0x[0-9a-f]+>", dialect.name, text)
        text = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)
        why = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        if len(why) > 200:
            why = why[:200] + "..."
    if key is not None:
        _COMPILED[key] = why
    return why


# --- the models against a database ----------------------------------------------------------


def require_built(
    conn: Any, metadata: MetaData, schema: str, where: str, tables: Iterable[str] | None = None
) -> None:
    """Refuse when the database behind ``conn`` lacks a table or column the models declare.

    The database is at the head of the history, yet the models are ahead of it
    (a model changed, no revision written yet): rows made from the models would
    name tables and columns it does not have.

    Raises:
        WorkbenchError: naming what is missing and the command that writes it.
    """
    import sqlalchemy as sa

    from workbench.errors import WorkbenchError

    wanted = [
        t
        for t in metadata.tables.values()
        if tables is None or str(t.name) in set(tables) or str(t.key) in set(tables)
    ]
    inspector = sa.inspect(conn)
    missing: list[str] = []
    for space in sorted({t.schema for t in wanted}, key=lambda s: s or ""):
        live = {
            key[1]: {str(c["name"]) for c in columns}
            for key, columns in inspector.get_multi_columns(schema=space).items()
        }
        for table in sorted((t for t in wanted if t.schema == space), key=lambda t: str(t.key)):
            have = live.get(str(table.name))
            if have is None:
                missing.append(f"table {table.name}")
                continue
            missing += [
                f"column {table.name}.{c.name}" for c in table.columns if c.name not in have
            ]
    if conn.in_transaction():
        conn.rollback()
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise WorkbenchError(
            f"{where} is at the head of {schema!r}, but the models are ahead of its history: "
            f"no revision creates {shown}.",
            hint=f"Write the revision first (`workbench generate {schema} -m MESSAGE`), apply it "
            f"(`workbench upgrade {schema}`), then run this again.",
        )
