"""Alembic environment of the `blog` schema, written by workbench.

`workbench upgrade blog` runs it, and so does plain Alembic:

    alembic -c migrations/blog/alembic.ini upgrade head

run_migrations() uses the connection workbench passes in (and then never opens
one of its own), applies each revision in one transaction (SQLite included),
holds a lock so that two upgrades of one database cannot interleave, and turns
on batch mode for SQLite. It gives every autogenerate comparison the schema's
models as target_metadata, so `alembic check` and pytest-alembic work here too.
Keyword arguments go to Alembic's context.configure().
"""

from workbench.envpy import run_migrations

run_migrations(schema="blog")
