"""squash over revisions that do different things per backend (generate's enum DDL runs
only on PostgreSQL): the squashed revision keeps each backend's own operations."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import Project
from tests.helpers import outcome

MODELS = """
import enum
from sqlalchemy import Enum, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Status(enum.Enum):
{members}

class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={{"pk": "pk_%(table_name)s"}})

class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[Status] = mapped_column(Enum(Status, name="status"))
"""


def _models(project: Project, *members: str) -> None:
    body = textwrap.indent("\n".join(f"{m} = {m!r}" for m in members), "    ")
    project.write_schema("shop", MODELS.format(members=body))


@pytest.mark.postgres
def test_squash_keeps_what_each_backend_runs(project: Project, postgres_server: str) -> None:
    assert outcome(project, "init", str(project.root))[0] == 0
    against = ("--against", "sqlite", "--against", postgres_server)
    for step, members in enumerate((("draft", "live"), ("draft", "live", "gone"))):
        _models(project, *members)
        code, out = outcome(project, "generate", "shop", "-m", f"step {step}", *against)
        assert code == 0, out
    _models(project, "draft", "live", "gone", "old")
    assert outcome(project, "generate", "shop", "-m", "later", *against)[0] == 0
    versions = project.root / "migrations" / "shop" / "versions"
    second = next(p for p in versions.glob("*.py") if "step_1" in p.name)
    to = second.name.split("_")[3]
    code, out = outcome(project, "squash", "shop", "--to", to, *against)
    assert code == 0, out
    assert "proved on SQLite, PostgreSQL" in out
    squashed = next(versions.glob("*_squashed.py")).read_text()
    assert "ADD VALUE 'gone'" in squashed
    code, out = outcome(project, "check", "shop", *against)
    assert code == 0, out
    assert not list(versions.glob("*step_0.py")) and not second.exists()
