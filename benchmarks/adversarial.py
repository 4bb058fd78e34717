"""Adversarial trials too slow for the test suite: races, kill -9, revisions that dodge the guard.

Run from the repository root::

    python -m benchmarks.adversarial               # 20 trials of each kind per backend
    python -m benchmarks.adversarial --trials 5    # a first look

Every trial runs ``workbench`` as whole processes against a real SQLite file and
a real PostgreSQL database (from :func:`workbench.pgserver.provision`), with a
password in the URL, and then checks: no data the target held is lost without
``--yes``, the target is at a revision (never half of one), a later run works,
no output holds the password, no output says "internal error". It prints one
line per kind and backend and exits 1 if any trial broke a promise.

Kinds:

* ``race``: a populated target; ``upgrade`` (a revision that drops a table and
  a column through ``op.get_bind()``) and ``downgrade base`` start together,
  neither with ``--yes``: both must refuse, every row must remain.
* ``kill-upgrade`` / ``kill-downgrade``: ``upgrade --yes`` from base over a
  chain of revisions that each create and fill a table (or ``downgrade base
  --yes`` from head), killed with SIGKILL at a random moment: the target must
  be exactly at some revision of the chain, and the command must then finish.
* ``kill-seed``: ``seed`` killed at a random moment: the database must pass its
  integrity and foreign-key checks, and a later ``seed`` must work.
* ``dodge``: a populated target and one of several revisions written to get
  past a guard that reads operations (raw SQL, ``op.get_bind()``, a DELETE, an
  UPDATE that truncates, a rename plus a drop): each must be refused, nothing
  changed.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from workbench import db, pgserver

SECRET = "Adv3rsarialPw"
CHAIN = 12

SCHEMA = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(40))
    bio: Mapped[str | None] = mapped_column(sa.Text())


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(80))
"""

BASE = '''
"""base"""
import sqlalchemy as sa
from alembic import op

revision = "r00"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40)),
        sa.Column("bio", sa.Text()),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
    )
    op.create_table("archive", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("archive")
    op.drop_table("posts")
    op.drop_table("users")
'''

LINK = '''
"""step {n}"""
import sqlalchemy as sa
from alembic import op

revision = "r{n:02d}"
down_revision = "r{p:02d}"


def upgrade() -> None:
    op.create_table("t{n:02d}", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO t{n:02d} (id) " + " UNION ALL ".join(
        f"SELECT {{i}}" for i in range(1, 301)))


def downgrade() -> None:
    op.drop_table("t{n:02d}")
'''

DODGES = {
    "get_bind": "    op.get_bind().execute(sa.text('SELECT 1'))\n    op.drop_table('archive')\n",
    "raw_drop": "    op.execute('DROP TABLE archive')\n",
    "driver_sql": "    op.get_bind().exec_driver_sql('DELETE FROM archive')\n",
    "delete": "    op.execute('DELETE FROM users WHERE id > 3')\n",
    "truncate_values": "    op.execute('UPDATE users SET name = substr(name, 1, 2)')\n",
    "null_values": "    op.execute('UPDATE users SET bio = NULL')\n",
    "rename_then_drop": (
        "    op.rename_table('archive', 'archive_old')\n    op.drop_table('archive_old')\n"
    ),
    "drop_column": (
        "    with op.batch_alter_table('users') as batch:\n        batch.drop_column('bio')\n"
    ),
}


def _dodge(body: str) -> str:
    return (
        '"""dodge"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "zz"\ndown_revision = "r00"\n\n\n'
        f"def upgrade() -> None:\n{body}\n\ndef downgrade() -> None:\n    pass\n"
    )


def _project(root: Path, *, chain: int = 0, dodge: str | None = None) -> Path:
    (root / "schemas").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "adv"\nversion = "0"\n\n[tool.workbench]\n', encoding="utf-8"
    )
    (root / "schemas" / "s.py").write_text(textwrap.dedent(SCHEMA), encoding="utf-8")
    from workbench.config import Config
    from workbench.migrate import ensure_environment

    ensure_environment(Config.at(root), "s")
    versions = root / "migrations" / "s" / "versions"
    (versions / "r00_base.py").write_text(BASE, encoding="utf-8")
    for n in range(1, chain + 1):
        (versions / f"r{n:02d}_step.py").write_text(LINK.format(n=n, p=n - 1), encoding="utf-8")
    if dodge is not None:
        (versions / "zz_dodge.py").write_text(_dodge(dodge), encoding="utf-8")
    return root


