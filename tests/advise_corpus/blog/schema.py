"""The blog: users write posts, readers comment and reply, posts carry tags.

Declared with SQLModel. The schema has its own registry and MetaData (so it
coexists with other schemas in one process) and a naming convention (so every
constraint has the same name on SQLite and PostgreSQL).
"""

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, Text, false, func
from sqlalchemy.orm import registry
from sqlmodel import Field, Relationship, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))):
    pass


def _created_at() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class PostTag(Base, table=True):
    """Many-to-many link between posts and tags; the pair is the primary key."""

    __tablename__ = "post_tags"

    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    )


class User(Base, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=100)
    created_at: datetime | None = Field(default=None, sa_column=_created_at())

    posts: list["Post"] = Relationship(back_populates="author")
    comments: list["Comment"] = Relationship(back_populates="author")


class Post(Base, table=True):
    __tablename__ = "posts"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    published: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime | None = Field(default=None, sa_column=_created_at())

    author: User = Relationship(back_populates="posts")
    comments: list["Comment"] = Relationship(back_populates="post")
    tags: list["Tag"] = Relationship(back_populates="posts", link_model=PostTag)


class Comment(Base, table=True):
    __tablename__ = "comments"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int = Field(foreign_key="users.id")
    parent_id: int | None = Field(default=None, foreign_key="comments.id")
    body: str = Field(sa_type=Text)
    created_at: datetime | None = Field(default=None, sa_column=_created_at())

    post: Post = Relationship(back_populates="comments")
    author: User = Relationship(back_populates="comments")
    parent: Optional["Comment"] = Relationship(
        back_populates="replies", sa_relationship_kwargs={"remote_side": "Comment.id"}
    )
    replies: list["Comment"] = Relationship(back_populates="parent")


class Tag(Base, table=True):
    __tablename__ = "tags"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)

    posts: list[Post] = Relationship(back_populates="tags", link_model=PostTag)
