"""One revision: the proofs between its steps (snapshots, rows and their comparison)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from workbench import snapshot as snap
from workbench.check import casts
from workbench.check.codes import round_trip_fix, summary
from workbench.check.effects import Effect
from workbench.check.history import def_line, uses_connection

if TYPE_CHECKING:
    from alembic.script import Script

    from workbench.check.walk import Walk


def covers(snapshot: snap.Snapshot, scope: set[str] | None) -> bool:
    detailed = {t.name for t in snapshot.tables}
    wanted = set(snapshot.table_names) if scope is None else scope & set(snapshot.table_names)
    return wanted <= detailed


class Step:
    """The proofs around one revision: snapshots, rows and their comparison."""

    def __init__(self, check: Walk, script: Script) -> None:
        self.check = check
        self.script = script
        self.rev = script.revision
        history = check.history
        up_cap, down_cap = history.up[self.rev], history.down[self.rev]
        self.up = Effect.of(up_cap)
        self.down = Effect.of(down_cap)
        # SQL run through the connection itself is not an operation capture can see.
        self.up.opaque |= uses_connection(script, "upgrade")
        self.down.opaque |= uses_connection(script, "downgrade")
        self.irreversible = down_cap.error if down_cap.raises == "NotImplementedError" else None
        assert check.data is not None
        self.data = check.data
        self.preset: snap.Snapshot | None = None
        """The snapshot the previous revision took after its last upgrade, if it covers ours."""

    def report(
        self,
        code: str,
        message: str,
        fix: str,
        line: int | None,
        severity: Literal["error", "warning", "info"] | None = None,
    ) -> None:
        """A finding about this revision, at ``line`` of its file."""
        self.check.add(code, message, fix, script=self.script, line=line, severity=severity)

    def scope_in(self, state: snap.Snapshot) -> set[str] | None:
        """The tables this revision may change, in the database ``state`` describes.

        Those its operations name and those that refer to them (a rename or a
        rebuilt table changes their foreign keys); ``None`` for every table,
        when it runs SQL or code the workbench cannot read.
        """
        if self.up.opaque or self.down.opaque:
            return None
        named = self.up.touched | self.down.touched
        return named | state.referring(named)

    def before_up(self) -> None:
        check, script = self.check, self.script
        current = check.current
        self.scope = self.scope_in(current)
        preset = self.preset
        if preset is not None and covers(preset, self.scope):
            self.before = preset if self.scope is None else preset.restricted(self.scope)
        else:
            self.before = snap.take(check.conn, self.scope)
        check.current = current.merged(self.before)
        self.data.seed_empty(self.scope)
        self.rows_before = self.data.measure(self.up, self.down, self.scope)
        # After the rows are measured: a value the revision deliberately maps to NULL is
        # not a value the seeded table held.
        check.probes = self._probe()
        if check.probes:
            # The tables it does not touch are measured again: whatever the UPDATEs set off
            # (a trigger) is not the revision's doing.
            again = self.data.measure(self.up, self.down, self.scope)
            self.rows_before = {
                table: rows if rows.digest is None else again.get(table, rows)
                for table, rows in self.rows_before.items()
            }
        if self.irreversible is not None:
            self.check.add(
                "WB204",
                f"revision {self.rev} is irreversible: its downgrade raises NotImplementedError"
                f"{f' ({self.irreversible})' if self.irreversible != 'NotImplementedError' else ''}"
                ", so it cannot be rolled back if it goes wrong in production.",
                "write downgrade() so that it undoes upgrade(); if the change truly cannot be "
                "undone, keep the irreversible part in a revision of its own, as small as "
                "possible.",
                script=script,
                line=def_line(script, "downgrade"),
            )

    def shapes(self, direction: str) -> tuple[snap.Snapshot, snap.Snapshot] | None:
        """The schema before and after the step in ``direction`` (``None`` if not taken yet)."""
        if direction == "upgrade":
            return self.before, self.after_up_snap
        after_down: snap.Snapshot | None = getattr(self, "after_down_snap", None)
        return None if after_down is None else (self.after_up_snap, after_down)

    def _probe(self) -> list[casts.Probe]:
        """Values that do not fit each risky type change, written into seeded rows."""
        if not self.up.retypes:
            return []
        check = self.check
        found = casts.casts_of(
            self.up, check.conn, check.current, check.history.model_before(self.rev)
        )
        return casts.write(check.conn, check.current, found) if found else []

    def _scope_after(self) -> set[str] | None:
        if self.scope is None:
            return None
        return (
            self.scope
            | self.up.created
            | set(self.up.renamed.values())
            | self.down.created
            | set(self.down.renamed.values())
        )

    def after_up(self) -> None:
        conn = self.check.conn
        self.after_up_snap = snap.take(conn, self._scope_after())
        self.check.current = self.check.current.merged(self.after_up_snap)
        self.state_up = self.check.current
        self.rows_up = self.data.measure(self.up, self.down, self._scope_after())
        self.data.compare(self, "upgrade", self.up, self.rows_before, self.rows_up)
        self.data.untouched(self, "upgrade", self.rows_before, self.rows_up)
        probes, self.check.probes = self.check.probes, []
        verdicts = casts.verify(conn, self.check.current, probes, self.up, self.check.backend)
        for verdict in verdicts:
            self.report(verdict.code, verdict.message, verdict.fix, verdict.line)
        if verdicts and casts.restore(conn, self.check.current, probes, self.up):
            # Reported once: the values written are taken back so that later revisions do
            # not fail on them again; the downgrade is measured from here.
            self.rows_up = self.data.measure(self.up, self.down, self._scope_after())
        if self.irreversible is not None:
            self.data.forget(self.up)

    def after_down(self) -> None:
        conn = self.check.conn
        after = self.after_down_snap = snap.take(conn, self._scope_after())
        differences = snap.diff(self.before, after)
        if differences:
            self.check.add(
                "WB205",
                f"the downgrade of revision {self.rev} does not restore the schema on "
                f"{self.check.backend}: {summary(differences)}.",
                round_trip_fix(differences),
                script=self.script,
                line=def_line(self.script, "downgrade"),
                details=differences,
            )
        self.check.current = self.check.current.merged(after)
        rows_down = self.data.measure(self.up, self.down, self._scope_after())
        self.data.compare(self, "downgrade", self.down, self.rows_up, rows_down)
        self.data.untouched(self, "downgrade", self.rows_up, rows_down)

    def after_reup(self, upcoming: Step | None) -> None:
        """Compare with the first upgrade; the same snapshot serves the next revision."""
        conn = self.check.conn
        scope = self._scope_after()
        if upcoming is not None and scope is not None:
            extra = upcoming.scope_in(self.state_up)
            scope = None if extra is None else scope | extra
        again = snap.take(conn, scope)
        if upcoming is not None:
            upcoming.preset = again
        differences = snap.diff(self.after_up_snap, again, extra="appears", missing="is missing")
        if differences:
            self.check.add(
                "WB206",
                f"revision {self.rev} does not give the same schema when upgraded again after "
                f"its downgrade on {self.check.backend}: {summary(differences)}.",
                "make downgrade() undo exactly what upgrade() does, so upgrade() starts from "
                "the same schema each time.",
                script=self.script,
                line=def_line(self.script, "upgrade"),
                details=differences,
            )
        self.check.current = self.check.current.merged(again)
        self.data.forget(self.up)
