"""TriageModel: Qt's model contract, lazy bounded rows, targeted refresh, stable reload."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Severity, Status, Urgency
from rr_desktop.gui.triage import model as model_mod
from rr_desktop.gui.triage.columns import Column
from rr_desktop.gui.triage.model import (
    ID_ROLE,
    PRIORITY_ROLE,
    ROW_ROLE,
    SEVERITY_ROLE,
    TriageModel,
)
from rr_desktop.store.store import Store
from rr_desktop.store.views import View

from .seed import NOW, add, escalation, make_store, triage_order

HOSTILE = "<b>x</b><img src=http://127.0.0.1:1/x>"


def id_at(model: TriageModel, row: int) -> int:
    esc_id = model.id_at(row)
    assert esc_id is not None
    return esc_id


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path, 1000)
    yield store
    store.close()


def test_qtmodeltester(qtmodeltester: ModelTester, big: Store) -> None:
    model = TriageModel(big.path)
    assert model.rowCount() == 1000
    qtmodeltester.check(model, force_py=False)
    qtmodeltester.check(model, force_py=True)
    model.close()


def test_rows_in_triage_order_with_text_and_colour(big: Store) -> None:
    model = TriageModel(big.path)
    order = triage_order(big)
    assert [model.index(r, 0).data(ID_ROLE) for r in range(model.rowCount())] == order
    index = model.index(0, Column.SEVERITY)
    assert index.data() == Severity(index.data(SEVERITY_ROLE)).name  # "S0": text, not colour
    assert index.data(Qt.ItemDataRole.ForegroundRole) is not None
    pri = model.index(0, Column.PRIORITY)
    assert pri.data().startswith(f"P{pri.data(PRIORITY_ROLE)}")
    model.close()


def test_never_holds_more_than_the_cap(big: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_mod, "CACHE_CAP", 300)
    model = TriageModel(big.path)
    for row in range(0, model.rowCount(), 7):
        assert model.index(row, Column.TITLE).data()
    assert 0 < model.cached_count() <= 300
    model.close()


def test_refresh_rows_emits_only_for_the_given_ids(qtbot: QtBot, big: Store) -> None:
    model = TriageModel(big.path)
    for row in range(0, 120):  # what a view showing the top of the list would have read
        model.index(row, Column.TITLE).data()
    ids = [id_at(model, r) for r in (3, 4, 9)]
    far_id = id_at(model, 900)  # never shown: nothing to redraw
    with big.read() as db:
        ext = {i: db.execute("SELECT external_id FROM escalation WHERE id = ?",
                             (i,)).fetchone()[0] for i in [*ids, far_id]}
    add(big, [replace(escalation(int(e[4:])), remote_version=2, title=f"changed {e}")
              for e in ext.values()])
    seen: list[tuple[int, int, list[int]]] = []
    model.dataChanged.connect(lambda a, b, roles: seen.append((a.row(), b.row(), list(roles))))
    notified = model.refresh_rows({*ids, far_id})
    assert notified == 3
    rows = sorted(r for a, b, _ in seen for r in range(a, b + 1))
    assert rows == [3, 4, 9]
    assert all(Qt.ItemDataRole.DisplayRole in roles for _, _, roles in seen)
    assert model.index(3, Column.TITLE).data() == f"changed {ext[ids[0]]}"
    assert model.index(900, Column.TITLE).data() == f"changed {ext[far_id]}"
    model.close()


def test_reload_keeps_the_current_id(qtbot: QtBot, big: Store) -> None:
    model = TriageModel(big.path)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setCurrentIndex(model.index(10, Column.TITLE))
    current = model.index(10, 0).data(ID_ROLE)
    # Five new S0/U0 items created now: they sort above most of the queue.
    add(big, [escalation(5000 + n, severity=Severity.S0, urgency=Urgency.U0, created_at=NOW,
                         updated_at=NOW) for n in range(5)])
    with qtbot.waitSignal(model.layoutChanged):
        assert model.reload() is True
    assert model.rowCount() == 1005
    assert view.currentIndex().data(ID_ROLE) == current
    assert view.currentIndex().column() == Column.TITLE
    assert model.row_of(current) == view.currentIndex().row()
    assert model.reload() is False  # nothing new: no signal, no work
    model.close()


def test_the_rest_of_a_view_is_appended_without_a_relayout(qtbot: QtBot, big: Store) -> None:
    """A view's first page shows, then its full id list lands: rows are inserted below
    it (no layoutChanged, which would relayout and repaint the whole table)."""
    model = TriageModel(big.path)
    everything = [id_at(model, r) for r in range(model.rowCount())]
    model.set_view(model.view, everything[:100])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setCurrentIndex(model.index(42, Column.TITLE))
    layouts: list[int] = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        assert model.load_ids(everything) is True
    assert inserted.args[1:] == [100, 999]
    assert layouts == []
    assert model.rowCount() == 1000 and id_at(model, 999) == everything[999]
    assert view.currentIndex().row() == 42 and view.currentIndex().data(ID_ROLE) == everything[42]
    # Not a prefix (an item moved to the top): a relayout that keeps the current escalation.
    moved = [everything[500], *everything[:500], *everything[501:]]
    assert model.load_ids(moved) is True
    assert layouts == [1]
    assert view.currentIndex().data(ID_ROLE) == everything[42]
    model.close()


def test_reload_when_the_current_item_leaves_the_view(qtbot: QtBot, big: Store) -> None:
    model = TriageModel(big.path, View("New", "status:new"))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setCurrentIndex(model.index(2, 0))
    gone = id_at(model, 2)
    with big.read() as db:
        ext = db.execute("SELECT external_id FROM escalation WHERE id = ?", (gone,)).fetchone()[0]
    add(big, [replace(escalation(int(ext[4:])), remote_version=2, status=Status.TRIAGED)])
    model.reload()
    assert model.rowCount() == 999
    assert model.row_of(gone) is None
    assert not view.currentIndex().isValid() or view.currentIndex().data(ID_ROLE) != gone
    model.close()


def test_untrusted_title_is_literal(tmp_path: Path) -> None:
    store = make_store(tmp_path, 0, [escalation(1, title=HOSTILE + "\u202e!")])
    model = TriageModel(store.path)
    index = model.index(0, Column.TITLE)
    assert index.data() == HOSTILE + "[U+202E]!"
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "<img" not in tip and "&lt;img src=http://127.0.0.1:1/x&gt;" in tip
    assert index.data(ROW_ROLE).title == HOSTILE + "\u202e!"
    model.close()
    store.close()


def test_set_view_resets(qtbot: QtBot, big: Store) -> None:
    model = TriageModel(big.path)
    with qtbot.waitSignal(model.modelReset):
        model.set_view(View("NZ", "market:NZ"))
    assert 0 < model.rowCount() < 1000
    assert {model.index(r, Column.MARKET).data() for r in range(model.rowCount())} == {"NZ"}
    assert model.data(QModelIndex()) is None
    model.close()
