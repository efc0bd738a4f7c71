"""The Outbox & sync view lists incident changes not yet on the service and the ones it
refused (docs/incidents.md), like queued escalation changes."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from rr_desktop.gui.sync_view import SyncView
from rr_desktop.store import incident_log
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow


def test_pending_and_refused_incident_events_show_in_their_tab(qtbot: QtBot,
                                                               tmp_path: Path) -> None:
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            _, uid = incident_log.declare(db, "Election rumour wave", "mei", utcnow())
            fact = incident_log.append(db, uid, "fact", "mei", utcnow(),
                                       {"text": "<b>Rumour</b> reached TV"})
            incident_log.mark_failed(db, fact["uid"], "The service refused the event.",
                                     rejected=True)
        view = SyncView(store.path)
        qtbot.addWidget(view)
        view.refresh()
        table = view.incident_events
        rows = [[table.item(r, c).text() for c in range(table.columnCount())]
                for r in range(table.rowCount())]
        assert [r[:3] for r in rows] == [
            ["Election rumour wave", "declare", "waiting to send"],
            ["Election rumour wave", "fact", "refused by the service"]]
        assert rows[1][5] == "The service refused the event."
        assert view.tabs.tabText(4) == "Incident changes (2)"
        assert table in view.tables()
        view.close_db()
    finally:
        store.close()
