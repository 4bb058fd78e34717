"""The school: students enrol in courses; an enrolment carries a grade.

Declared with SQLModel, with the link table as a model of its own.
"""

from datetime import date, datetime

from sqlalchemy import Column, DateTime, MetaData, Numeric, func
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


class Enrollment(Base, table=True):
    """A student in a course; the pair is the primary key."""

    __tablename__ = "enrollments"

    student_id: int = Field(foreign_key="students.id", primary_key=True)
    course_id: int = Field(foreign_key="courses.id", primary_key=True)
    grade: float | None = Field(default=None, sa_type=Numeric(4, 1))
    enrolled_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )

    student: "Student" = Relationship(back_populates="enrollments")
    course: "Course" = Relationship(back_populates="enrollments")


class Student(Base, table=True):
    __tablename__ = "students"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254, unique=True)
    birth_date: date | None = None

    enrollments: list[Enrollment] = Relationship(back_populates="student")


class Course(Base, table=True):
    __tablename__ = "courses"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    title: str = Field(max_length=200)
    credits: int = Field(default=3)

    enrollments: list[Enrollment] = Relationship(back_populates="course")
