"""URLs, redaction, connection errors and scratch databases, on real servers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from workbench import db, pgserver
from workbench.errors import DatabaseError


def test_passwords_are_redacted_everywhere() -> None:
    url = "postgresql://app:hunter2@db.example:5432/shop"
    assert db.redact(url) == "postgresql+psycopg://app:***@db.example:5432/shop"
    assert "hunter2" not in db.redact_text(f"failed for {url}: hunter2 rejected", url)


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x/y"])
def test_malformed_urls_are_clear_errors(url: str) -> None:
    with pytest.raises(DatabaseError, match=r"sqlite:///|postgresql://"):
        db.create_engine(url)


def test_an_unreachable_server_is_a_clear_error() -> None:
    with (
        pytest.raises(DatabaseError, match=r"cannot connect to .*:1/x.*server is running") as exc,
        db.connect("postgresql://u:topsecret@127.0.0.1:1/x"),
    ):
        pass
    assert "topsecret" not in exc.value.text


@pytest.mark.postgres
def test_a_wrong_password_is_a_clear_error_without_the_password() -> None:
    with pgserver.throwaway_cluster(password="right-one") as url:
        wrong = url.replace("right-one", "wrong-one")
        with (
            pytest.raises(DatabaseError, match="refused the login of user 'postgres'") as exc,
            db.connect(wrong),
        ):
            pass
        assert "wrong-one" not in exc.value.text and "right-one" not in exc.value.text
        with db.connect(url) as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_sqlite_engines_run_ddl_in_real_transactions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with db.connect(url) as conn:
        conn.exec_driver_sql("CREATE TABLE a (id INTEGER)")
        conn.rollback()
        assert "a" not in sa.inspect(conn).get_table_names()
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_scratch_is_removed_even_after_an_error() -> None:
    with pytest.raises(RuntimeError), db.scratch("sqlite") as url:
        path = db.sqlite_path(url)
        assert path is not None
        with db.connect(url) as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER)")
            conn.commit()
        raise RuntimeError("boom")
    assert path is not None and not path.exists()


@pytest.mark.postgres
def test_postgres_scratch_is_dropped_even_after_an_error(postgres_server: str) -> None:
    with pytest.raises(RuntimeError), db.scratch(postgres_server) as url:
        name = sa.make_url(url).database
        with db.connect(url) as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER)")
            conn.commit()
        raise RuntimeError("boom")
    with db.connect(postgres_server) as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
        assert left.scalar() == 0


def test_exists_never_creates_a_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "absent.sqlite3"
    assert db.exists(f"sqlite:///{path}") is False
    assert not path.exists()
