"""Engines, scratch databases, migration locks and URL redaction.

SQLite engines made here run DDL inside real transactions: pysqlite would
otherwise commit before every DDL statement, which is how a failed SQLite
migration ends half-applied. This is SQLAlchemy's documented pysqlite recipe:
the driver's own transaction handling is switched off and we emit ``BEGIN``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import compat
from workbench.config import is_version_table
from workbench.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import URL, Connection, Engine

SCRATCH_PREFIX = "wb_scratch_"
LOCK_TIMEOUT = 600.0
"""Seconds a migration waits for another one on the same database before giving up.

SQLite's busy timeout of a migrating connection is the same, so a second
upgrade waits one consistent time whichever lock it meets first.
"""
STATEMENT_LOCK_TIMEOUT = 5.0
"""PostgreSQL: seconds a migration's statement waits for a table lock another session
holds (``lock_timeout``) before the revision is rolled back and retried;
``$WORKBENCH_LOCK_TIMEOUT`` overrides it."""
SUPPORTED = ("sqlite", "postgresql")
"""The backends workbench migrates: both have transactional DDL, which its promises need."""
_SECRET_KEYS = re.compile(
    r"(?i)^(password|passwd|pwd|pass|sslpassword|sslkey_password|secret|token|"
    r"api_?key|access_?token|auth_?token|private_?key|credentials?)$"
)
_SECRET_IN_TEXT = re.compile(
    r"(?i)\b(password|passwd|pwd|sslpassword|sslkey_password|secret|token|api_?key|"
    r"access_?token|auth_?token)(\s*=\s*)('[^']*'|\"[^\"]*\"|[^&\s;,)'\"]+)"
)

_PG_DRIVERS = {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}


def parse_url(url: str | URL) -> URL:
    """Parse ``url``, choosing psycopg 3 for PostgreSQL; a ``DatabaseError`` if malformed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not isinstance(url, str):
        parsed = url
    else:
        text = _encode_userinfo(url.strip())
        if text.startswith("postgres://"):
            text = "postgresql://" + text[len("postgres://") :]
        try:
            parsed = make_url(text)
        except (ArgumentError, ValueError) as exc:
            # The text is not shown: what cannot be parsed cannot be redacted either.
            scheme = text.split("://", 1)[0] if "://" in text else ""
            named = (
                f"the URL starting {scheme}://"
                if re.fullmatch(r"[\w+.-]+", scheme)
                else ("the URL given")
            )
            raise DatabaseError(
                f"{named} is not a database URL ({exc}).",
                hint="Write it as sqlite:///path/to/file.db or "
                "postgresql://user:password@host:5432/dbname.",
            ) from None
    if parsed.drivername in ("postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _encode_userinfo(text: str) -> str:
    """Percent-encode a password holding an unencoded ``@`` (the host follows the last one)."""
    from urllib.parse import quote

    match = re.match(
        r"^([A-Za-z][\w+.-]*://)([^/?#]*)$|^([A-Za-z][\w+.-]*://)([^/?#]*)([/?#].*)$", text
    )
    if not match:
        return text
    scheme = match.group(1) or match.group(3)
    netloc = match.group(2) if match.group(1) else match.group(4)
    rest = "" if match.group(1) else match.group(5)
    if netloc.count("@") < 2:
        return text
    userinfo, _, host = netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    if not sep:
        return text
    return f"{scheme}{user}:{quote(password, safe='%')}@{host}{rest}"


def backend(url: str | URL) -> str:
    """``sqlite``, ``postgresql``, or another SQLAlchemy dialect name."""
    return parse_url(url).get_backend_name()


def check_supported(url: str | URL) -> None:
    """A ``DatabaseError``, before anything runs, for a backend workbench does not migrate.

    MySQL, MariaDB, SQL Server and Oracle commit DDL as it runs: a revision that
    fails halfway cannot be rolled back there, which every promise of workbench
    (a failed revision changes nothing, the guard rolls back) depends on.
    """
    name = backend(url)
    if name not in SUPPORTED:
        raise DatabaseError(
            f"cannot use {redact(url)}: it is a {name} database, which workbench does not "
            "support: it "
            "migrates only SQLite and PostgreSQL (their DDL runs inside transactions, so a "
            "failed or refused revision changes nothing). Nothing was run.",
            hint="Point --url (or $WORKBENCH_URL) at a sqlite:/// or postgresql:// database, "
            "or run this history with plain `alembic`.",
        )


def redact(url: str | URL) -> str:
    """The URL as text with every credential it carries replaced by ``***``.

    The password of the user part, and any query parameter that names a secret
    (``password``, ``sslpassword``, ``passwd``, ``token``...).
    """
    try:
        parsed = parse_url(url)
    except DatabaseError:
        return redact_text(str(url))
    secrets_ = {k: "***" for k in parsed.query if _SECRET_KEYS.match(k)}
    if secrets_:
        parsed = parsed.update_query_dict(secrets_)
    text = parsed.render_as_string(hide_password=True)
    return text.replace("%2A%2A%2A", "***")


def redact_text(text: str, *urls: str | URL) -> str:
    """``text`` with every credential replaced by ``***``.

    URL passwords (an unencoded ``@`` in one included), ``password=...``-like
    parameters of URLs and libpq connection strings, and the secrets of
    ``urls`` wherever they appear.
    """
    for url in urls:
        for secret in _secrets(url):
            text = text.replace(secret, "***")
    # The host follows the last ``@`` of a URL's user part.
    text = re.sub(r"(://[^:/@\s]*:)(\S*)(@[^@\s/]*)", r"\1***\3", text)
    return _SECRET_IN_TEXT.sub(r"\1\2***", text)


def _secrets(url: str | URL) -> list[str]:
    try:
        parsed = parse_url(url)
    except DatabaseError:
        return []
    found = [str(parsed.password)] if parsed.password else []
    for key, value in parsed.query.items():
        if _SECRET_KEYS.match(key):
            found.extend([value] if isinstance(value, str) else list(value))
    # Too short a secret would blank out ordinary text; it is hidden by the patterns.
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL; ``None`` for other backends and in-memory databases."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def exists(url: str | URL) -> bool:
    """Whether opening ``url`` would find a database rather than create one.

    Only a SQLite file can be created by opening it: it is looked at, never
    opened. A server database is taken to exist; connecting to it says so
    clearly if it does not (see :func:`connect_error`), so asking first would
    only cost a second connection.
    """
    path = sqlite_path(url)
    return path.is_file() if path is not None else True


def reflect(conn: Connection, only: Iterable[str] | None = None) -> MetaData:
    """The tables of ``conn``'s database as they are now: a schema's tables only.

    Alembic's version table and the ``_alembic_tmp_*`` copies a failed batch
    operation leaves behind are not part of a schema and are left out; so is
    what SQLAlchemy cannot reflect (SQLite expression indexes, skipped with a
    warning that would otherwise reach the user's terminal).

    Args:
        conn: the database, only read.
        only: reflect just these tables (and what they need).
    """
    import warnings

    import sqlalchemy as sa

    wanted = set(only) if only is not None else None

    def keep(name: str, _metadata: Any) -> bool:
        if is_version_table(name) or name.startswith("_alembic_tmp_"):
            return False
        return wanted is None or name in wanted

    metadata = sa.MetaData()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        metadata.reflect(conn, only=keep)
    return metadata


SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_foreign_file(url: URL) -> None:
    """A ``DatabaseError`` when a SQLite URL names a file that is not a SQLite database.

    SQLite opens any file and fails only at the first statement ("file is not a
    database"), deep inside whichever command reads it first: said here, once.
    """
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError:
        return  # unreadable: opening it says why
    if head and head != SQLITE_HEADER:
        raise DatabaseError(
            f"{redact(url)} is not a SQLite database (the file exists but holds something "
            "else); nothing was changed.",
            hint="Point --url at a SQLite database file, or at a path where none exists yet.",
        )


def read_only_error(exc: BaseException, url: str | URL) -> DatabaseError | None:
    """``exc`` as "this SQLite database is read-only" when that is what it is, else ``None``.

    SQLite opens a read-only file (its permissions, ``?mode=ro``) without a word
    and refuses only the first write, deep inside whatever was writing.
    """
    if parse_url(url).get_backend_name() != "sqlite":
        return None
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        text = str(getattr(seen, "orig", None) or seen).lower()
        if "readonly database" in text or "read-only database" in text:
            return DatabaseError(
                f"the SQLite database {redact(url)} is read-only (its file or its folder cannot "
                "be written by this user, or the URL opens it read-only); nothing was changed.",
                hint="Make the file and its folder writable (chmod u+w), or point --url at a "
                "writable copy.",
            )
        seen = seen.__cause__ or seen.__context__
    return None


def create_engine(url: str | URL, *, migrating: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` with workbench's settings.

    SQLite engines run every transaction as a real one (DDL included), enforce
    foreign keys, and wait up to 30 s for another writer. With ``migrating``
    they take the write lock at ``BEGIN`` so two migrations cannot interleave,
    and wait for it as long as for the migration lock (:data:`LOCK_TIMEOUT`).
    PostgreSQL engines use psycopg 3 and give up connecting after 10 s.
    """
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    parsed = parse_url(url)
    check_supported(parsed)
    name = parsed.get_backend_name()
    _refuse_foreign_file(parsed)
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    if name == "sqlite":
        connect_args.setdefault("timeout", LOCK_TIMEOUT if migrating else 30)
    elif name == "postgresql":
        connect_args.setdefault("connect_timeout", 10)
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(
            f"cannot use {redact(parsed)}: {exc}.",
            hint="workbench supports sqlite:/// and postgresql:// URLs.",
        ) from None
    if name == "sqlite":
        begin = "BEGIN IMMEDIATE" if migrating else "BEGIN"

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return  # autocommit_block(): each statement commits on its own
            conn.exec_driver_sql(begin)

        compat.sqlite_explicit_transactions(engine.dialect)

    return engine


@contextlib.contextmanager
def connect(url: str | URL, *, migrating: bool = False, **kwargs: Any) -> Iterator[Connection]:
    """A connection to ``url``; failures to connect become a ``DatabaseError`` with a hint.

    ``kwargs`` go to :func:`create_engine` (``isolation_level="AUTOCOMMIT"``, ...).
    """
    engine = create_engine(url, migrating=migrating, **kwargs)
    try:
        try:
            conn = engine.connect()
        except Exception as exc:
            raise connect_error(exc, url) from None
        with conn:
            yield conn
    finally:
        engine.dispose()


@contextlib.contextmanager
def driver_cursor(conn: Connection) -> Iterator[Any]:
    """A cursor of ``conn``'s driver connection (values as the driver returns them), closed
    on the way out."""
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def connect_error(exc: BaseException, url: str | URL) -> DatabaseError:
    """Turn a driver's connection failure into a one-paragraph ``DatabaseError``."""
    parsed = parse_url(url)
    where = redact(parsed)
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    reason = redact_text(reason, parsed)
    lowered = reason.lower()
    if parsed.get_backend_name() == "sqlite":
        return DatabaseError(
            f"cannot open the SQLite database {where}: {reason}.",
            hint="Check that the folder exists and is writable.",
        )
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return DatabaseError(
            f"the server at {where} refused the login of {_who(parsed.username)}: {reason}.",
            hint="Check the user name and password in the URL (or $PGPASSWORD).",
        )
    if "does not exist" in lowered and "database" in lowered:
        return DatabaseError(
            f"database {parsed.database!r} does not exist on the server at {where}.",
            hint=f"Create it (createdb {parsed.database}) or point the URL at one that exists.",
        )
    return DatabaseError(
        f"cannot connect to {where}: {reason}.",
        hint="Check that the server is running and that the host, port and database are right.",
    )


def _who(username: str | None) -> str:
    """The user a login was tried as, for a message: the URL may name none."""
    if username:
        return f"user {username!r}"
    return "the default user (the URL names none, so the driver used $PGUSER or your login name)"


# --- scratch databases --------------------------------------------------------------------


@contextlib.contextmanager
def scratch(against: str = "sqlite") -> Iterator[str]:
    """A throwaway database, dropped on exit whatever happens (Ctrl-C included).

    Args:
        against: ``sqlite`` for a temporary SQLite file, or the URL of a
            PostgreSQL server on which ``CREATE DATABASE wb_scratch_<random>`` is
            run; that URL's own database is used only to connect.

    Yields:
        The URL of the scratch database.
    """
    drop_orphans(against)
    if against == "sqlite":
        folder = tempfile.mkdtemp(prefix=_scratch_stem() + "_")
        try:
            yield f"sqlite:///{Path(folder, 'scratch.sqlite3').as_posix()}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    server = parse_url(against)
    if server.get_backend_name() != "postgresql":
        raise DatabaseError(
            f"cannot make a scratch database on {redact(server)}.",
            hint="Scratch databases are made with `sqlite` or a postgresql:// server URL.",
        )
    name = f"{_scratch_stem()}_{secrets.token_hex(4)}"
    _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(server, name)


def _machine() -> str:
    """A short token for this machine and boot: a process id means something only on it."""
    boot = ""
    with contextlib.suppress(OSError):
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="utf-8").strip()
    import socket

    return hashlib.sha256(f"{socket.gethostname()}|{boot}".encode()).hexdigest()[:8]


def _scratch_stem() -> str:
    """``wb_scratch_<pid>_<machine>``: the owner of a scratch database, read back by
    :func:`drop_orphans`."""
    return f"{SCRATCH_PREFIX}{os.getpid()}_{_machine()}"


_SCRATCH_NAME = re.compile(rf"^{SCRATCH_PREFIX}(\d+)_([0-9a-f]{{8}})_")


def _orphan(name: str) -> bool:
    """Whether scratch database ``name`` was made on this machine by a process that is gone.

    Names of another machine (a shared server) or of an older form are never
    orphans: who owns them cannot be told.
    """
    match = _SCRATCH_NAME.match(name)
    if match is None or match.group(2) != _machine():
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, owned by someone else
        return False
    return False


def drop_orphans(against: str = "sqlite") -> list[str]:
    """Drop the scratch databases a killed run left behind (see :func:`_orphan`); their names.

    Runs at the start of every scratch database, so a ``check`` killed with
    SIGKILL leaves nothing behind after the next run.
    """
    dropped: list[str] = []
    if against == "sqlite":
        for folder in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
            if folder.is_dir() and _orphan(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
                dropped.append(folder.name)
        return dropped
    server = parse_url(against)
    if server.get_backend_name() != "postgresql":
        return dropped
    from sqlalchemy import text

    with connect(server) as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
            {"p": SCRATCH_PREFIX.replace("_", "\\_") + "%"},
        ).scalars()
        orphans = [n for n in names if _orphan(n)]
    for name in orphans:
        drop_database(server, name)
        dropped.append(name)
    return dropped


def drop_database(server: str | URL, name: str) -> None:
    """Drop database ``name`` on ``server``, disconnecting anyone still in it."""
    try:
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except DatabaseError:
        # PostgreSQL before 13 has no FORCE.
        _admin(
            server,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
        )
        _admin(server, f'DROP DATABASE IF EXISTS "{name}"')


def _admin(server: str | URL, sql: str) -> None:
    from sqlalchemy.exc import DBAPIError

    with connect(server, isolation_level="AUTOCOMMIT") as conn:
        try:
            conn.exec_driver_sql(sql)
        except DBAPIError as exc:
            raise DatabaseError(
                f"{sql.split(' ')[0]} {sql.split(' ')[1]} failed on {redact(server)}: "
                f"{' '.join(str(exc.orig).split())}.",
                hint="The user in the URL needs the CREATEDB privilege.",
            ) from None


# --- locks --------------------------------------------------------------------------------


def statement_lock_timeout() -> float:
    """Seconds a PostgreSQL migration statement waits for a table lock: ``$WORKBENCH_LOCK_TIMEOUT``.

    Raises:
        DatabaseError: the variable is set to something that is not a positive number.
    """
    raw = os.environ.get("WORKBENCH_LOCK_TIMEOUT", "").strip()
    if not raw:
        return STATEMENT_LOCK_TIMEOUT
    try:
        value = float(raw.removesuffix("s"))
    except ValueError:
        value = -1.0
    if not value > 0 or value != value:
        raise DatabaseError(
            f"WORKBENCH_LOCK_TIMEOUT={raw!r} is not a number of seconds.",
            hint="Set it to a positive number such as 5 (seconds), or unset it.",
        )
    return value


def set_lock_timeout(conn: Connection, seconds: float) -> None:
    """PostgreSQL: ``conn``'s statements give up waiting for a table lock after ``seconds``."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"SET lock_timeout = {max(1, int(seconds * 1000))}")
    conn.commit()


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause) is PostgreSQL giving up on a lock (SQLSTATE 55P03)."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        orig = getattr(seen, "orig", None)
        for candidate in (seen, orig):
            if candidate is not None and getattr(candidate, "sqlstate", None) == "55P03":
                return True
        seen = seen.__cause__ or seen.__context__
    return False


def lock_holders(url: str | URL) -> list[str]:
    """The other sessions of ``url``'s PostgreSQL database that hold table locks, oldest first.

    Each is described as ``pid 123 (application_name 'psql', state 'idle in
    transaction', query started 2026-01-01 10:00:00+00)``; the query text is
    left out (it may hold values).
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with connect(url) as conn:
            rows = conn.exec_driver_sql(
                "SELECT DISTINCT a.pid, a.application_name, a.state, a.query_start, "
                "a.xact_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'relation' AND l.granted AND a.pid <> pg_backend_pid() "
                "AND a.datname = current_database() ORDER BY a.xact_start NULLS LAST"
            ).fetchall()
    except (DatabaseError, SQLAlchemyError):
        return []
    return [
        f"pid {pid} (application_name {app or ''!r}, state {state!r}, query started "
        f"{started:%Y-%m-%d %H:%M:%S%z})"
        if started is not None
        else f"pid {pid} (application_name {app or ''!r}, state {state!r})"
        for pid, app, state, started, _xact in rows
    ]


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock."""
    digest = hashlib.sha256(f"workbench:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def migration_lock(conn: Connection, name: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock that serialises migrations of ``name`` on ``conn``'s database.

    PostgreSQL: a session-level advisory lock. SQLite: an OS lock on a file in
    the temporary folder keyed by the database path (SQLite's own write lock is
    per transaction, and a migration is one transaction per revision). The
    connection is left outside any transaction on entry, as Alembic expects.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.exc import OperationalError

        key = lock_key(name)
        # The wait for another migration is bounded like SQLite's: lock_timeout
        # applies to advisory locks too. The caller sets the statements' own after.
        conn.exec_driver_sql(f"SET lock_timeout = {int(timeout * 1000)}")
        try:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
        except OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            conn.rollback()
            raise DatabaseError(
                f"another migration of {name!r} has held {redact(conn.engine.url)} for more "
                f"than {timeout:.0f} s; nothing was changed.",
                hint="Wait for it to finish, or stop it, then try again.",
            ) from None
        conn.exec_driver_sql("SET lock_timeout = 0")
        conn.commit()
        try:
            yield
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
            conn.commit()
        return
    database = conn.engine.url.database if dialect == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with _file_lock(Path(database).resolve(), timeout):
        yield


@contextlib.contextmanager
def _file_lock(database: Path, timeout: float) -> Iterator[None]:
    folder = Path(tempfile.gettempdir()) / "workbench-locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(str(database).encode()).hexdigest()[:32] + ".lock")
    with path.open("a+b") as handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle.fileno()):
            if time.monotonic() > deadline:
                raise DatabaseError(
                    f"another migration has held {database} for more than {timeout:.0f} s.",
                    hint="Wait for it to finish, or stop it, then try again.",
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(handle.fileno())


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
