"""The triage table model: the ordered ids of the current view plus a lazily fetched,
capped cache of rows around what the view asks for (STYLE habit 10; Anki's browser table).

Never holds every row: at 1,000,000 escalations the ids are one 8 MB `array('q')` and the
cache holds at most `CACHE_CAP` rows. Reads run on the model's own `raw_reader` connection
(WAL: sync writes never block them); a window of 200 rows costs ~1 ms.
"""

from __future__ import annotations

import sqlite3
import struct
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from ...store.connections import raw_reader
from ...store.triage_queries import TriageRow, rows_by_id
from ...store.views import ALL, View
from .columns import COLUMNS, ColumnSpec

ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""int: the escalation id of the row (never fetches the row)."""
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""TriageRow | None: the whole row (None when it vanished from the cache file)."""
SEVERITY_ROLE = int(Qt.ItemDataRole.UserRole) + 3
"""int: severity level, 0 = S0."""
PRIORITY_ROLE = int(Qt.ItemDataRole.UserRole) + 4
"""int: priority level, 0 = P0."""

WINDOW_BEFORE = 50
WINDOW_AFTER = 150  # j moves down: fetch mostly ahead
CACHE_CAP = 4000

ModelIndex = QModelIndex | QPersistentModelIndex


_DR = Qt.ItemDataRole
# What each role needs, looked up once per data() call (the view asks ~7 roles per cell
# per paint: this dispatch is the hot path of j/k, docs/performance.md budget p50 <= 4 ms).
_TEXT, _FG, _FONT, _ALIGN, _ID, _OTHER = range(6)
_ROLE_KIND: dict[int, int] = {
    int(_DR.DisplayRole): _TEXT, int(_DR.AccessibleTextRole): _TEXT,
    int(_DR.ForegroundRole): _FG, int(_DR.FontRole): _FONT,
    int(_DR.TextAlignmentRole): _ALIGN, int(ID_ROLE): _ID, int(_DR.ToolTipRole): _OTHER,
    int(ROW_ROLE): _OTHER, int(SEVERITY_ROLE): _OTHER, int(PRIORITY_ROLE): _OTHER,
}
CHANGED_ROLES = sorted(r for r, kind in _ROLE_KIND.items() if kind not in (_ALIGN, _ID))
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_COLUMNS = len(COLUMNS)
_LIVE = frozenset(i for i, c in enumerate(COLUMNS) if c.live)
_TITLE = next(i for i, c in enumerate(COLUMNS) if c.key == "title")
_MISSING = object()

# A cached row: (row, display texts, foregrounds, fonts), one entry per column.
Cells = tuple[TriageRow, tuple[str, ...], tuple[Any, ...], tuple[Any, ...]]


def read_view_ids(db_path: Path, view: View) -> array[int]:
    """The view's ids on a fresh connection: for workers (the GUI thread has its own)."""
    conn = raw_reader(db_path)
    try:
        return view.ids(conn)
    finally:
        conn.close()


def _positions(ids: array[int], wanted: set[int]) -> dict[int, int]:
    """Row of each wanted id in `ids` (C-speed byte search for a few, one pass for many)."""
    if len(wanted) > 16:
        return {esc_id: row for row, esc_id in enumerate(ids) if esc_id in wanted}
    buf = ids.tobytes()
    found: dict[int, int] = {}
    for esc_id in wanted:
        needle = struct.pack("=q", esc_id)
        start = buf.find(needle)
        while start >= 0 and start % 8:
            start = buf.find(needle, start + 1)
        if start >= 0:
            found[esc_id] = start // 8
    return found


