"""Loading schema modules: isolation, MetaData discovery, errors as file:line."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES, Project
from workbench.errors import SchemaLoadError
from workbench.loader import load_schema

USERS_SQLMODEL = """
from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class Base(SQLModel, registry=registry(metadata=MetaData())):
    pass


class User(Base, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    {column}: str
"""


def test_two_schemas_with_the_same_table_and_class_names_coexist(project: Project) -> None:
    project.write_schema("one", USERS_SQLMODEL.format(column="email"))
    project.write_schema("two", USERS_SQLMODEL.format(column="nickname"))
    one = load_schema(project.cfg, "one")
    two = load_schema(project.cfg, "two")
    assert one.metadata is not two.metadata
    assert set(one.metadata.tables["users"].c.keys()) == {"id", "email"}
    assert set(two.metadata.tables["users"].c.keys()) == {"id", "nickname"}
    assert one.flavour == two.flavour == "sqlmodel"


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_load_with_their_convention_and_working_relationships(
    examples: Project, name: str
) -> None:
    from sqlalchemy.orm import Session

    schema = load_schema(examples.cfg, name)
    assert schema.has_convention and schema.named_by_workbench == ()
    # Every constraint is named, so batch mode and downgrades can address it.
    for table in schema.tables:
        for constraint in [*table.constraints, *table.indexes]:
            assert getattr(constraint, "name", None), (table.name, constraint)
    # Relationships resolve and query: configure the mappers and run one query per class.
    import sqlalchemy as sa

    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with Session(engine) as session:
        for value in vars(schema.module).values():
            if isinstance(value, type) and hasattr(value, "__table__"):
                session.scalars(sa.select(value)).all()


def test_relationships_of_the_blog_work_when_queried(blog: Project) -> None:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    schema = load_schema(blog.cfg, "blog")
    module = schema.module
    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with Session(engine) as session:
        author = module.User(email="a@x.org", name="A")
        post = module.Post(author=author, title="t", body="b", tags=[module.Tag(name="sql")])
        first = module.Comment(post=post, author=author, body="first")
        module.Comment(post=post, author=author, body="reply", parent=first)
        session.add(post)
        session.commit()
        loaded = session.scalars(
            sa.select(module.Comment).where(module.Comment.parent_id.is_(None))
        ).one()
        assert [r.body for r in loaded.replies] == ["reply"]
        assert [t.name for t in session.get_one(module.Post, post.id).tags] == ["sql"]
        assert session.scalars(sa.select(module.User)).one().posts[0].title == "t"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\ndef broken(:\n    pass\n", r"schemas/bad\.py:2: invalid syntax"),
        (
            "import no_such_module_here\n",
            r"schemas/bad\.py:1: ModuleNotFoundError: No module named",
        ),
        ("a = 1\nb = undefined_name\n", r"schemas/bad\.py:2: NameError: name 'undefined_name'"),
        ("from sqlalchemy import MetaData\nmetadata = MetaData()\n", r"holds no tables"),
        ("x = 1\n", r"schemas/bad\.py declares no tables"),
        ("metadata = 3\n", r"`metadata` is a int, not a MetaData"),
        (
            "from sqlalchemy import Column, Integer, MetaData, Table\n"
            "a, b = MetaData(), MetaData()\n"
            "Table('t1', a, Column('id', Integer, primary_key=True))\n"
            "Table('t2', b, Column('id', Integer, primary_key=True))\n"
            "t = a.tables['t1']\nu = b.tables['t2']\n",
            r"spreads its tables over 2 MetaData objects",
        ),
    ],
    ids=["syntax", "import", "name", "empty-metadata", "no-tables", "not-metadata", "two-metadata"],
)
def test_bad_schema_modules_are_reported_as_file_line(
    project: Project, source: str, expected: str
) -> None:
    (project.root / "schemas" / "bad.py").write_text(source)
    with pytest.raises(SchemaLoadError, match=expected) as failure:
        load_schema(project.cfg, "bad")
    assert "Traceback" not in failure.value.text


def test_a_broken_relationship_fails_at_load_time(project: Project) -> None:
    project.write_schema(
        "rel",
        """
        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

        class Base(DeclarativeBase):
            pass

        class Parent(Base):
            __tablename__ = "parents"
            id: Mapped[int] = mapped_column(primary_key=True)
            kids: Mapped[list["Kid"]] = relationship(back_populates="nobody")

        class Kid(Base):
            __tablename__ = "kids"
            id: Mapped[int] = mapped_column(primary_key=True)
            parent_id: Mapped[int] = mapped_column(ForeignKey("parents.id"))
        """,
    )
    # Readers that only need tables may skip configuring; the error still comes
    # the moment a caller asks for configured mappers.
    relaxed = load_schema(project.cfg, "rel", configure=False)
    assert set(relaxed.metadata.tables) == {"parents", "kids"}
    with pytest.raises(
        SchemaLoadError, match=r"schemas/rel\.py: the models' mappers do not configure"
    ):
        load_schema(project.cfg, "rel")


def test_unnamed_constraints_get_the_default_conventions_names(project: Project) -> None:
    project.write_schema(
        "plain",
        """
        from sqlalchemy import (
            CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table,
        )

        metadata = MetaData()
        Table("owners", metadata, Column("id", Integer, primary_key=True))
        Table(
            "pets",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("owner_id", Integer, ForeignKey("owners.id")),
            Column("tag", String(10), unique=True),
            Column("age", Integer),
            CheckConstraint("age >= 0"),
            Index(None, "owner_id", "age"),
        )
        """,
    )
    schema = load_schema(project.cfg, "plain")
    assert not schema.has_convention
    assert sorted(schema.named_by_workbench) == [
        "ck_pets_age",
        "fk_pets_owner_id_owners",
        "pk_owners",
        "pk_pets",
        "uq_pets_tag",
    ]
    # Indexes were already named by SQLAlchemy's own default ("ix_%(column_0_label)s").
    assert {i.name for i in schema.metadata.tables["pets"].indexes} == {"ix_pets_owner_id"}


def test_an_unchanged_module_is_loaded_once_and_a_changed_one_again(project: Project) -> None:
    project.write_schema("one", USERS_SQLMODEL.format(column="email"))
    first = load_schema(project.cfg, "one")
    assert load_schema(project.cfg, "one") is first
    project.write_schema("one", USERS_SQLMODEL.format(column="handle"))
    assert "handle" in load_schema(project.cfg, "one").metadata.tables["users"].c
