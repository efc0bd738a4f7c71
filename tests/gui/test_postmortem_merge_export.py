"""Post-mortems: the editor's formatting keys, a section changed here and on the service
merged side by side by the lead, and the exports (Markdown, self-contained sanitized
HTML, a PDF that renders), all from the keyboard in the real window; an export that
fails mid-way (the disk fills at a random offset) leaves the previous file intact."""

from __future__ import annotations

import json
import random
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.postmortem_conflicts import ConflictsDialog
from rr_desktop.gui.postmortem_export import ExportFailed, export
from rr_desktop.store import postmortems
from tests.peers.availability import require_binary

from .driving import ALT, CTRL, SHIFT, active
from .postmortem_driving import (
    chord,
    create_postmortem,
    declare_incident,
    draft,
    pick,
    picker,
    source,
    text,
)
from .seed import write_elsewhere


def test_heading_list_and_link_keys(qtbot: QtBot, window: MainWindow) -> None:
    declare_incident(window)
    create_postmortem(qtbot, window)
    edit = source(window)
    qtbot.keyClick(edit, Qt.Key.Key_End, CTRL)
    qtbot.keyClicks(edit, "Findings")
    for n, key in ((1, Qt.Key.Key_1), (2, Qt.Key.Key_2), (3, Qt.Key.Key_3)):
        chord(qtbot, window, key, CTRL | ALT)
        assert text(window).endswith("\n" + "#" * n + " Findings")
    chord(qtbot, window, Qt.Key.Key_3, CTRL | ALT)  # again: plain text
    assert text(window).endswith("\nFindings")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "hash the sounds")
    qtbot.keyClick(edit, Qt.Key.Key_Up, SHIFT)  # both lines selected
    chord(qtbot, window, Qt.Key.Key_8, CTRL | SHIFT)
    assert text(window).endswith("\n- Findings\n- hash the sounds")
    qtbot.keyClick(edit, Qt.Key.Key_End, CTRL)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "runbook")
    qtbot.keyClick(edit, Qt.Key.Key_Home, SHIFT)
    chord(qtbot, window, Qt.Key.Key_L, CTRL)
    qtbot.keyClicks(edit, "https://wiki.example/runbook")  # types over the address
    assert text(window).endswith("\n[runbook](https://wiki.example/runbook)")


def _conflicted(window: MainWindow, pm_id: int) -> None:
    """As the sync leaves a post-mortem whose Summary both sides changed."""
    mine = draft(window, pm_id).text.replace(
        "What happened, in three sentences", "Our summary, written on the plane")
    theirs = draft(window, pm_id).text.replace(
        "What happened, in three sentences", "Their summary, from the office")
    conflict = {"heading": "Summary", "base": "What happened, base\n",
                "mine": "Our summary, written on the plane\n",
                "theirs": "Their summary, from the office\n"}

    def write(db: sqlite3.Connection) -> None:
        postmortems.save(db, pm_id, mine, "aditi", datetime.now(UTC), kind="merge")
        db.execute("UPDATE postmortem SET conflicts = ?, theirs_text = ?, theirs_version = 7, "
                   "dirty = 1 WHERE id = ?", (json.dumps([conflict]), theirs, pm_id))

    write_elsewhere(window.store, write)


