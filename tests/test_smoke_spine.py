"""First end-to-end proof of the spine on both backends (detailed tests live beside it)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import EXAMPLES, Project
from workbench import db, migrate


def test_every_example_goes_up_down_and_up(examples: Project, target_url: str) -> None:
    for name in EXAMPLES:
        with db.scratch("sqlite") if target_url.startswith("sqlite") else _same(target_url) as url:
            up = migrate.upgrade(examples.cfg, name, url=url)
            assert up.after == migrate.current(examples.cfg, name, url=url).head
            down = migrate.downgrade(examples.cfg, name, "base", url=url)
            assert down.after is None
            with db.connect(url) as conn:
                tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert tables == set()
            migrate.upgrade(examples.cfg, name, url=url)
            migrate.downgrade(examples.cfg, name, "base", url=url)


class _same:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None
