"""The spreadsheet import dialog: file -> suggested mapping -> preview and rejected rows
(untrusted text shown literally) -> Import registers the channel, which then syncs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Channel
from rr_desktop.gui.spreadsheet_import import NOT_MAPPED, SpreadsheetImportDialog
from rr_desktop.gui.spreadsheet_rows import RowsModel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from rr_desktop.workspace import build_client

DATA = Path(__file__).resolve().parents[1] / "data" / "spreadsheets"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


@pytest.fixture
def notices(tmp_path: Path) -> Path:
    path = tmp_path / "eSafety notices (March).csv"
    shutil.copy(DATA / "esafety_notices.csv", path)
    return path


def open_dialog(qtbot: QtBot, store: Store, path: Path | None) -> SpreadsheetImportDialog:
    dialog = SpreadsheetImportDialog(store)
    qtbot.addWidget(dialog)
    if path is not None:
        with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
            dialog.load_file(path)
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    return dialog


def model_texts(model: RowsModel, column: int | str) -> list[str]:
    if isinstance(column, str):
        column = next(c for c in range(model.columnCount())
                      if model.headerData(c, Qt.Orientation.Horizontal) == column)
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_file_to_mapping_to_preview(qtbot: QtBot, store: Store, notices: Path,
                                    qtmodeltester: ModelTester) -> None:
    dialog = open_dialog(qtbot, store, notices)
    ui = dialog.ui
    assert dialog.windowTitle() == "Import spreadsheet"
    assert ui.nameEdit.text() == "esafety-notices-march"
    combos = dialog._combos
    assert combos["content_url"].currentText() == "URL"
    assert combos["market"].currentText() == "Country"
    assert combos["deadline_at"].currentText() == "Respond by"
    assert combos["category"].currentText() == NOT_MAPPED
    assert not ui.sheetCombo.isEnabled()  # a CSV has no sheets
    model = dialog.preview_model
    qtmodeltester.check(model)
    assert model.rowCount() == 10
    assert model_texts(model, 0)[:3] == ["3", "5", "6"]
    titles = dict(zip(model_texts(model, "ID"), model_texts(model, "Title"), strict=True))
    assert titles["EN-2025-008"] == "<b>Hate</b> speech <img src=http://127.0.0.1:9/x>"
    assert titles["EN-2025-005"] == '=HYPERLINK("http://127.0.0.1:9/canary","open me")'
    rejected = dialog.rejected_model
    assert model_texts(rejected, 0) == ["9", "11"]
    assert model_texts(rejected, 1) == [
        "market 'Atlantis' is not an ISO country code or a country name we know",
        "duplicate of row 5 (same ID)"]
    assert ui.resultTabs.tabText(1) == "Rejected rows (2)"
    assert ui.summaryLabel.text().startswith("10 rows: 8 to import, 2 rejected")
    assert ui.importButton.isEnabled()
    labels = dialog.findChildren(QLabel)
    assert labels and all(lbl.textFormat() == Qt.TextFormat.PlainText for lbl in labels)


def test_untrusted_cells_show_invisibles(qtbot: QtBot, store: Store, notices: Path) -> None:
    dialog = open_dialog(qtbot, store, notices)
    model = dialog.preview_model
    bodies = model_texts(model, "Description")
    assert any("[U+202E]evil[U+202C]" in b for b in bodies)  # shown, not obeyed
    assert any("\u23ce" in b for b in bodies)  # a line break cannot fake a new row
    assert all("\n" not in b and "\u202e" not in b for b in bodies)


def test_changing_the_mapping_and_defaults_previews_again(qtbot: QtBot, store: Store,
                                                          notices: Path) -> None:
    dialog = open_dialog(qtbot, store, notices)
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        dialog.set_column("market", None)
    assert dialog.preview is not None and dialog.preview.accepted == 0
    assert "no default market set" in model_texts(dialog.rejected_model, 1)[0]
    assert not dialog.ui.importButton.isEnabled()
    dialog.ui.marketEdit.setText("NZ")
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        dialog.ui.marketEdit.editingFinished.emit()
    assert dialog.preview.accepted == 9  # the Atlantis row is fine now, the duplicate not
    assert dialog.config()["mapping"].find('"market"') == -1
    assert dialog.ui.importButton.isEnabled()


def test_import_registers_the_channel_which_then_syncs(qtbot: QtBot, store: Store,
                                                       notices: Path) -> None:
    dialog = open_dialog(qtbot, store, notices)
    dialog.ui.reporterEdit.setText("eSafety Commissioner")
    dialog.ui.reporterTypeCombo.setCurrentIndex(
        dialog.ui.reporterTypeCombo.findData("regulator"))
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as signal:
        qtbot.mouseClick(dialog.ui.importButton, Qt.MouseButton.LeftButton)
    channel = signal.args[0]
    assert isinstance(channel, Channel) and channel.kind == "spreadsheet"
    assert channel.config["path"] == str(notices.resolve())
    assert channel.config["reporter_type"] == "regulator"
    with store.read() as db:
        assert [c.name for c in cs.list_channels(db)] == ["esafety-notices-march"]
    client = build_client(channel)
    report = SyncEngine(store, {channel.name: client}).run(channel.name)
    assert report.error is None and report.received == 8 and report.quarantined == 2
    with store.read() as db:
        assert db.execute("SELECT DISTINCT reporter_type FROM escalation").fetchall() == [
            ("regulator",)]

    again = open_dialog(qtbot, store, notices)  # the same file: the same channel
    assert again.ui.nameEdit.text() == "esafety-notices-march"
    assert again.existing is not None
    assert again.ui.reporterTypeCombo.currentData() == "regulator"


def test_name_clash_with_another_kind_is_refused(qtbot: QtBot, store: Store,
                                                 notices: Path) -> None:
    with store.write() as db:
        cs.ensure_channel(db, Channel("partner", "rr_api", {"base_url": "https://x"}))
    dialog = open_dialog(qtbot, store, notices)
    dialog.ui.nameEdit.setText("partner")
    dialog.import_file()
    assert "a rr_api channel is already called 'partner'" in dialog.ui.messageLabel.text()
    with store.read() as db:
        assert len(cs.list_channels(db)) == 1


def test_unreadable_files_say_why(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)
    dialog = open_dialog(qtbot, store, path)
    assert "password-protected" in dialog.ui.messageLabel.text()
    assert not dialog.ui.importButton.isEnabled()
    assert dialog.preview_model.rowCount() == 0


def test_workbook_sheets_can_be_chosen(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "partner.xlsx"
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Read me"
    first.append(["Notes", "About"])
    first.append(["x", "y"])
    cases = wb.create_sheet("Cases")
    cases.append(["Case ID", "Summary", "Link", "Market"])
    cases.append([1, "Scam", "https://scam.example/1", "SG"])
    wb.save(path)
    dialog = open_dialog(qtbot, store, path)
    assert dialog.ui.sheetCombo.isEnabled() and dialog.ui.sheetCombo.count() == 2
    assert dialog.preview is not None and dialog.preview.accepted == 0
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        dialog.ui.sheetCombo.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert dialog._combos["content_url"].currentText() == "Link"
    assert dialog.preview is not None and dialog.preview.accepted == 1
    assert dialog.config()["sheet"] == "Cases"


def exported_csv(tmp_path: Path) -> Path:
    path = tmp_path / "partner export.csv"
    path.write_text("Exported on,2026-03-04 09:15\r\n\r\nRef,Title,Link,Country,Reported\r\n"
                    "N-1,Scam,https://ex.com/1,TH,46185.66875\r\n"
                    "N-2,Shop,https://ex.com/2,VN,46186\r\n", encoding="utf-8")
    return path


def test_the_header_row_is_found_and_can_be_chosen(qtbot: QtBot, store: Store,
                                                   tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, store, exported_csv(tmp_path))
    ui = dialog.ui
    assert ui.headerRowSpin.value() == 0 and ui.headerRowSpin.text() == "Automatic"
    assert dialog.info is not None and dialog.info.header_row == 3
    assert "The header is row 3" in ui.messageLabel.text()
    assert dialog.preview is not None and dialog.preview.accepted == 2
    assert dialog.config()["header_row"] == ""
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        ui.headerRowSpin.setValue(1)  # the user says row 1: its names, every row rejected
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert dialog.info.headers == ("Exported on", "2026-03-04 09:15")
    assert dialog.preview.accepted == 0 and not ui.importButton.isEnabled()
    assert dialog.config()["header_row"] == "1"
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        ui.headerRowSpin.setValue(3)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=10_000)
    assert dialog.preview.accepted == 2 and dialog.config()["header_row"] == "3"


def test_date_serials_follow_the_chosen_date_system(qtbot: QtBot, store: Store,
                                                    tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, store, exported_csv(tmp_path))
    assert dialog._combos["created_at"].currentText() == "Reported"
    assert model_texts(dialog.preview_model, "Reported at")[0] == "2026-06-12 16:03 UTC"
    with qtbot.waitSignal(dialog.preview_ready, timeout=10_000):
        dialog.ui.dateSystemCombo.setCurrentIndex(dialog.ui.dateSystemCombo.findData("1904"))
    assert model_texts(dialog.preview_model, "Reported at")[0] == "2030-06-13 16:03 UTC"
    assert dialog.config()["date_system"] == "1904"


def test_a_saved_channel_reopens_with_its_header_row(qtbot: QtBot, store: Store,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "two headers.csv"  # row 1 looks like a header too: found first
    path.write_text("Partner list,week 10\r\nRef,Link,Country\r\n"
                    "N-1,https://ex.com/1,TH\r\n", encoding="utf-8")
    with store.write() as db:
        cs.ensure_channel(db, Channel("partner", "spreadsheet",
                                      {"path": str(path.resolve()), "header_row": "2"}))
    dialog = open_dialog(qtbot, store, path)
    qtbot.waitUntil(lambda: dialog.ui.headerRowSpin.value() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: not dialog.is_busy() and dialog.preview is not None
                    and dialog.preview.info.header_row == 2, timeout=10_000)
    assert dialog.ui.nameEdit.text() == "partner" and dialog.preview.accepted == 1
