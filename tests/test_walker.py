"""The one walker over captured operations: renames followed, handlers found by class."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from workbench.revisions import CapturedOp, HistoryModel
from workbench.walker import Dispatch, Names, Step, walk


@dataclass(frozen=True)
class _Captured:
    op: object
    line: int | None = None
    batch: str | None = None


def _seen(sequence: list[object]) -> list[tuple[str, str | None, str | None, str | None]]:
    seen: Dispatch[list[tuple[str, str | None, str | None, str | None]]] = Dispatch(
        "test",
        default=lambda state, step: state.append(
            (type(step.op).__name__, step.table, step.origin, step.column_origin)
        ),
    )
    state: list[tuple[str, str | None, str | None, str | None]] = []
    walk([_Captured(op) for op in sequence], seen, state)
    return state


def test_a_walk_follows_table_and_column_renames_to_their_origin() -> None:
    found = _seen(
        [
            ops.RenameTableOp("people", "users"),
            ops.AlterColumnOp("users", "name", modify_name="full_name"),
            ops.RenameTableOp("users", "members"),
            ops.AlterColumnOp("members", "full_name", modify_name="display_name"),
            ops.DropColumnOp("members", "display_name"),
            ops.AddColumnOp("members", sa.Column("bio", sa.Text())),
        ]
    )
    assert found[-2] == ("DropColumnOp", "members", "people", "name")
    assert found[-1] == ("AddColumnOp", "members", "people", "bio")
    # A handler sees an operation before its own rename is followed.
    assert found[2] == ("RenameTableOp", "users", "people", None)


def test_one_walk_over_several_revisions_shares_its_names() -> None:
    names = Names()
    state: list[str | None] = []
    origins: Dispatch[list[str | None]] = Dispatch(
        "test", default=lambda s, step: s.append(step.origin)
    )
    walk([_Captured(ops.RenameTableOp("a", "b"))], origins, state, names)
    walk([_Captured(ops.DropTableOp("b"))], origins, state, names)
    assert state == ["a", "a"]


def test_handlers_are_found_through_the_operation_class_hierarchy() -> None:
    class MyAddColumn(ops.AddColumnOp):
        pass

    dispatch: Dispatch[list[str]] = Dispatch("test")

    @dispatch.handles("AddColumnOp")
    def _add(state: list[str], step: Step) -> None:
        state.append(str(step.column))

    state: list[str] = []
    walk(
        [
            _Captured(MyAddColumn("t", sa.Column("x", sa.Integer()))),
            _Captured(ops.DropTableOp("t")),  # no handler, no default: nothing happens
        ],
        dispatch,
        state,
    )
    assert state == ["x"]
    with pytest.raises(ValueError, match="two handlers"):
        dispatch.handles("AddColumnOp")(_add)


def test_the_history_model_replays_through_the_walker() -> None:
    model = HistoryModel()
    for op in (
        ops.CreateTableOp("users", [sa.Column("id", sa.Integer()), sa.Column("n", sa.Text())]),
        ops.AlterColumnOp("users", "n", modify_name="name", modify_nullable=False),
        ops.RenameTableOp("users", "people"),
        ops.AddColumnOp("people", sa.Column("kind", sa.Enum("a", "b", name="kind"))),
    ):
        model.apply(CapturedOp(op, None))
    assert list(model.tables) == ["people"]
    assert list(model.tables["people"]) == ["id", "name", "kind"]
    assert model.tables["people"]["name"].nullable is False
    assert model.enums == {"kind": ["a", "b"]}


def test_checks_effects_follow_renames_through_the_walker() -> None:
    from pathlib import Path

    from workbench.check.effects import Effect
    from workbench.revisions import Capture

    sequence = [
        ops.RenameTableOp("people", "users"),
        ops.AlterColumnOp("users", "name", modify_name="full_name", modify_type=sa.Text()),
        ops.DropColumnOp("users", "full_name"),
        ops.ExecuteSQLOp("UPDATE users SET x = 1"),
    ]
    cap = Capture(
        "r", Path("r.py"), "upgrade", tuple(CapturedOp(op, n) for n, op in enumerate(sequence, 1))
    )
    effect = Effect.of(cap)
    assert effect.renamed == {"people": "users"}
    assert effect.columns == {("people", "name"): None}
    assert effect.retyped == {("people", "name")}
    assert effect.drop_lines == {("people", "name"): 3}
    assert effect.lines == {"people": 1}
    assert effect.touched == {"people", "users"} and effect.opaque
