"""The analyst's loop as a state machine: hypothesis drives the real main window with random
key sequences (moves, triage actions from the list and the detail pane, decline with its
prompt, undo and redo, searches, view switches, sync pages landing) and after every step
checks the one invariant of the trust issue and that the store, the outbox and the table
agree.

After every step, once the window has settled:
- the detail pane, the window title and the table's current row name the same
  escalation (or, with nothing current, the pane is empty);
- every triage key changed exactly the escalation that was shown when it was pressed (a
  model of the store says what it must hold), and nothing else;
- the outbox holds, per escalation, exactly the unsent difference between the store and
  what the source last sent (edits coalesced, undone edits gone: nothing is pushed twice
  or left behind);
- the table lists exactly what its view's query returns, and each row it shows reads as
  the store holds it;
- after a sync lands, the escalation that was current stays current when it is still
  listed (rows arriving above don't move the analyst's cursor).

With the fix of the trust issue's first finding reverted (the detail pane re-reading the
item it showed, not the one it is about to show), hypothesis finds and shrinks it to
"accept, then look": the pane shows the accepted item while the next key acts on the one
after it. It also found that prompts named items by the cache's internal number.

The window uses the real store and `FakeEngine`, whose sync pages merge records through
the real ingest path (new escalations, and colleagues' changes to escalations this
analyst has not touched). Pushing to a real server is the outbox state machine's job
(tests/integration/test_outbox_state_machine.py).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.exceptions import TimeoutError as NotCaughtUp
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Status
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.store.local_edits import decode_field
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncProgress, SyncReport

from .conftest import FakeWorkspace
from .seed import ME, add, choose_identity, escalation, make_store
from .test_triage_keys import active

FIELDS = ("status", "severity", "urgency", "assignee")
SEEDED = 24
SEARCHES = ("Bangkok", "sev:S0", "market:IN", "status:triaged", "flood", "zzzz-nothing")
VIEWS = ("T", "E", "M", "A")  # g t (Triage), g e (All), g m (Mine), g a (SLA at risk)
Fields = dict[str, Any]


def _store_fields(store: Store) -> dict[int, Fields]:
    with store.read() as db:
        return {r[0]: dict(zip(FIELDS, r[1:], strict=True)) for r in db.execute(
            f"SELECT id, {', '.join(FIELDS)} FROM escalation")}


def _pending(store: Store) -> dict[int, tuple[Fields, Fields]]:
    """Each escalation's unsent update: (payload, base)."""
    with store.read() as db:
        rows = db.execute("SELECT escalation_id, payload, base FROM outbox "
                          "WHERE op_type = 'update' AND state = 'pending'").fetchall()
    out: dict[int, tuple[Fields, Fields]] = {}
    for esc_id, payload, base in rows:
        assert esc_id not in out, f"two unsent updates for #{esc_id}: not coalesced"
        out[esc_id] = (json.loads(payload), json.loads(base))
    return out


