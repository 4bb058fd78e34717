"""Synthetic schemas and histories for the benchmarks.

``schema_source(n)`` is a SQLAlchemy declarative module of ``n`` tables, each
with a primary key, a unique code, a few typed columns with server defaults,
foreign keys to earlier tables (some indexed, some deliberately not) and
ordinary and composite indexes. ``write_project`` puts it in a workbench
project; ``write_single_revision`` and ``write_chain`` write its history as one
revision or as one revision per table, rendered by Alembic's own renderer from
the models, so the history and the models agree exactly (no pending diff).
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path
from typing import Any

HEADER = '''\
"""Synthetic schema of {n} tables, written by benchmarks/synth.py."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean, DateTime, ForeignKey, Index, MetaData, Numeric, String, func, true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={{
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }}
    )
'''


def table_name(i: int) -> str:
    return f"t{i:03d}"


def schema_source(n_tables: int, *, seed: int = 0) -> str:
    """The module text of a synthetic schema with ``n_tables`` tables."""
    rng = random.Random(seed)
    parts = [HEADER.format(n=n_tables)]
    for i in range(n_tables):
        name = table_name(i)
        lines = [
            f"class T{i:03d}(Base):",
            f'    __tablename__ = "{name}"',
        ]
        args = []
        if i % 5 == 4:
            args.append(f'Index("ix_{name}_name_created_at", "name", "created_at")')
        if args:
            lines.append(f"    __table_args__ = ({', '.join(args)},)")
        lines += [
            "",
            "    id: Mapped[int] = mapped_column(primary_key=True)",
            "    code: Mapped[str] = mapped_column(String(32), unique=True)",
            f"    name: Mapped[str] = mapped_column(String(100), index={i % 3 == 0})",
            "    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))",
            "    active: Mapped[bool] = mapped_column(Boolean, server_default=true())",
            "    created_at: Mapped[datetime] = mapped_column(",
            "        DateTime(timezone=True), server_default=func.now()",
            "    )",
        ]
        if i > 0:
            parent = table_name(rng.randrange(i))
            lines.append(
                f'    parent_id: Mapped[int] = mapped_column(ForeignKey("{parent}.id"), index=True)'
            )
        if i > 1 and rng.random() < 0.5:
            other = table_name(rng.randrange(i))
            lines.append(
                f'    other_id: Mapped[int | None] = mapped_column(ForeignKey("{other}.id"))'
            )
        parts.append("\n\n" + "\n".join(lines) + "\n")
    return "".join(parts)


def write_project(root: Path, n_tables: int, *, name: str = "synth", seed: int = 0) -> Path:
    """A workbench project at ``root`` with one synthetic schema ``name`` (no history yet)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "synth"\nversion = "0"\n\n[tool.workbench]\n', encoding="utf-8"
    )
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / f"{name}.py").write_text(
        schema_source(n_tables, seed=seed), encoding="utf-8"
    )
    return root / "schemas" / f"{name}.py"


def _render(ops: list[Any]) -> str:
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops as alembic_ops

    from workbench.autogen import render_item

    # workbench's render_item writes server defaults portably (sa.true(), sa.func.now()):
    # Alembic's own rendering compiles them for SQLite, which PostgreSQL refuses.
    code = render_python_code(
        alembic_ops.UpgradeOps(ops=ops), render_as_batch=True, render_item=render_item
    )
    return textwrap.indent(textwrap.dedent(code).strip(), "    ")


def _table_ops(table: Any) -> list[Any]:
    from alembic.operations import ops as alembic_ops

    creates: list[Any] = [alembic_ops.CreateTableOp.from_table(table)]
    creates += [
        alembic_ops.CreateIndexOp.from_index(ix)
        for ix in sorted(table.indexes, key=lambda ix: str(ix.name))
    ]
    return creates


REVISION = '''\
"""{message}

Revision ID: {rev}
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = {rev!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def _write_revision(
    versions: Path, index: int, rev: str, down: str | None, message: str, ops: list[Any]
) -> None:
    from alembic.operations import ops as alembic_ops

    upgrade = _render(ops)
    downgrade = _render(list(reversed([op.reverse() for op in ops])))
    del alembic_ops
    text = REVISION.format(
        message=message,
        rev=rev,
        down=down or "",
        down_repr=repr(down),
        upgrade=upgrade,
        downgrade=downgrade,
    )
    (versions / f"{index:04d}_{rev}.py").write_text(text, encoding="utf-8")


def _metadata(root: Path, name: str) -> Any:
    from workbench.config import Config
    from workbench.loader import load_schema

    return load_schema(Config.at(root), name).metadata


def write_single_revision(root: Path, *, name: str = "synth") -> None:
    """The whole synthetic schema as one revision."""
    from workbench.config import Config
    from workbench.migrate import ensure_environment

    ensure_environment(Config.at(root), name)
    metadata = _metadata(root, name)
    ops = [op for table in metadata.sorted_tables for op in _table_ops(table)]
    versions = root / "migrations" / name / "versions"
    _write_revision(versions, 1, "r0001", None, f"all {len(metadata.tables)} tables", ops)


def write_chain(root: Path, *, name: str = "synth") -> list[str]:
    """One revision per table of the synthetic schema, in dependency order; returns the ids."""
    from workbench.config import Config
    from workbench.migrate import ensure_environment

    ensure_environment(Config.at(root), name)
    metadata = _metadata(root, name)
    versions = root / "migrations" / name / "versions"
    ids: list[str] = []
    for index, table in enumerate(metadata.sorted_tables, 1):
        rev = f"r{index:04d}"
        _write_revision(
            versions,
            index,
            rev,
            ids[-1] if ids else None,
            f"create {table.name}",
            _table_ops(table),
        )
        ids.append(rev)
    return ids
