"""The duplicates widget: plain-text suggestions with reasons, activation emits the id, and
look-ups run through the job helper with only the latest request shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Channel
from rr_desktop.gui.jobs import JobRunner
from rr_desktop.gui.triage.duplicates import ID_ROLE, LOOKUP_DELAY_MS, DuplicateList
from rr_desktop.store.channel_state import ensure_channel
from rr_desktop.store.duplicates import DuplicateSuggestion
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from tests.factories import T0, escalation, incoming

HOSTILE = "<b>Bold</b> <img src=http://127.0.0.1:9/x.png>\u202eevil\nsecond line"


@pytest.fixture
def jobs(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = JobRunner(max_workers=1)
    yield runner
    runner.shutdown(5)


def suggestion(esc_id: int, title: str = "Clip", **kw: object) -> DuplicateSuggestion:
    fields: dict[str, object] = dict(channel="partner_desk", score=0.9,
                                     reasons=("same URL https://v.example/x",),
                                     same_channel=False)
    fields.update(kw)
    return DuplicateSuggestion(esc_id, title=title, **fields)  # type: ignore[arg-type]


def test_untrusted_text_is_shown_literally_and_activation_emits_the_id(qtbot: QtBot) -> None:
    widget = DuplicateList()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.heading.text() == "No likely duplicates" and widget.list.isHidden()
    widget.set_suggestions([
        suggestion(41, HOSTILE, reasons=("same handle @<i>x</i>", "near-identical text (93%)")),
        suggestion(7, "Same channel copy", channel="platform", score=0.42, same_channel=True),
    ])
    assert widget.heading.text() == "Possible duplicates (2)"
    first, second = widget.list.item(0), widget.list.item(1)
    assert first.text() == (
        "<b>Bold</b> <img src=http://127.0.0.1:9/x.png>[U+202E]evil \u23ce second line\n"
        "partner_desk \u00b7 90% \u00b7 same handle @<i>x</i> \u00b7 near-identical text (93%)")
    assert second.text().splitlines()[1].startswith("platform (same channel) \u00b7 42%")
    assert first.toolTip().startswith("<qt>same handle @&lt;i&gt;x&lt;/i&gt;")
    assert all(label.textFormat() == Qt.TextFormat.PlainText
               for label in widget.findChildren(QLabel))
    assert first.data(ID_ROLE) == 41

    widget.list.setFocus()
    widget.list.setCurrentRow(1)
    with qtbot.waitSignal(widget.activated, timeout=2000) as opened:
        qtbot.keyClick(widget.list, Qt.Key.Key_Return)
    assert opened.args == [7]
    qtbot.waitUntil(lambda: widget.list.visualItemRect(first).height() > 0)
    rect = widget.list.visualItemRect(first)
    with qtbot.waitSignal(widget.activated, timeout=2000) as clicked:
        # Qt 6's QTest double click is a lone DblClick event; views want a press first.
        qtbot.mousePress(widget.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(widget.list.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center())
    assert clicked.args == [41]


def test_show_for_looks_up_off_the_gui_thread(qtbot: QtBot, tmp_path: Path,
                                             jobs: JobRunner) -> None:
    store = Store.open(tmp_path / "cache.sqlite3")
    url = "https://video.example.com/@harbour_cam/v/7300000000000000042"
    ids: dict[str, int] = {}
    try:
        for channel, key, body in (("platform", "a", f"Reports of {url}"),
                                   ("partner_desk", "b", f"Partner: {url}?utm_medium=x"),
                                   ("ler_inbox", "c", "Nothing to do with it.")):
            with store.write() as db:
                cid = ensure_channel(db, Channel(channel, "rr_api", {}))
                [ids[key]] = merge_page(db, cid, [incoming(escalation(body=body))], [],
                                        T0).changed_ids
        widget = DuplicateList(store.path, jobs)
        qtbot.addWidget(widget)
        with qtbot.waitSignal(widget.loaded, timeout=10_000) as loaded:
            widget.show_for(ids["c"])  # superseded before it is shown
            widget.show_for(ids["a"])
            assert widget.heading.text() == "Looking for duplicates\u2026"
        assert loaded.args == [ids["a"]]
        assert [s.escalation_id for s in widget.suggestions()] == [ids["b"]]
        assert f"same URL {url}" in widget.list.item(0).text()
        with qtbot.waitSignal(widget.loaded, timeout=10_000):
            widget.show_for(ids["c"])
        assert widget.suggestions() == [] and widget.heading.text() == "No likely duplicates"
        widget.show_for(None)
        assert widget.heading.text() == "No likely duplicates"
    finally:
        store.close()


def test_a_burst_of_requests_runs_one_look_up_for_the_last(qtbot: QtBot, tmp_path: Path,
                                                         jobs: JobRunner) -> None:
    """j held down (or views switched quickly) must not queue a look-up per row: their
    Python half would compete with the table's painting for the GIL."""
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            cid = ensure_channel(db, Channel("platform", "rr_api", {}))
            ids = merge_page(db, cid, [incoming(escalation(body=f"Report {n}"))
                                       for n in range(5)], [], T0).changed_ids
        started: list[str] = []
        real_run = jobs.run
        jobs.run = lambda name, fn, **kw: (started.append(name),  # type: ignore[method-assign]
                                           real_run(name, fn, **kw))[1]
        widget = DuplicateList(store.path, jobs)
        qtbot.addWidget(widget)
        # The burst is as fast as the test makes it, not as the machine's load allows.
        widget._settle.setInterval(60_000)
        for esc_id in ids:
            widget.show_for(esc_id)
            qtbot.wait(LOOKUP_DELAY_MS // 5)
        assert started == [] and widget._settle.isActive()
        with qtbot.waitSignal(widget.loaded, timeout=10_000) as loaded:
            widget._settle.start(0)  # the keys pause
        assert loaded.args == [ids[-1]] and started == ["duplicates"]
        widget.show_for(ids[0])
        widget.stop()  # the window closes: nothing starts afterwards
        assert not widget._settle.isActive()
        widget._settle.timeout.emit()  # even if it fired now
        assert started == ["duplicates"]
    finally:
        store.close()
