"""What the next key acts on: the current row of the triage table, or the rows selected
(KEYMAP rule 1). Controllers see this protocol, never the table or the window."""

from __future__ import annotations

from typing import Protocol

from ...store.triage_queries import TriageRow
from .model import TriageModel
from .view import TriageView

MAX_BATCH = 5000


class Selection(Protocol):
    """The analyst's place in the triage list."""

    def current_id(self) -> int | None: ...

    def targets(self) -> list[int]: ...

    def advance_past(self, ids: list[int]) -> None: ...

    def move(self, delta: int) -> None: ...

    def select_id(self, esc_id: int) -> bool: ...

    def row(self, esc_id: int) -> TriageRow | None: ...

    def neighbours(self, esc_id: int, span: int) -> list[TriageRow]: ...


class TableSelection:
    """`Selection` over the triage table and its model."""

    def __init__(self, table: TriageView, model: TriageModel) -> None:
        self._table = table
        self._model = model

    def current_id(self) -> int | None:
        return self._table.current_id()

    def targets(self) -> list[int]:
        """Selected ids in view order (rule 1), else the current one."""
        table, model = self._table, self._model
        selection = table.selectionModel().selection()
        rows: list[int] = []
        for i in range(selection.count()):
            rng = selection.at(i)
            rows.extend(range(rng.top(), rng.bottom() + 1))
            if len(rows) > MAX_BATCH:
                break
        if len(rows) > 1 or (rows and table.marking):
            ids = [model.id_at(r) for r in sorted(set(rows))[:MAX_BATCH + 1]]
            return [i for i in ids if i is not None]
        current = table.current_id()
        return [] if current is None else [current]

    def advance_past(self, ids: list[int]) -> None:
        """Auto-advance (KEYMAP rule 3): the current row moves to the first row after the
        acted-on ones, at once, before the write lands."""
        model, table = self._model, self._table
        rows = [r for r in (model.row_of(i) for i in ids[:1] + ids[-1:]) if r is not None]
        if not rows:
            return
        target = max(rows) + 1
        if target >= model.rowCount():
            target = min(rows) - 1
        if target < 0:  # nothing else in the list: stay on the item acted on, shown
            target = min(rows)
        table.marking = False
        table.select_row(target)

    def move(self, delta: int) -> None:
        self._table.move_current(delta)

    def select_id(self, esc_id: int) -> bool:
        row = self._model.row_of(esc_id)
        if row is None:
            return False
        self._table.select_row(row)
        return True

    def row(self, esc_id: int) -> TriageRow | None:
        at = self._model.row_of(esc_id)
        return None if at is None else self._model.row_at(at)

    def neighbours(self, esc_id: int, span: int) -> list[TriageRow]:
        """Rows around `esc_id` in the current view (picker suggestions)."""
        at = self._model.row_of(esc_id)
        if at is None:
            return []
        rows = (self._model.row_at(r) for r in range(max(at - span // 2, 0), at + span // 2))
        return [r for r in rows if r is not None]
