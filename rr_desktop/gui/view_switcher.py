"""Switching views (Triage, Mine, Snoozed, SLA at risk, All, saved views) and the `/`
search box: ids are read on a worker, the latest request wins, the table swaps them in.

Search runs as you type: each keystroke restarts a short debounce; a query that arrives
while another is running is queued (one at a time: the newest wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from ..keymap import Mode
from ..store.connections import raw_reader
from ..store.triage_queries import rows_by_id
from ..store.views import View, saved_views
from .context import AppContext
from .triage.model import TriageModel, read_view_ids
from .triage.view import TriageView

SEARCH_DEBOUNCE_MS = 60
FIRST_PAGE = 500
"""A view switch shows its first rows at once (an index walk with LIMIT: a few ms even
at 1M rows); the full id list (~0.1-0.3 s for 200k-1M ids) follows on a worker and is
swapped in without moving the current row."""
FIRST_SCREEN = 80
"""Rows of the first page read on the worker with the ids (a tall window shows ~60)."""


class ViewBar(QWidget):
    """The strip above the table: the view's title and count, the search box, and the
    search's parse problems (plain text).

    Signals: command(str): a key of the search box (keymap Mode.SEARCH) was pressed."""

    command = Signal(str)
    command_mode = Mode.SEARCH

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewBar")
        self.title = QLabel()
        self.title.setObjectName("viewTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.search = QLineEdit()
        self.search.setObjectName("searchEdit")
        self.search.setPlaceholderText("/ search: words, \"phrases\", sev:0,1 pri:0 "
                                       "status: market: cat: assignee:me is:breached \u2026")
        self.search.setClearButtonEnabled(True)
        self.problems = QLabel()
        self.problems.setObjectName("searchProblems")
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.search, 1)
        layout.addWidget(self.problems)

    def handle_command(self, name: str) -> None:
        self.command.emit(name)


class ViewSwitcher(QObject):
    """Owns which view the table shows and the search within it.

    Signals:
      view_changed(object): the table now shows this `View`;
      count_changed(str): how many escalations the view has, as the status bar says it;
      page_wanted(): show the triage page (a view was chosen from elsewhere);
      list_focus_wanted(): the search is done; the keys go back to the list."""

    view_changed = Signal(object)
    count_changed = Signal(str)
    page_wanted = Signal()
    list_focus_wanted = Signal()

    def __init__(self, ctx: AppContext, model: TriageModel, table: TriageView,
                 views: Sequence[View], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = model
        self.table = table
        self.views = list(views)
        self.current = self.views[0]
        self.bar = ViewBar(parent)
        self._running = False
        self._queued_switch: View | None = None
        self._queued_refresh = False
        self._generation = 0  # bumped by every switch that reads its full id list later
        self.partial = False  # the table shows a view's first page; the rest is coming
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_now)
        self.bar.search.textChanged.connect(lambda _t: self._debounce.start())
        self.bar.command.connect(self.on_search_key)
        self._show_title(None)

    def reload(self) -> None:
        """Re-read the view list (the analyst's saved views follow who they are)."""
        with self.ctx.store.read() as conn:
            self.views = saved_views(conn, self.ctx.me)

    def show_saved(self, name: str) -> None:
        """A view was just saved (and the list re-read): show it, say which key opens it."""
        n = next((i for i, v in enumerate(self.views) if v.title == name), None)
        if n is None:
            return
        self.ctx.notifier.info(f"Saved view {name!r}" + (f": Ctrl+{n + 1}" if n < 9 else ""),
                               6000)
        self.show_view(self.views[n])

    def view_named(self, title: str) -> View | None:
        return next((v for v in self.views if v.title == title), None)

    def show_view(self, view: View | None) -> None:
        """Switch to a view (search cleared)."""
        if view is None:
            self.ctx.notifier.info("No saved view there yet: search, then Save view "
                                   "(Ctrl+K)")
            return
        self._debounce.stop()  # a search typed just before must not undo this switch
        self.bar.search.blockSignals(True)
        self.bar.search.clear()
        self.bar.search.blockSignals(False)
        self.bar.problems.clear()
        self.page_wanted.emit()
        self._request(view)

    def show_search(self, title: str, text: str) -> None:
        """Show view `title` with `text` typed in its search box (the lead board's
        drill-down: `assignee:<id> is:open` in All)."""
        base = self.view_named(title) or self.current
        self._debounce.stop()
        self.bar.search.blockSignals(True)
        self.bar.search.setText(text)
        self.bar.search.blockSignals(False)
        self.bar.problems.clear()
        self.page_wanted.emit()
        self.list_focus_wanted.emit()
        self._request(base.narrowed(text))

    def sort_by(self, key: str) -> None:
        """Sort the view by a column's key: ascending, then descending, then back to
        triage order (the header's clicks and the "Sort by" command)."""
        current = self.current.sort
        if not key:
            new = ""
        elif current == key:
            new = f"-{key}"
        elif current == f"-{key}":
            new = ""
        else:
            new = key
        self._debounce.stop()
        self._request(self.current.sorted_by(new))

    def show_index(self, n: int) -> None:
        self.show_view(self.views[n] if 0 <= n < len(self.views) else None)

    def focus_search(self) -> None:
        self.page_wanted.emit()
        self.bar.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.bar.search.selectAll()

    def on_search_key(self, name: str) -> None:
        """Esc clears the search and returns to the list; Enter and Down go to the
        results."""
        if name == "search-cancel":
            if self.bar.search.text():
                self.bar.search.clear()
            self.list_focus_wanted.emit()
        elif name == "search-results":
            self._debounce.stop()
            self._search_now()
            self.list_focus_wanted.emit()
        elif name == "search-everywhere":
            self._debounce.stop()
            self._search_now(everywhere=True)

    def is_busy(self) -> bool:
        """Whether a search is about to run (typing paused less than the debounce ago) or
        a view's ids are being read."""
        return self._debounce.isActive() or self._running or self.partial

    def refresh(self) -> None:
        """Re-read the current view's ids (after a sync or an action)."""
        if self._running:
            self._queued_refresh = True
            return
        self._start(self.current, keep=True)

    # -- internals -------------------------------------------------------------------

    def _search_now(self, everywhere: bool = False) -> None:
        base = self.view_named("All" if everywhere else self.current.title) or self.current
        query = base.narrowed(self.bar.search.text()).sorted_by(self.current.sort)
        errors = query.errors()
        self.bar.problems.setText("; ".join(errors)[:200] if errors else "")
        self._request(query)

    def _request(self, view: View) -> None:
        """Switch to `view` (one read at a time: the newest switch waits, older ones are
        dropped)."""
        if self._running:
            self._queued_switch = view
            return
        self._start(view, keep=False)

    def _start(self, view: View, keep: bool) -> None:
        if self.ctx.closed:
            return
        if not keep:
            self._generation += 1  # any full read still queued for an older view is moot
        self._running = True
        path = self.ctx.store.path

        def work(_progress: Any, _cancel: Any) -> Any:
            if keep:
                return read_view_ids(path, view)
            conn = raw_reader(path)
            try:
                ids = view.ids(conn, FIRST_PAGE)
                return ids, rows_by_id(conn, list(ids[:FIRST_SCREEN]))
            finally:
                conn.close()

        job = self.ctx.run_job("view-ids", work, failure="Could not read the view",
                               on_done=lambda ids: self._landed(view, ids, keep))
        if job is None:
            self._running = False
            return
        job.finished.connect(self._done)

    def _landed(self, view: View, result: Any, keep: bool) -> None:
        if keep:  # a refresh: only if that view is still the one shown
            if view == self.current == self.model.view:
                self.model.load_ids(result)
            return
        if self._queued_switch is not None and self._queued_switch != view:
            return  # a newer switch is waiting: don't flash this one
        ids, rows = result
        self.current = view
        self.model.set_view(view, ids, rows)
        self.table.show_sort(view.sort)
        if view.search and not ids and view.key != "all" and not view.errors():
            # A search stays within its view: say so, and how to look everywhere.
            self.bar.problems.setText(f"Nothing in {view.title}: Ctrl+Enter searches "
                                      "every escalation")
        if self.model.rowCount():
            self.table.select_row(0)
        self._show_title(view)
        self.view_changed.emit(view)
        if len(ids) >= FIRST_PAGE:  # more to come: read them all behind the scenes
            self.partial = True
            self.count_changed.emit(f"{len(ids):,}+ escalations (counting\u2026)")
            path = self.ctx.store.path
            generation = self._generation

            def read_all(_p: Any, _c: Any) -> Any:
                # Typing a search starts a switch per pause: a full read no longer
                # wanted is skipped, or abandoned between chunks, freeing the worker.
                conn = raw_reader(path)
                try:
                    return view.ids_until(conn, lambda: generation != self._generation)
                finally:
                    conn.close()

            def start_full_read() -> None:
                if generation == self._generation:
                    self.ctx.run_job("view-ids-all", read_all,
                                     failure="Could not read the whole view",
                                     on_done=lambda all_ids: self._complete(view, all_ids))

            # After the first page is painted: building the id list holds the GIL for
            # long stretches, which would slow every data() call of that paint.
            self.table.after_next_paint(start_full_read)

    def _complete(self, view: View, ids: Any) -> None:
        """The full id list of a view whose first page is showing."""
        if ids is None or view != self.current or view != self.model.view:
            return
        self.partial = False
        if not self.model.load_ids(ids):
            self.count_changed.emit(f"{len(ids):,} escalations")

    def _done(self) -> None:
        self._running = False
        if self._queued_switch is not None:
            view, self._queued_switch = self._queued_switch, None
            self._queued_refresh = False  # a switch reads fresh ids anyway
            self._start(view, keep=False)
        elif self._queued_refresh:
            self._queued_refresh = False
            self._start(self.current, keep=True)

    def _show_title(self, view: View | None) -> None:
        view = view or self.current
        parts = [view.title]
        if view.search:
            parts.append("searching in it")
        if view.sort:
            parts.append(f"sorted by {view.sort.lstrip('-')}"
                         + (" (reversed)" if view.sort.startswith("-") else ""))
        self.bar.title.setText(", ".join(parts))
