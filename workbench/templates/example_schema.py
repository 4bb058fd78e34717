"""An example schema: rename this file, change the models, and make it yours.

Each module in schemas/ is one schema. The models of a schema share a MetaData
of their own (so two schemas may both have a `users` table) with a naming
convention (so every constraint has the same name on SQLite and PostgreSQL,
which is what lets a migration drop it again).

Next steps:
    workbench generate example -m "initial"   # writes migrations/example/versions/..._initial.py
    workbench upgrade example                 # applies it to .workbench/example.sqlite3
    workbench check example                   # proves it goes down and up again cleanly
"""

from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData, func
from sqlalchemy.orm import registry
from sqlmodel import Field, Relationship, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The schema's own registry and MetaData. With plain SQLAlchemy, the same is
# `class Base(DeclarativeBase): metadata = MetaData(naming_convention=...)`.
class Base(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))):
    pass


class Author(Base, table=True):
    __tablename__ = "authors"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # UNIQUE, named uq_authors_email
    name: str = Field(max_length=100)

    notes: list["Note"] = Relationship(back_populates="author")


class Note(Base, table=True):
    __tablename__ = "notes"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="authors.id", index=True)  # FK and its index
    title: str = Field(max_length=200)
    body: str = ""
    # A timestamp the database fills in: a server default, timezone-aware.
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )

    author: Author = Relationship(back_populates="notes")