class TriageModel(QAbstractTableModel):
    """Rows of one triage `View`, in triage order, fetched lazily by id.

    Signals: the QAbstractItemModel ones, used this way:
      dataChanged(top, bottom, roles): `refresh_rows()` for the changed rows only;
      layoutAboutToBeChanged/layoutChanged: `load_ids()`/`reload()` (persistent indexes,
        so the view's current row and selection, follow their escalation);
      modelAboutToBeReset/modelReset: `set_view()` (a filter change starts afresh);
      ids_loaded(int): after every (re)load, with the new row count.
    """

    ids_loaded = Signal(int)

    def __init__(self, db_path: Path, view: View | None = None,
                 parent: QObject | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self._view: View = view or ALL
        self._conn: sqlite3.Connection | None = raw_reader(db_path)
        self._clock = clock
        self._ids: array[int] = array("q")
        self._cache: OrderedDict[int, Cells | None] = OrderedDict()
        self._pos: dict[int, int] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._ids = self._view.ids(self._db())

    # -- lifecycle and loading -----------------------------------------------------------

    def close(self) -> None:
        """Close the read connection (the model shows nothing useful afterwards)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def view(self) -> View:
        return self._view

    def set_view(self, view: View, ids: Sequence[int] | None = None,
                 rows: dict[int, TriageRow] | None = None) -> None:
        """Show another view (with its ids if read on a worker already, and the rows of
        its first screen if read there too: the first paint then reads nothing): a model
        reset (current row and selection start afresh)."""
        ids = view.ids(self._db()) if ids is None else (
            ids if isinstance(ids, array) else array("q", ids))
        self.beginResetModel()
        self._view = view
        self._ids = ids
        self._forget_rows()
        if rows:
            self._seed(rows)
        self.endResetModel()
        self.ids_loaded.emit(len(ids))

    def reload(self) -> bool:
        """Re-read the view's ids on the GUI thread (~30 ms at 100k rows: prefer
        `read_view_ids` on a worker + `load_ids` for big caches). True if they changed."""
        return self.load_ids(self._view.ids(self._db()))

    def load_ids(self, ids: Sequence[int]) -> bool:
        """Swap in a freshly read id list. Rows keep their escalation: persistent indexes
        (current row, selection) move with their id, or become invalid if it left the view.
        Returns False (and emits nothing) when nothing changed."""
        new = ids if isinstance(ids, array) else array("q", ids)
        if new == self._ids:
            return False
        old_count = len(self._ids)
        if old_count < len(new) and new[:old_count] == self._ids:
            # The rest of a view whose first page shows: rows appended below, nothing
            # above them moves, so no relayout and repaint of the whole table.
            self.beginInsertRows(QModelIndex(), old_count, len(new) - 1)
            self._ids = new
            self.endInsertRows()
            self.ids_loaded.emit(len(new))
            return True
        self.layoutAboutToBeChanged.emit()
        old_indexes = self.persistentIndexList()
        old_ids = self._ids
        wanted = {old_ids[p.row()] for p in old_indexes if 0 <= p.row() < len(old_ids)}
        where = _positions(new, wanted)
        self._ids = new
        self._forget_rows()
        new_indexes = []
        for p in old_indexes:
            row = where.get(old_ids[p.row()]) if 0 <= p.row() < len(old_ids) else None
            new_indexes.append(QModelIndex() if row is None else self.index(row, p.column()))
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()
        self.ids_loaded.emit(len(new))
        return True

    def refresh_rows(self, changed_ids: Iterable[int]) -> int:
        """Forget the cached rows of `changed_ids` and emit `dataChanged` for those of them
        the view has shown (the others are read fresh when first shown). Returns the
        number of rows notified."""
        changed = changed_ids if isinstance(changed_ids, set | frozenset) else set(changed_ids)
        hits = ([i for i in self._cache if i in changed] if len(changed) > len(self._cache)
                else [i for i in changed if i in self._cache])
        rows: list[int] = []
        for esc_id in hits:
            del self._cache[esc_id]
            row = self._pos.pop(esc_id, None)
            if row is not None and row < len(self._ids) and self._ids[row] == esc_id:
                rows.append(row)
        last = _COLUMNS - 1
        for first, end in _runs(sorted(rows)):
            self.dataChanged.emit(self.index(first, 0), self.index(end, last), CHANGED_ROLES)
        return len(rows)

    # -- lookups -------------------------------------------------------------------------

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, esc_id: int) -> int | None:
        """The row showing `esc_id`, or None (a scan of the ids: ~2 ms at 1M)."""
        cached = self._pos.get(esc_id)
        if cached is not None and self.id_at(cached) == esc_id:
            return cached
        return _positions(self._ids, {esc_id}).get(esc_id)

    def row_at(self, row: int) -> TriageRow | None:
        if not 0 <= row < len(self._ids):
            return None
        cells = self._cells_at(row)
        return None if cells is None else cells[0]

    def ids(self) -> array[int]:
        """A copy of the view's ids in order (an export reads their rows on a worker)."""
        return array("q", self._ids)

    def cached_ids(self) -> list[int]:
        """Ids of the rows held in memory."""
        return list(self._cache)

    def cached_count(self) -> int:
        """Rows held in memory (bounded by CACHE_CAP)."""
        return len(self._cache)

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Qt override: rows of the view (0 under any parent: a flat table)."""
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Qt override."""
        return 0 if parent.isValid() else _COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: column names and their explanations as tooltips."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < _COLUMNS:
            return None
        spec = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.help
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: cells as plain text; severity/priority also coloured (never colour
        alone); untrusted text with invisible characters revealed."""
        kind = _ROLE_KIND.get(role)
        if kind is None:
            return None
        row = index.row()  # -1 for an invalid index
        if row < 0 or row >= len(self._ids):
            return None
        if kind == _ALIGN:
            return None  # every column left-aligned: the view's default
        if kind == _ID:
            return self._ids[row]
        cells = self._cells_at(row)
        col = index.column()
        if cells is None:  # deleted since the ids were read
            return "(removed)" if kind == _TEXT and col == _TITLE else None
        if col in _LIVE and kind in (_TEXT, _FG, _FONT):
            return self._live_cell(cells[0], COLUMNS[col], kind)
        if kind == _TEXT:
            return cells[1][col]
        if kind == _FG:
            return cells[2][col]
        if kind == _FONT:
            return cells[3][col]
        r = cells[0]
        if role == ROW_ROLE:
            return r
        if role == SEVERITY_ROLE:
            return int(r.severity)
        if role == PRIORITY_ROLE:
            return int(r.priority)
        if 0 <= col < _COLUMNS:
            return COLUMNS[col].tooltip(r, int(self._clock()))
        return None

    # -- internals -----------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the triage model is closed")
        return self._conn

    def _forget_rows(self) -> None:
        self._cache.clear()
        self._pos.clear()

    def _cells_at(self, row: int) -> Cells | None:
        cells = self._cache.get(self._ids[row], _MISSING)
        return self._fetch(row) if cells is _MISSING else cells  # type: ignore[return-value]

    def _fetch(self, row: int) -> Cells | None:
        """Read the window around `row` (only ids not cached yet); evict the oldest rows
        beyond CACHE_CAP (first in, first out: cheap, and a re-read costs ~1 ms)."""
        if self._conn is None:  # closed while the window goes away: paint nothing
            return None
        start = max(row - WINDOW_BEFORE, 0)
        end = min(row + WINDOW_AFTER, len(self._ids))
        missing = {i: start + k for k, i in enumerate(self._ids[start:end])
                   if i not in self._cache}
        got = rows_by_id(self._db(), list(missing))
        for i, at in missing.items():
            r = got.get(i)  # None: deleted since the ids were read
            self._cache[i] = None if r is None else self._cells(r)
            self._pos[i] = at
        while len(self._cache) > CACHE_CAP:
            gone, _ = self._cache.popitem(last=False)
            self._pos.pop(gone, None)
        return self._cache.get(self._ids[row])

    def _seed(self, rows: dict[int, TriageRow]) -> None:
        """Cache rows read elsewhere, for the leading run of ids they cover."""
        for at, esc_id in enumerate(self._ids):
            r = rows.get(esc_id)
            if r is None:
                break
            self._cache[esc_id] = self._cells(r)
            self._pos[esc_id] = at

    def _cells(self, r: TriageRow) -> Cells:
        """The row's texts, colours and fonts per column (live columns: computed when
        painted, their entries stay empty)."""
        now = int(self._clock())
        bold = self._bold
        texts = tuple("" if c.live else c.text(r, now) for c in COLUMNS)
        fgs = tuple(None if c.live else c.fg(r, now) for c in COLUMNS)
        fonts = tuple(None if c.live or not c.bold(r, now) else bold for c in COLUMNS)
        return r, texts, fgs, fonts

    def _live_cell(self, r: TriageRow, spec: ColumnSpec, kind: int) -> Any:
        now = int(self._clock())
        if kind == _TEXT:
            return spec.text(r, now)
        if kind == _FG:
            return spec.fg(r, now)
        return self._bold if spec.bold(r, now) else None


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted row numbers as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
