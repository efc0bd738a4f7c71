"""The SQL console page (`g q`, docs/sql-console.md): an editor with SQL highlighting, the
schema browser (the console's views, then the cache's tables, each with its columns), and
the results grid, filled a page at a time as it scrolls.

Queries run on the console's own single worker (its connection is used by that thread
only): never on the GUI thread. Ctrl+Return runs (the selected text if any), Esc cancels
a running query (SQLite's interrupt: at once), Alt+Up / Alt+Down step through the history
(kept in the data dir), and "Export table" (Ctrl+Shift+E) writes every row of the result,
re-running the query on a worker with no row cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...query import PAGE_ROWS, QueryError, QueryHistory, QueryResult, QuerySession, SchemaItem
from ...query.session import Row
from ...tabular_export import Cell, TableSnapshot
from .. import theme
from ..context import AppContext
from ..jobs import Job, JobRunner
from ..notifier import user_sentence
from .highlighter import SqlHighlighter
from .result_model import MAX_GRID_ROWS, ResultModel

EXAMPLE = ("-- Read-only SQL on the cache. Ctrl+Return runs, Esc cancels, Alt+Up/Down step "
           "through history.\nSELECT channel, external_id, title, severity, state, due_utc\n"
           "FROM v_sla JOIN v_escalations USING (id)\nWHERE breached = 'yes'\nORDER BY "
           "due_utc\nLIMIT 100")
COLUMN_MAX_PX = 360


class SqlConsole(QWidget):
    """The page. Signals: ran(int): a query's first page is shown (rows held);
    failed(str): a query was refused, failed or was cancelled (its sentence);
    schema_loaded(int): the schema browser was filled (how many tables and views)."""

    ran = Signal(int)
    failed = Signal(str)
    schema_loaded = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sqlConsole")
        self.ctx = ctx
        self.db_path = ctx.store.path
        self.history = QueryHistory(ctx.data_dir)
        self.jobs = JobRunner(self, max_workers=1, name="rr-sql")
        self._session: QuerySession | None = None  # opened and used on the worker only
        self._job: Job | None = None
        self._shown_sql = ""
        self._history_pos = -1
        self._draft = ""
        self._stepping = False
        self._schema_asked = False

        heading = QLabel("SQL console")
        heading.setObjectName("viewTitle")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("sqlEditor")
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText(EXAMPLE)
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._edited)
        self.highlighter = SqlHighlighter(self.editor.document())
        self.schema = QTreeWidget()
        self.schema.setObjectName("sqlSchema")
        self.schema.setHeaderLabels(["Views and tables"])
        self.schema.itemDoubleClicked.connect(self._insert_name)
        self.model = ResultModel(self._fetch_more)
        self.model.rows_added.connect(lambda _n: self._say_rows())
        self.grid = QTableView()
        self.grid.setObjectName("sqlGrid")
        self.grid.setModel(self.model)
        self.grid.setWordWrap(False)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        theme.apply_table_palette(self.grid)
        self.status = QLabel("Type a query; Ctrl+Return runs it.")
        self.status.setObjectName("sqlStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.editor)
        results = QWidget()
        column = QVBoxLayout(results)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status)
        column.addWidget(self.grid, 1)
        right.addWidget(results)
        right.setSizes([220, 500])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.schema)
        split.addWidget(right)
        split.setSizes([260, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(heading)
        layout.addWidget(split, 1)

    # -- commands --------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"sql-run": self.run_query, "sql-cancel": self.cancel,
                "sql-history-previous": lambda: self.step_history(1),
                "sql-history-next": lambda: self.step_history(-1)}

    def focus_editor(self) -> None:
        """`g q`: the editor focused; the schema browser is read the first time."""
        if not self._schema_asked:
            self._schema_asked = True
            self.jobs.run("sql-schema", lambda _p, _c: self._open().schema(),
                          on_success=self._show_schema, on_failure=self._failed)
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def is_running(self) -> bool:
        return self._job is not None or self.model.fetching

    def run_query(self) -> None:
        """Ctrl+Return: run the selected text, or the whole editor."""
        selected = self.editor.textCursor().selectedText().replace("\u2029", "\n")
        sql = (selected or self.editor.toPlainText()).strip()
        if self._job is not None:
            self.ctx.notifier.info("A query is running: Esc cancels it")
            return
        if not sql:
            self._say("Type a query first, e.g. SELECT * FROM v_escalations LIMIT 50.", True)
            return
        self._record(sql)
        previous = self.model.result
        self.model.show(None, (), [])

        def work(_progress: Any, _cancel: Any) -> tuple[QueryResult, list[Row], float]:
            if previous is not None:
                previous.close()
            started = time.monotonic()
            result = self._open().execute(sql)
            rows = result.fetch(PAGE_ROWS)
            return result, rows, time.monotonic() - started

        self._say("Running\u2026 Esc cancels.")
        self._job = self.jobs.run("sql-query", work,
                                  on_success=lambda r: self._shown(sql, *r),
                                  on_failure=self._failed)
        self._job.finished.connect(self._query_over)

    def cancel(self) -> None:
        """Esc: stop the running query; with nothing running, back to the editor."""
        if self.is_running() and self._session is not None:
            self._session.cancel()
            self._say("Cancelling\u2026")
            return
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def step_history(self, delta: int) -> None:
        """Alt+Up (older, +1) / Alt+Down (newer, -1): the history into the editor; past
        the newest, what was being typed comes back."""
        entries = self.history.entries
        if not entries:
            self.ctx.notifier.info("No queries run yet: the history fills as you run them")
            return
        if self._history_pos == -1:
            self._draft = self.editor.toPlainText()
        pos = min(max(self._history_pos + delta, -1), len(entries) - 1)
        self._history_pos = pos
        self._stepping = True
        try:
            self.editor.setPlainText(self._draft if pos == -1 else entries[pos])
        finally:
            self._stepping = False
        self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def export_table(self) -> TableSnapshot | None:
        """Every row of the result shown (the query runs again on a worker, unlimited)."""
        if not self._shown_sql or not self.model.columns:
            return None
        sql, path = self._shown_sql, self.db_path

        def rows(cancel: threading.Event) -> Iterator[Sequence[Cell]]:
            session = QuerySession.open(path, timeout_s=None, cancel=cancel)
            try:
                _columns, found = session.stream(sql)
                yield from found
            finally:
                session.close()

        return TableSnapshot("query", self.model.columns, rows)

    def shutdown(self) -> None:
        """Cancel and wait for the worker, then close the connection (window shutdown)."""
        if self._session is not None:
            self._session.cancel()
        self.jobs.shutdown(2.0)
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- internals -------------------------------------------------------------------

    def _open(self) -> QuerySession:
        """The console's session (on the worker thread)."""
        if self._session is None:
            self._session = QuerySession.open(self.db_path)
        return self._session

    def _record(self, sql: str) -> None:
        self._history_pos = -1
        try:
            self.history.add(sql)
        except OSError as exc:
            self.ctx.notifier.warn(f"The query history could not be saved: "
                                   f"{exc.strerror or exc}")

    def _shown(self, sql: str, result: QueryResult, rows: list[Row], took: float) -> None:
        self._shown_sql = sql
        self.model.show(result, result.columns, rows)
        self.grid.resizeColumnsToContents()
        header = self.grid.horizontalHeader()
        for col in range(self.model.columnCount()):
            if header.sectionSize(col) > COLUMN_MAX_PX:
                header.resizeSection(col, COLUMN_MAX_PX)
        self._took = took
        self._say_rows()
        self.ran.emit(len(rows))

    def _say_rows(self) -> None:
        model, n = self.model, len(self.model.rows)
        result = model.result
        if result is None:
            return
        text = f"{n:,} row{'s' if n != 1 else ''}"
        if model.capped:
            text += (f" (the grid holds the first {MAX_GRID_ROWS:,}; Export table, "
                     "Ctrl+Shift+E, writes them all)")
        elif not result.exhausted:
            text += " so far: more are read as you scroll"
        took = getattr(self, "_took", 0.0)
        self._say(f"{text} \u00b7 first page in {took * 1000:,.0f} ms")

    def _query_over(self) -> None:
        self._job = None

    def _fetch_more(self, result: QueryResult) -> None:
        def landed(rows: list[Row]) -> None:
            if self.model.result is result:
                self.model.append(rows)

        def failed(exc: BaseException) -> None:
            if self.model.result is result:
                self.model.fetching = False
                self._failed(exc)

        self.jobs.run("sql-page", lambda _p, _c: result.fetch(PAGE_ROWS),
                      on_success=landed, on_failure=failed)

    def _failed(self, exc: BaseException) -> None:
        sentence = str(exc) if isinstance(exc, QueryError) else user_sentence(exc)
        self._say(sentence, True)
        self.failed.emit(sentence)

    def _say(self, text: str, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {theme.ERROR_FG.name()}" if problem else "")

    def _edited(self) -> None:
        if not self._stepping:
            self._history_pos = -1

    def _show_schema(self, items: list[SchemaItem]) -> None:
        self.schema.clear()
        groups = {"view": QTreeWidgetItem(["Views (the console's)"]),
                  "table": QTreeWidgetItem(["Tables"])}
        for group in groups.values():
            self.schema.addTopLevelItem(group)
        for item in items:
            node = QTreeWidgetItem([item.name])
            node.setToolTip(0, item.doc or item.name)
            node.setData(0, Qt.ItemDataRole.UserRole, item.name)
            for name, kind in item.columns:
                child = QTreeWidgetItem([f"{name}  {kind}".rstrip()])
                child.setData(0, Qt.ItemDataRole.UserRole, name)
                node.addChild(child)
            groups[item.kind].addChild(node)
        groups["view"].setExpanded(True)
        self.schema_loaded.emit(len(items))

    def _insert_name(self, item: QTreeWidgetItem, _column: int) -> None:
        """A double-click puts the table's or column's name where the cursor is."""
        name = item.data(0, Qt.ItemDataRole.UserRole)
        if name:
            self.editor.insertPlainText(str(name))
            self.editor.setFocus()
