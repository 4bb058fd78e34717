"""Find or start a real PostgreSQL server for tests and benchmarks.

Order: ``$WORKBENCH_TEST_POSTGRES_URL``; else a server on 127.0.0.1:5432 that
accepts a login; else a throwaway cluster made with the local ``initdb`` and
``pg_ctl`` (run as the ``postgres`` system user when we are root, since
PostgreSQL refuses to run as root), stopped and deleted afterwards.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workbench import db
from workbench.errors import DatabaseError


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else the newest Debian install."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def can_login(url: str) -> bool:
    """Whether ``url`` accepts a connection right now."""
    try:
        with db.connect(url) as conn:
            conn.exec_driver_sql("SELECT 1")
    except DatabaseError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_cluster(password: str | None = None) -> Iterator[str]:
    """Start a private PostgreSQL cluster on a free port; yield its URL; stop and delete it.

    Args:
        password: when given, TCP logins need it (scram-sha-256) and the URL
            carries it; otherwise any login is trusted.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise DatabaseError(
            "no PostgreSQL binaries found (initdb, pg_ctl).",
            hint="Install PostgreSQL (apt-get install postgresql) or set "
            "WORKBENCH_TEST_POSTGRES_URL to a server you can use.",
        )
    as_user: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="wb_pg_"))
    data, sockets, log = folder / "data", folder / "sock", folder / "server.log"
    sockets.mkdir()
    if as_user:
        shutil.chown(folder, user="postgres")
        shutil.chown(sockets, user="postgres")
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise DatabaseError(
                f"{Path(args[0]).name} failed: {' '.join(detail)}",
                hint=f"See {log} for the server's own messages.",
            )

    auth = ["-A", "trust"]
    if password is not None:
        pwfile = folder / "pw"
        pwfile.write_text(password + "\n", encoding="utf-8")
        if as_user:
            shutil.chown(pwfile, user="postgres")
        auth = ["--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}"]
    try:
        run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            *auth,
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "start",
        )
        try:
            login = f"postgres:{password}" if password is not None else "postgres"
            yield f"postgresql+psycopg://{login}@127.0.0.1:{port}/postgres"
        finally:
            with contextlib.suppress(DatabaseError):
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def for_scratch() -> Iterator[str]:
    """A PostgreSQL server for scratch databases: ``$WORKBENCH_POSTGRES_URL`` when set, else
    :func:`provision` (a local server we can log into, else a throwaway cluster)."""
    given = os.environ.get("WORKBENCH_POSTGRES_URL")
    if given:
        yield given
        return
    with provision() as server:
        yield server


@contextlib.contextmanager
def provision() -> Iterator[str]:
    """A PostgreSQL server URL to create and drop databases on, by the order in the module doc."""
    given = os.environ.get("WORKBENCH_TEST_POSTGRES_URL")
    if given:
        if not can_login(given):
            raise DatabaseError(
                f"WORKBENCH_TEST_POSTGRES_URL ({db.redact(given)}) does not accept a login.",
                hint="Fix the URL or unset it to let the tests start their own server.",
            )
        yield given
        return
    for user in ("postgres", getpass.getuser()):
        local = f"postgresql+psycopg://{user}@127.0.0.1:5432/postgres"
        if _port_open(5432) and can_login(local):
            yield local
            return
    with throwaway_cluster() as url:
        yield url


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def main(argv: list[str] | None = None) -> int:
    """Run a command with ``$WORKBENCH_POSTGRES_URL`` naming a PostgreSQL server, then stop it.

    ``python -m workbench.pgserver workbench check --all`` is how CI checks the
    examples on PostgreSQL wherever it runs: the server is found or started as
    :func:`provision` says, and a throwaway cluster is stopped and deleted after.
    """
    import sys

    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        sys.stderr.write("usage: python -m workbench.pgserver COMMAND [ARG]...\n")
        return 2
    with provision() as url:
        env = {**os.environ, "WORKBENCH_POSTGRES_URL": url}
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