def test_a_section_changed_on_both_sides_is_merged_side_by_side(
        qtbot: QtBot, window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    chord(qtbot, window, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(window.postmortems.drafts.table.hasFocus)
    _conflicted(window, pm_id)
    window.commands.run("go-drafts")
    assert window.postmortems.drafts.table.item(0, 4).text() == "1"  # merges waiting
    qtbot.keyClick(window.postmortems.drafts.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.postmortems.editor.conflicts.isVisible())
    chord(qtbot, window, Qt.Key.Key_M, CTRL | ALT)
    qtbot.waitUntil(lambda: active(window.findChild(ConflictsDialog)))
    dialog = window.findChild(ConflictsDialog)
    assert isinstance(dialog, ConflictsDialog)
    assert dialog.mine.toPlainText() == "Our summary, written on the plane\n"
    assert dialog.theirs.toPlainText() == "Their summary, from the office\n"
    assert dialog.base.toPlainText() == "What happened, base\n"
    merged = dialog.merged_text
    qtbot.waitUntil(merged.hasFocus)
    qtbot.keyClick(merged, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(merged, "Both: on the plane and in the office.")
    qtbot.keyClick(merged, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not draft(window, pm_id).conflicts, timeout=5000)
    after = draft(window, pm_id)
    assert "## Summary\nBoth: on the plane and in the office.\n## Impact" in after.text
    with window.store.read() as db:
        row = db.execute("SELECT theirs_text, theirs_version, dirty FROM postmortem "
                         "WHERE id = ?", (pm_id,)).fetchone()
        kinds = [r.kind for r in postmortems.revisions(db, pm_id)]
    assert row == (None, None, 1) and kinds[0] == "merge"
    qtbot.waitUntil(lambda: text(window) == after.text)
    qtbot.waitUntil(lambda: not window.postmortems.editor.conflicts.isVisible())


def _export(qtbot: QtBot, window: MainWindow, fmt: str, path: Path) -> None:
    chord(qtbot, window, Qt.Key.Key_E, CTRL | ALT)
    pick(qtbot, picker(qtbot, window, "postmortemExportFormat"), fmt)
    qtbot.waitUntil(lambda: active(window.findChild(QFileDialog, "exportPostmortem")))
    files = window.findChild(QFileDialog, "exportPostmortem")
    files.findChild(QLineEdit, "fileNameEdit").setText(str(path))
    files.accept()
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "exportPostmortem") is None)
    qtbot.waitUntil(path.exists)


def _ink(png: Path) -> int:
    """Pixels that are not (near) white on the rendered page."""
    image = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert not image.isNull()
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if image.pixelColor(x, y).value() < 200)


def test_exports_markdown_html_and_a_pdf_that_renders(qtbot: QtBot, window: MainWindow,
                                                      tmp_path: Path) -> None:
    pdftoppm = require_binary("pdftoppm")
    declare_incident(window)
    create_postmortem(qtbot, window)
    qtbot.keyClick(source(window), Qt.Key.Key_End, CTRL)
    qtbot.keyClick(source(window), Qt.Key.Key_Return)
    qtbot.keyClicks(source(window), "![beacon](http://tracker.example/p.png) "
                                    "<script>alert(1)</script> [x](javascript:alert(2))")
    markdown = text(window)
    _export(qtbot, window, "Markdown", tmp_path / "pm.md")
    assert (tmp_path / "pm.md").read_text(encoding="utf-8") == markdown
    _export(qtbot, window, "HTML", tmp_path / "pm.html")
    page = (tmp_path / "pm.html").read_text(encoding="utf-8")
    assert "<h2>Summary</h2>" in page and "default-src 'none'" in page
    for banned in ("<img", "tracker.example", "<script", "href=\"javascript", "<link", "src=\""):
        assert banned not in page
    assert "&lt;script&gt;" in page  # shown as text
    _export(qtbot, window, "PDF", tmp_path / "pm.pdf")
    assert (tmp_path / "pm.pdf").read_bytes().startswith(b"%PDF")
    subprocess.run([pdftoppm, "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / "pm.pdf"), str(tmp_path / "page")], check=True,
                   timeout=60)
    assert _ink(tmp_path / "page.png") > 500


@pytest.fixture
def disk_fills_at() -> Iterator[list[int]]:
    """Files written by this process cannot grow past the offset put in the list (the
    kernel refuses the write with EFBIG, as a full disk refuses it with ENOSPC)."""
    limit: list[int] = []
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    yield limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_an_export_failing_mid_way_leaves_the_previous_file_byte_identical(
        qapp: object, tmp_path: Path, fmt: str, disk_fills_at: list[int]) -> None:
    rng = random.Random()
    body = "".join(f"## Section {n}\n\n" + "Words of the analysis, line after line. " * 30
                   + "\n\n" for n in range(40))
    target = tmp_path / f"postmortem.{fmt}"
    export(target, fmt, "Post-mortem", "# First\n\n" + body)
    before = target.read_bytes()
    offset = rng.randrange(1, len(before))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (offset, hard))
    try:
        with pytest.raises(ExportFailed, match="the previous file, if any, is unchanged"):
            export(target, fmt, "Post-mortem", "# Second\n\n" + body + body)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert target.read_bytes() == before, f"changed by a failure at offset {offset}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temp left