class AnalystLoop(RuleBasedStateMachine):
    """One example: a fresh cache, a fresh window, random keys."""

    def __init__(self, qtbot: QtBot, root: Path) -> None:
        super().__init__()
        self.qtbot = qtbot
        self.dir = Path(tempfile.mkdtemp(dir=root))
        self.store = make_store(self.dir, SEEDED)
        choose_identity(self.dir)
        self.workspace = FakeWorkspace(self.store, data_dir=self.dir)
        self.workspace.engine.step = self._sync_page  # type: ignore[assignment]
        self.model = _store_fields(self.store)  # what the store must hold
        self.source = {k: dict(v) for k, v in self.model.items()}  # what the source sent
        self.undo: list[dict[int, tuple[Fields, Fields]]] = []  # batches: id -> (old, new)
        self.redo: list[dict[int, tuple[Fields, Fields]]] = []
        self.touched: set[int] = set()  # acted on here: colleagues leave these alone
        self.next_new = 1000
        self.landing: list[Callable[[], list[int]]] = []
        self.window = MainWindow(self.workspace, sync_interval_s=None)
        self.window.resize(1360, 820)
        self.window.show()
        qtbot.waitExposed(self.window)
        self._focus(self.window.table)
        self._settle()

    def teardown(self) -> None:
        self.window.shutdown()
        self.window.close()
        self.window.deleteLater()
        QApplication.processEvents()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- driving the window --------------------------------------------------------------

    def _focus(self, widget: QWidget) -> None:
        win = self.window
        if QApplication.activeWindow() is not win:
            win.activateWindow()
        self.qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
        if not (widget.hasFocus() or widget.isAncestorOf(QApplication.focusWidget())):
            widget.setFocus()
            self.qtbot.waitUntil(lambda: widget.hasFocus() or widget.isAncestorOf(
                QApplication.focusWidget()), timeout=5000)

    def _keys(self, *keys: Qt.Key | str) -> None:
        target = QApplication.focusWidget() or self.window.table
        for key in keys:
            if isinstance(key, str):
                self.qtbot.keyClicks(target, key)
            else:
                self.qtbot.keyClick(target, key)
            target = QApplication.focusWidget() or self.window.table

    def _quiet(self) -> bool:
        w = self.window
        return not (w.jobs.active() or w.detail.is_pending() or w._resort.isActive()
                    or w.sync.is_running() or w.views.is_busy())

    def _settle(self) -> None:
        """Wait until the window has done everything the last key started (no job, no
        pending render or re-sort), twice in a row across an event loop turn."""
        for _ in range(2):
            self.qtbot.waitUntil(self._quiet, timeout=10_000)
            QApplication.processEvents()
        self.qtbot.waitUntil(self._quiet, timeout=10_000)

    def _in_list(self) -> bool:
        return self.window.table.hasFocus() and self.window.triage.prompt is None

    def _shown(self) -> int | None:
        shown = self.window.detail.escalation_id
        assert shown == self.window.current_id(), "the pane and the cursor disagree"
        return shown

    def _acted(self, esc_id: int | None, edits: Fields | None) -> None:
        """The model's side of a triage key on `esc_id`: `edits` where they change
        something (one undo batch), nothing otherwise."""
        if esc_id is None or edits is None:
            return
        old = self.model[esc_id]
        new = {**old, **edits}
        self.touched.add(esc_id)
        if new != old:
            self.model[esc_id] = new
            self.undo.append({esc_id: (old, new)})
            self.redo.clear()

    # -- rules -------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        self.check_everything()

    @rule(key=st.sampled_from([Qt.Key.Key_J, Qt.Key.Key_K, Qt.Key.Key_Down, Qt.Key.Key_Up,
                               Qt.Key.Key_Home, Qt.Key.Key_End]),
          times=st.integers(1, 4))
    def move(self, key: Qt.Key, times: int) -> None:
        if key in (Qt.Key.Key_Home, Qt.Key.Key_End) and not self._in_list():
            key = Qt.Key.Key_J
        self._keys(*([key] * times))
        self._settle()

    @rule(action=st.sampled_from(["accept", "resolve", "severity", "urgency", "take"]),
          level=st.integers(0, 3))
    def triage_key(self, action: str, level: int) -> None:
        shown = self._shown()
        cur = self.model.get(shown) if shown is not None else None
        edits: Fields | None = None
        if action == "accept":
            self._keys(Qt.Key.Key_1)
            if cur is not None and cur["status"] in (Status.NEW.value, Status.SNOOZED.value):
                edits = {"status": Status.TRIAGED.value}
        elif action == "resolve":
            self._keys(Qt.Key.Key_E)
            if cur is not None and Status(cur["status"]).is_open:
                edits = {"status": Status.RESOLVED.value}
        elif action == "severity":
            self._keys("s", str(level))
            edits = {"severity": level}
        elif action == "urgency":
            self._keys("y", str(level))
            edits = {"urgency": level}
        else:
            self._keys(Qt.Key.Key_I)
            edits = {"assignee": ME}
        self._settle()
        self._acted(shown, edits)

    @rule(reason=st.sampled_from(["Not a violation", "Out of scope for APAC", "Spam"]))
    def decline(self, reason: str) -> None:
        shown = self._shown()
        self._keys(Qt.Key.Key_3)
        if shown is None:
            self._settle()
            return
        cur = self.model[shown]
        closed = not Status(cur["status"]).is_open
        self.qtbot.waitUntil(lambda: self.window.triage.prompt is not None
                             or self._quiet(), timeout=5000)
        prompt = self.window.triage.prompt
        if prompt is None:  # refused at once (already closed): nothing asked
            self._settle()
            assert closed
            return
        # The prompt names the item it will decline by the source's id and its title.
        with self.store.read() as db:
            ext, title = db.execute("SELECT external_id, title FROM escalation WHERE id = ?",
                                    (shown,)).fetchone()
        words = " ".join(w.text() for w in prompt.findChildren(type(prompt.error)))
        assert ext in words and title[:30] in words, words
        self.qtbot.waitUntil(lambda: active(prompt), timeout=5000)
        self.qtbot.keyClicks(QApplication.focusWidget(), reason)
        self.qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        self.qtbot.waitUntil(lambda: self.window.triage.prompt is None, timeout=5000)
        self._settle()
        self._acted(shown, None if closed or cur["status"] == Status.DECLINED.value
                    else {"status": Status.DECLINED.value})

    @rule(redo=st.booleans())
    def undo_or_redo(self, redo: bool) -> None:
        if redo:
            self.qtbot.keyClick(QApplication.focusWidget() or self.window.table, Qt.Key.Key_Z,
                                Qt.KeyboardModifier.ControlModifier
                                | Qt.KeyboardModifier.ShiftModifier)
        else:
            self._keys(Qt.Key.Key_Z)
        self._settle()
        stack, other = (self.redo, self.undo) if redo else (self.undo, self.redo)
        if not stack:
            return
        batch = stack.pop()
        for esc_id, (old, new) in batch.items():
            self.model[esc_id] = new if redo else old
        other.append(batch)

    @precondition(lambda self: self._in_list())
    @rule(query=st.sampled_from(SEARCHES), everywhere=st.booleans())
    def search(self, query: str, everywhere: bool) -> None:
        self._keys("/")
        self.qtbot.waitUntil(lambda: self.window.views.bar.isAncestorOf(
            QApplication.focusWidget()), timeout=5000)
        self._keys(query)
        self.qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return,
                            Qt.KeyboardModifier.ControlModifier if everywhere
                            else Qt.KeyboardModifier.NoModifier)
        self._settle()
        self._focus(self.window.table)

    @precondition(lambda self: self._in_list())
    @rule()
    def clear_search(self) -> None:
        self._keys("/")
        self.qtbot.waitUntil(lambda: self.window.views.bar.isAncestorOf(
            QApplication.focusWidget()), timeout=5000)
        self._keys(Qt.Key.Key_Escape)
        self._settle()
        self._focus(self.window.table)

    @rule(view=st.sampled_from(VIEWS))
    def switch_view(self, view: str) -> None:
        self._keys("g", view.lower())
        self._settle()
        self._focus(self.window.table)

    @precondition(lambda self: self._in_list() and self.window.current_id() is not None)
    @rule()
    def into_detail(self) -> None:
        self._keys(Qt.Key.Key_Return)
        self._settle()
        assert self.window.detail.isAncestorOf(QApplication.focusWidget())

    @precondition(lambda self: not self._in_list())
    @rule()
    def back_to_list(self) -> None:
        self._keys(Qt.Key.Key_U)
        self._settle()
        self._focus(self.window.table)

    @rule(new=st.integers(0, 4), colleague=st.integers(0, 2))
    def sync_page_lands(self, new: int, colleague: int) -> None:
        """New escalations and colleagues' changes arrive; F5 brings them in."""
        before = self.window.current_id()
        untouched = sorted(set(self.model) - self.touched)[:colleague]
        records = [escalation(self.next_new + i) for i in range(new)]
        self.next_new += new
        records += [escalation(n - 1 if n <= SEEDED else n, remote_version=5,
                               status=Status.TRIAGED, assignee="maria")
                    for n in self._seed_numbers(untouched)]
        self.landing.append(lambda: add(self.store, records, version_hash=f"v{self.next_new}"))
        with self.qtbot.waitSignal(self.window.sync_reported, timeout=10_000):
            self.qtbot.keyClick(QApplication.focusWidget() or self.window.table, Qt.Key.Key_F5)
        self._settle()
        for esc_id, fields in _store_fields(self.store).items():
            if esc_id not in self.model or esc_id in untouched:
                self.model[esc_id] = fields
                self.source[esc_id] = dict(fields)
        if before is not None and self.window.model.row_of(before) is not None:
            assert self.window.current_id() == before, "a sync moved the analyst's cursor"

    def _seed_numbers(self, ids: list[int]) -> list[int]:
        """The `escalation(n)` numbers (plus one) of cached escalations `ids`."""
        with self.store.read() as db:
            return [int(db.execute("SELECT external_id FROM escalation WHERE id = ?",
                                   (i,)).fetchone()[0].split("-")[1]) + 1 for i in ids]

    def _sync_page(self, _progress: Callable[[SyncProgress], None],
                   _cancel: threading.Event) -> list[SyncReport]:
        changed: set[int] = set()
        while self.landing:
            changed.update(self.landing.pop(0)())
        return [SyncReport("demo", received=len(changed), changed=len(changed),
                           changed_ids=changed)]

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def check_everything(self) -> None:
        self._settle()
        self._shown_is_current()
        self._store_matches_model()
        self._outbox_is_the_difference()
        self._table_matches_store()

    def _shown_is_current(self) -> None:
        win = self.window
        current = win.current_id()
        assert win.detail.escalation_id == current, (
            f"the pane shows #{win.detail.escalation_id}, the next key acts on #{current}")
        if current is None:
            assert win.detail.title.text() == "No escalation selected"
            return
        row = win.model.row_of(current)
        assert row is not None and win.table.selectionModel().isRowSelected(row)
        shown = win.selection.row(current)
        assert shown is not None
        assert win.detail.title.text().startswith(shown.title[:40])
        assert shown.title[:40] in win.windowTitle()

    def _store_matches_model(self) -> None:
        assert _store_fields(self.store) == self.model

    def _outbox_is_the_difference(self) -> None:
        pending = _pending(self.store)
        for esc_id, fields in self.model.items():
            sent = self.source[esc_id]
            want = {f: decode_field(f, v) for f, v in fields.items() if v != sent[f]}
            payload, base = pending.get(esc_id, ({}, {}))
            assert payload == want, f"#{esc_id}: outbox {payload}, unsent change {want}"
            assert base == {f: decode_field(f, sent[f]) for f in want}

    def _table_matches_store(self) -> None:
        win = self.window
        def view_ids() -> list[int]:
            with self.store.read() as db:
                return list(win.model.view.ids(db))

        def table_ids() -> list[int | None]:
            return [win.model.id_at(r) for r in range(win.model.rowCount())]

        # Once in a CI run (not reproduced since, in 4 x 40 sequences) the table lagged its
        # view at a moment the window looked idle: it must catch up within 2 s, as the
        # analyst would see it; a table that stays behind still fails here.
        try:
            self.qtbot.waitUntil(lambda: table_ids() == view_ids(), timeout=2000)
        except NotCaughtUp:
            pass
        assert table_ids() == view_ids(), "the table is not what its view holds"
        for r in range(min(win.model.rowCount(), 30)):
            row = win.model.row_at(r)
            assert row is not None
            stored = self.model[row.id]
            assert (row.status.value, int(row.severity), int(row.urgency), row.assignee) == (
                stored["status"], stored["severity"], stored["urgency"], stored["assignee"])


def _run(qtbot: QtBot, tmp_path: Path, examples: int, steps: int) -> None:
    run_state_machine_as_test(
        lambda: AnalystLoop(qtbot, tmp_path),
        settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large]))


def test_the_item_shown_is_the_item_acted_on(qtbot: QtBot, tmp_path: Path) -> None:
    _run(qtbot, tmp_path, examples=6, steps=15)


@pytest.mark.slow
def test_the_item_shown_is_the_item_acted_on_at_length(qtbot: QtBot, tmp_path: Path) -> None:
    """The same machine over 40 sequences of 30 steps (about two minutes): in CI."""
    _run(qtbot, tmp_path, examples=40, steps=30)
