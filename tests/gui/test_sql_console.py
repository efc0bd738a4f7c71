"""The SQL console from the keyboard (g q, Ctrl+Return, Esc, Alt+Up/Down), its results
grid filled page by page, and Export table (Ctrl+Shift+E) from the console, the triage
view and the lead board, each file read back and compared with what the screen shows."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.sqlconsole.console import SqlConsole
from rr_desktop.gui.triage.columns import Column
from rr_desktop.query import PAGE_ROWS
from tests.query_cache import HOSTILE_TITLE

from .conftest import FakeWorkspace
from .driving import export_to, press
from .seed import add, escalation

CTRL, SHIFT, ALT = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier,
                    Qt.KeyboardModifier.AltModifier)
LONG = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 1000000000) SELECT count(*) FROM c")


def open_console(qtbot: QtBot, window: MainWindow) -> SqlConsole:
    console = window.pages.sql_console
    with qtbot.waitSignal(console.schema_loaded, timeout=10_000):
        press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_Q)
    qtbot.waitUntil(console.editor.hasFocus)
    return console


def run(qtbot: QtBot, window: MainWindow, console: SqlConsole, sql: str) -> None:
    console.editor.clear()
    press(qtbot, window, sql, target=console.editor)
    with qtbot.waitSignal(console.ran, timeout=10_000):
        press(qtbot, window, Qt.Key.Key_Return, target=console.editor, modifier=CTRL)


def test_a_query_from_the_keyboard_fills_the_grid_and_exports_as_shown(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace, tmp_path: Path) -> None:
    add(workspace.store, [escalation(900, title=HOSTILE_TITLE)])
    console = open_console(qtbot, window)
    schema = console.schema
    assert schema.topLevelItem(0).child(0).text(0) == "v_escalations"
    run(qtbot, window, console, "SELECT id, external_id, title, severity, created_utc, "
        "views FROM v_escalations ORDER BY id")
    model = console.model
    assert model.rowCount() == 41 and model.columns[2] == "title"
    assert "41 rows" in console.status.text()

    out = tmp_path / "result.xlsx"
    export_to(qtbot, window, out, console.editor)
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [model.headerData(c, Qt.Orientation.Horizontal)
                       for c in range(model.columnCount())]
    assert len(rows) == model.rowCount() + 1
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            shown = model.data(model.index(r, c))
            cell = rows[r + 1][c]
            if c == 4:  # created_utc: an ISO time in the grid, a date-time in the file
                assert cell.strftime("%Y-%m-%dT%H:%M:%SZ") == shown
            else:
                assert str(cell) == shown, (r, c)
    hostile = next(r for r in range(2, sheet.max_row + 1)
                   if sheet.cell(r, 3).value == HOSTILE_TITLE)
    assert sheet.cell(hostile, 3).data_type == "s"  # text, never a formula
    assert isinstance(rows[1][0], int) and isinstance(rows[1][5], int)


def test_a_write_is_refused_and_esc_cancels_a_long_query(
        qtbot: QtBot, window: MainWindow) -> None:
    console = open_console(qtbot, window)
    with qtbot.waitSignal(console.failed, timeout=5000) as refused:
        console.editor.clear()
        press(qtbot, window, "DELETE FROM escalation", target=console.editor)
        press(qtbot, window, Qt.Key.Key_Return, target=console.editor, modifier=CTRL)
    assert refused.args == ["The console is read-only: DELETE is not allowed."]
    assert console.status.text() == refused.args[0]

    console.editor.clear()
    press(qtbot, window, LONG, target=console.editor)
    press(qtbot, window, Qt.Key.Key_Return, target=console.editor, modifier=CTRL)
    qtbot.waitUntil(lambda: console.is_running() and console._session is not None
                    and console._session._busy, timeout=5000)
    started = time.monotonic()
    with qtbot.waitSignal(console.failed, timeout=5000) as cancelled:
        press(qtbot, window, Qt.Key.Key_Escape, target=console.editor)
    assert cancelled.args == ["Query cancelled."]
    assert time.monotonic() - started < 2
    qtbot.waitUntil(lambda: not console.is_running())
    run(qtbot, window, console, "SELECT count(*) AS n FROM v_sla")  # still usable
    assert console.model.data(console.model.index(0, 0)) == "40"


def test_history_steps_with_alt_up_and_down(qtbot: QtBot, window: MainWindow) -> None:
    console = open_console(qtbot, window)
    for sql in ("SELECT 1 AS one", "SELECT 2 AS two"):
        run(qtbot, window, console, sql)
    console.editor.clear()
    press(qtbot, window, "SELECT 3", target=console.editor)
    press(qtbot, window, Qt.Key.Key_Up, target=console.editor, modifier=ALT)
    assert console.editor.toPlainText() == "SELECT 2 AS two"
    press(qtbot, window, Qt.Key.Key_Up, target=console.editor, modifier=ALT)
    assert console.editor.toPlainText() == "SELECT 1 AS one"
    press(qtbot, window, Qt.Key.Key_Down, target=console.editor, modifier=ALT)
    press(qtbot, window, Qt.Key.Key_Down, target=console.editor, modifier=ALT)
    assert console.editor.toPlainText() == "SELECT 3"  # what was being typed


def test_a_big_result_is_read_a_page_at_a_time(qtbot: QtBot, window: MainWindow) -> None:
    console = open_console(qtbot, window)
    run(qtbot, window, console, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
        "FROM c WHERE x < 1800) SELECT x FROM c")
    model = console.model
    assert model.rowCount() == PAGE_ROWS and "so far" in console.status.text()
    while model.rowCount() < 1800:
        before = model.rowCount()
        console.grid.scrollToBottom()
        qtbot.waitUntil(lambda: model.rowCount() > before, timeout=5000)  # noqa: B023
        assert model.rowCount() - before <= PAGE_ROWS
    assert model.data(model.index(1799, 0)) == "1800"
    qtbot.waitUntil(lambda: "1,800 rows" in console.status.text())


def test_the_triage_view_exports_what_it_shows(qtbot: QtBot, window: MainWindow,
                                               tmp_path: Path) -> None:
    now = time.time()
    window.model._clock = lambda: now  # the Age and SLA texts as read at one moment
    window.exporter._clock = lambda: now
    window.table.setColumnHidden(int(Column.MARKET), True)
    out = tmp_path / "triage.csv"
    export_to(qtbot, window, out, window.table)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    model, header = window.model, window.table.horizontalHeader()
    shown = [c for c in (header.logicalIndex(v) for v in range(header.count()))
             if not header.isSectionHidden(c)]
    assert rows[0] == [model.headerData(c, Qt.Orientation.Horizontal) for c in shown]
    assert "Market" not in rows[0]
    assert len(rows) - 1 == model.rowCount()
    for r in range(model.rowCount()):
        assert rows[r + 1] == [model.data(model.index(r, c)) for c in shown], r


def test_the_lead_board_exports_what_it_shows(qtbot: QtBot, window: MainWindow,
                                              tmp_path: Path) -> None:
    board = window.lead_board
    with qtbot.waitSignal(board.refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_L)
    qtbot.waitUntil(board.table.hasFocus)
    out = tmp_path / "board.xlsx"
    export_to(qtbot, window, out, board.table)
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    table = board.table
    assert rows[0] == [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert rows[1:] == [[table.item(r, c).text() for c in range(table.columnCount())]
                        for r in range(table.rowCount())]


def test_the_editor_highlights_sql(qtbot: QtBot, window: MainWindow) -> None:
    console = open_console(qtbot, window)
    console.editor.setPlainText("SELECT title, 'a -- b' FROM v_sla -- why\n/* one\ntwo */ 42")
    doc = console.editor.document()
    formats = console.highlighter.formats

    def kind(line: int, column: int) -> str | None:
        block = doc.findBlockByNumber(line)
        for r in block.layout().formats():
            if r.start <= column < r.start + r.length:
                return next((k for k, f in formats.items() if f == r.format), None)
        return None

    assert kind(0, 0) == "keyword"  # SELECT
    assert kind(0, 7) is None  # title: a plain name
    assert kind(0, 15) == "string"  # the -- inside the string is not a comment
    assert kind(0, 29) == "view"  # v_sla
    assert kind(0, 36) == "comment"
    assert kind(2, 1) == "comment"  # a block comment's second line
    assert kind(2, 7) == "number"


def test_the_outbox_exports_its_current_tab(qtbot: QtBot, window: MainWindow,
                                            tmp_path: Path) -> None:
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_O)
    view = window.sync_view
    qtbot.waitUntil(lambda: window.pages.sync_shown())
    view.tabs.setCurrentWidget(view.channels)
    view.channels.setFocus()
    out = tmp_path / "channels.csv"
    export_to(qtbot, window, out, view.channels)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    table = view.channels
    assert rows[0][:2] == ["Channel", "State"]
    assert [r[0] for r in rows[1:]] == [table.item(r, 0).text()
                                        for r in range(table.rowCount())] == ["demo"]
