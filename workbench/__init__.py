"""workbench: a schema design and migration workbench for SQLModel and SQLAlchemy."""

__version__ = "0.1.0"