def _workbench(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env["WORKBENCH_INTERACTIVE"] = "0"
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", "--project", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=300)
    return proc.returncode, out


def _populate(url: str) -> None:
    with db.connect(url) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, name, bio) VALUES (1, 'ann', 'a'), "
                "(2, 'bob', 'b'), (3, 'cy', 'c'), (4, 'dee', 'd'), (5, 'eve', 'e')"
            )
        )
        conn.execute(sa.text("INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'x')"))
        conn.execute(sa.text("INSERT INTO archive (id) VALUES (1), (2)"))
        conn.commit()


def _held(url: str) -> tuple[object, ...]:
    with db.connect(url) as conn:
        return tuple(
            conn.execute(sa.text(sql)).scalar()
            for sql in (
                "SELECT count(*) FROM users",
                "SELECT count(bio) FROM users",
                "SELECT max(length(name)) FROM users",
                "SELECT count(*) FROM archive",
            )
        )


def _at(url: str) -> str | None:
    with db.connect(url) as conn:
        inspector = sa.inspect(conn)
        if not inspector.has_table("alembic_version"):
            return None
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def _tables(url: str) -> set[str]:
    with db.connect(url) as conn:
        return set(sa.inspect(conn).get_table_names())


class Tally:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[int]] = {}
        self.problems: list[str] = []

    def record(self, kind: str, backend: str, ok: bool, why: str = "") -> None:
        entry = self.rows.setdefault((kind, backend), [0, 0])
        entry[0] += 1
        if not ok:
            entry[1] += 1
            self.problems.append(f"{kind} on {backend}: {why}")


def _clean(out: str) -> str | None:
    if SECRET in out:
        return "the password reached the output"
    if "internal error" in out or "Traceback" in out:
        return "internal error: " + out[-300:]
    return None


