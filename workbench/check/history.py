"""The history of one schema, read once: its revisions base to head and their operations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from workbench.check.codes import make_finding, reason_of, where_in
from workbench.config import Config
from workbench.results import Finding
from workbench.revisions import (
    Capture,
    HistoryModel,
    capture,
    has_history,
    script_directory,
)

if TYPE_CHECKING:
    from alembic.script import Script, ScriptDirectory


@dataclass
class History:
    """A schema's revisions base to head, their operations, and what stops a walk early."""

    cfg: Config
    schema: str
    scripts: ScriptDirectory | None = None
    chain: list[Script] = field(default_factory=list)
    up: dict[str, Capture] = field(default_factory=dict)
    down: dict[str, Capture] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)

    @property
    def walkable(self) -> bool:
        return self.scripts is not None and not self.problems

    def findings_for(self, backend: str) -> Iterator[Finding]:
        for finding in self.problems:
            yield on_backend(finding, backend)

    @classmethod
    def read(cls, cfg: Config, schema: str) -> History:
        history = cls(cfg, schema)
        if not has_history(cfg, schema):
            history.problems.append(
                make_finding(
                    "WB210",
                    schema,
                    f"schema {schema!r} has models but no migrations yet.",
                    f"Write the first revision: workbench generate {schema} -m initial.",
                    path=cfg.schema_path(schema),
                )
            )
            return history
        try:
            scripts = script_directory(cfg, schema)
            heads = scripts.get_heads()
            chain = list(scripts.walk_revisions("base", "heads"))
        except Exception as exc:  # the user's revision files: whatever they raise is WB200
            path, line = where_in(exc, cfg.migrations_path(schema) / "versions")
            history.problems.append(
                make_finding(
                    "WB200",
                    schema,
                    f"the history of {schema!r} cannot be read: {reason_of(exc)}.",
                    "Fix the revision file so that it imports cleanly.",
                    path=path,
                    line=line,
                )
            )
            return history
        history.scripts = scripts
        if len(heads) > 1:
            listed = ", ".join(sorted(heads))
            history.problems.append(
                make_finding(
                    "WB201",
                    schema,
                    f"the history of {schema!r} has {len(heads)} heads ({listed}): two "
                    "revisions follow the same parent, usually from two branches merged in git.",
                    "Join them with a merge revision: alembic -c "
                    f"{cfg.rel(cfg.migrations_path(schema))}/alembic.ini merge -m merge heads.",
                )
            )
        chain.reverse()
        history.chain = chain
        for script in chain:
            history.up[script.revision] = capture(script, "upgrade")
            history.down[script.revision] = capture(script, "downgrade")
        return history

    def history_model(self) -> HistoryModel:
        return HistoryModel.replay([self.up[s.revision] for s in self.chain])

    def model_before(self, revision: str) -> HistoryModel:
        """What the history declares just before ``revision`` (its types, its enums)."""
        names = [s.revision for s in self.chain]
        upto = names.index(revision) if revision in names else len(names)
        return HistoryModel.replay([self.up[r] for r in names[:upto]])


def on_backend(finding: Finding, backend: str) -> Finding:
    return replace(finding, backend=backend)


_CONNECTION_NAMES = frozenset({"get_bind", "get_context", "migration_context", "connection"})


def uses_connection(script: Script, name: str) -> bool:
    """Whether the function (or one defined in it) names the connection or the context."""
    function = getattr(script.module, name, None)
    code = getattr(function, "__code__", None)
    pending = [code] if code is not None else []
    while pending:
        current = pending.pop()
        if _CONNECTION_NAMES & set(current.co_names):
            return True
        pending.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    return False


def def_line(script: Script, name: str) -> int | None:
    function = getattr(script.module, name, None)
    code = getattr(function, "__code__", None)
    return int(code.co_firstlineno) if code is not None else None
