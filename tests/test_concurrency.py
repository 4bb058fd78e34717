"""Two `workbench upgrade` processes started at once serialise: each revision runs once."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import Project
from workbench import db, migrate

REVISION = '''
"""step {n}"""
import time

import sqlalchemy as sa
from alembic import op

revision = "r{n}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade() -> None:
    if {n} == 1:
        op.create_table("applied", sa.Column("revision", sa.String(10), nullable=False))
    op.create_table("t{n}", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO applied (revision) VALUES ('r{n}')")
    time.sleep(0.4)  # long enough that the two processes overlap


def downgrade() -> None:
    op.drop_table("t{n}")
    if {n} == 1:
        op.drop_table("applied")
'''


def test_two_upgrades_at_once_apply_each_revision_once(project: Project, target_url: str) -> None:
    project.write_schema(
        "steps",
        "from sqlalchemy import Column, Integer, MetaData, Table\nmetadata = MetaData()\n"
        "Table('applied', metadata, Column('id', Integer, primary_key=True))\n",
    )
    for n in (1, 2, 3):
        down = "None" if n == 1 else f'"r{n - 1}"'
        project.write_revision("steps", f"r{n}_step.py", REVISION.format(n=n, down=down))
    command = [
        sys.executable,
        "-m",
        "workbench",
        "--project",
        str(project.root),
        "upgrade",
        "steps",
        "--url",
        target_url,
    ]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=120) for p in (first, second)]

    assert first.returncode == 0 and second.returncode == 0, outputs
    with db.connect(target_url) as conn:
        applied = [r[0] for r in conn.exec_driver_sql("SELECT revision FROM applied ORDER BY 1")]
    assert applied == ["r1", "r2", "r3"]
    assert migrate.current(project.cfg, "steps", url=target_url).revision == "r3"
    # One process applied all three; the other waited and found nothing to do.
    # Without the lock both would run r1 (the revisions overlap by their sleep)
    # and the second insert into `applied` would fail, or both would print it.
    texts = sorted(out for out, _ in outputs)
    assert sum("up   r1" in t for t in texts) == 1
    assert any("nothing to do" in t for t in texts)
