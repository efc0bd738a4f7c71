"""The lead board's rebalance from the keyboard: b proposes (only to the analyst on
shift with room, no more than his room), Return applies it as one batch (store, outbox,
one audit event per item), z undoes every move."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.rebalance_view import RebalanceDialog

from .conftest import FakeWorkspace
from .driving import active, press
from .test_lead_board import ALWAYS, off_now, open_board, open_counts, set_profiles


def assignees(ws: FakeWorkspace, ids: list[int]) -> dict[int, str | None]:
    with ws.store.read() as db:
        return dict(db.execute(f"SELECT id, assignee FROM escalation WHERE id IN "
                               f"({', '.join('?' * len(ids))})", ids).fetchall())


def test_rebalance_propose_apply_and_undo(qtbot: QtBot, window: MainWindow,
                                          workspace: FakeWorkspace) -> None:
    counts = open_counts(workspace)
    # Budi alone is on shift, with room for two more; Maria (off shift) is one over.
    set_profiles(workspace, budi=AnalystProfile((), ALWAYS, counts["budi"] + 2),
                 aditi=AnalystProfile((), off_now(), None),
                 chen=AnalystProfile((), off_now(), None),
                 maria=AnalystProfile((), off_now(), counts["maria"] - 1))
    open_board(qtbot, window)
    board = window.lead_board
    with qtbot.waitSignal(board.rebalance.proposed, timeout=5000) as blocker:
        press(qtbot, window, Qt.Key.Key_B, target=board.table)
    dialog: RebalanceDialog = blocker.args[0]
    qtbot.waitUntil(lambda: active(dialog))
    moves = dialog.proposal.moves
    assert len(moves) == 2 and {m.to_id for m in moves} == {"budi"}
    shown = dialog.moves.toPlainText()
    assert all(m.ref in shown and "to Budi Santoso: " in shown for m in moves)
    ids = [m.esc_id for m in moves]
    before = assignees(workspace, ids)
    assert before == {m.esc_id: m.from_id for m in moves}

    with qtbot.waitSignal(board.rebalance.applied, timeout=5000):
        qtbot.keyClick(dialog.apply_button, Qt.Key.Key_Return)
    assert assignees(workspace, ids) == dict.fromkeys(ids, "budi")
    marks = ", ".join("?" * len(ids))
    with workspace.store.read() as db:
        outbox = [(e, json.loads(p)) for e, p in db.execute(
            f"SELECT escalation_id, payload FROM outbox WHERE escalation_id IN ({marks}) "
            "AND state = 'pending'", ids)]
        audit = dict(db.execute(
            f"SELECT escalation_id, count(*) FROM audit_log WHERE action = 'triage.assign' "
            f"AND escalation_id IN ({marks}) GROUP BY escalation_id", ids).fetchall())
        batches = db.execute("SELECT count(DISTINCT batch_id) FROM undo_item WHERE "
                             f"escalation_id IN ({marks})", ids).fetchone()[0]
    assert sorted(outbox) == sorted((i, {"assignee": "budi"}) for i in ids)
    assert audit == dict.fromkeys(ids, 1) and batches == 1

    # z (on the board) undoes every move at once.
    qtbot.waitUntil(lambda: board.table.hasFocus())
    with qtbot.waitSignal(board.refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_Z, target=board.table)
    assert assignees(workspace, ids) == before

    def pending(db: Any) -> int:
        return int(db.execute(f"SELECT count(*) FROM outbox WHERE escalation_id IN ({marks}) "
                              "AND state = 'pending'", ids).fetchone()[0])
    with workspace.store.read() as db:
        assert pending(db) == 0