def _fresh(backend: str, server: str | None, folder: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = folder / f"t{random.getrandbits(40):x}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    assert server is not None
    name = f"wb_adv_{random.getrandbits(40):x}"
    parsed = db.parse_url(server)
    db._admin(server, f'CREATE DATABASE "{name}"')
    url = parsed.set(database=name, password=SECRET).render_as_string(hide_password=False)
    return url, lambda: db.drop_database(server, name)


def trial_race(root: Path, url: str) -> str | None:
    _populate_at_base(root, url)
    before = _held(url)
    up = _workbench(root, "upgrade", "s", "--url", url)
    down = _workbench(root, "downgrade", "s", "base", "--url", url)
    (c1, o1), (c2, o2) = _finish(up), _finish(down)
    for out in (o1, o2):
        if (bad := _clean(out)) is not None:
            return bad
    if _held(url) != before:
        return f"data changed: {before} -> {_held(url)} ({o1!r} / {o2!r})"
    if c1 != 2 or c2 != 2:
        return f"expected both refused, got {c1} and {c2}: {o1!r} / {o2!r}"
    return None


def _populate_at_base(root: Path, url: str) -> None:
    code, out = _finish(_workbench(root, "upgrade", "s", "r00", "--url", url, "--yes"))
    if code != 0:
        raise RuntimeError(out)
    _populate(url)


def trial_kill(root: Path, url: str, *, down: bool) -> str | None:
    if down:
        code, out = _finish(_workbench(root, "upgrade", "s", "--url", url, "--yes"))
        if code != 0:
            return out
        args = ("downgrade", "s", "base", "--url", url, "--yes")
    else:
        args = ("upgrade", "s", "--url", url, "--yes")
    proc = _workbench(root, *args)
    time.sleep(random.uniform(0.3, 2.5))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    at = _at(url)
    expected = {"users", "posts", "archive"} if at else set()
    if at:
        expected |= {f"t{n:02d}" for n in range(1, int(at[1:]) + 1)}
    found = _tables(url) - {"alembic_version"}
    if found != expected:
        return f"at {at} but tables {sorted(found ^ expected)} differ: half a revision"
    code, out = _finish(_workbench(root, *args))
    if code != 0 or _clean(out) is not None:
        return f"the next run failed ({code}): {out[-300:]}"
    return None


def trial_kill_seed(root: Path, url: str) -> str | None:
    code, out = _finish(_workbench(root, "upgrade", "s", "r00", "--url", url, "--yes"))
    if code != 0:
        return out
    proc = _workbench(root, "seed", "s", "--rows", "20000", "--url", url)
    time.sleep(random.uniform(0.5, 3.0))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    with db.connect(url) as conn:
        orphans = conn.execute(
            sa.text("SELECT count(*) FROM posts WHERE user_id NOT IN (SELECT id FROM users)")
        ).scalar()
        if url.startswith("sqlite"):
            check = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if check != "ok":
                return f"integrity_check: {check}"
    if orphans:
        return f"{orphans} orphaned posts"
    code, out = _finish(_workbench(root, "seed", "s", "--rows", "50", "--url", url, "--yes"))
    if code != 0 or _clean(out) is not None:
        return f"the next seed failed ({code}): {out[-300:]}"
    return None


def trial_dodge(root: Path, url: str) -> str | None:
    _populate_at_base(root, url)
    before = _held(url)
    code, out = _finish(_workbench(root, "upgrade", "s", "--url", url))
    if (bad := _clean(out)) is not None:
        return bad
    if code != 2 or "would destroy data" not in out:
        return f"not refused ({code}): {out[-300:]}"
    if _held(url) != before or _at(url) != "r00":
        return f"changed: {before} -> {_held(url)}, at {_at(url)}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials of each kind per backend")
    parser.add_argument("--seed", type=int, default=12, help="random seed (kill moments)")
    options = parser.parse_args()
    random.seed(options.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="wb-adversarial-") as tmp, pgserver.provision() as pg:
        folder = Path(tmp)
        for backend in ("sqlite", "postgresql"):
            server = pg if backend == "postgresql" else None
            kinds: list[tuple[str, Callable[[Path, str], str | None], dict[str, object]]] = [
                ("race", trial_race, {"dodge": DODGES["get_bind"]}),
                ("kill-upgrade", lambda r, u: trial_kill(r, u, down=False), {"chain": CHAIN}),
                ("kill-downgrade", lambda r, u: trial_kill(r, u, down=True), {"chain": CHAIN}),
                ("kill-seed", trial_kill_seed, {}),
            ]
            for kind, run, shape in kinds:
                for i in range(options.trials):
                    root = _project(folder / f"{backend}-{kind}-{i}", **shape)  # type: ignore[arg-type]
                    url, drop = _fresh(backend, server, folder)
                    try:
                        why = run(root, url)
                    except Exception as exc:
                        why = f"{type(exc).__name__}: {exc}"
                    finally:
                        drop()
                    tally.record(kind, backend, why is None, why or "")
            for i, (name, body) in enumerate(sorted(DODGES.items()) * 3):
                root = _project(folder / f"{backend}-dodge-{name}-{i}", dodge=body)
                url, drop = _fresh(backend, server, folder)
                try:
                    why = trial_dodge(root, url)
                except Exception as exc:
                    why = f"{type(exc).__name__}: {exc}"
                finally:
                    drop()
                tally.record("dodge", backend, why is None, f"{name}: {why}")
    print(f"{'kind':<16}{'backend':<12}{'trials':>8}{'broken':>8}")
    for (kind, backend), (runs, broken) in sorted(tally.rows.items()):
        print(f"{kind:<16}{backend:<12}{runs:>8}{broken:>8}")
    total = sum(r[0] for r in tally.rows.values())
    print(f"total trials: {total}; broken promises: {len(tally.problems)}")
    for problem in tally.problems:
        print("  " + problem[:400])
    return 1 if tally.problems else 0


if __name__ == "__main__":
    sys.exit(main())
