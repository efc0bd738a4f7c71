"""Designer forms: every ui/*.ui compiles, loads and instantiates; labels are plain text.
In a checkout a form newer than its module is compiled again (rr_desktop/gui/forms)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel
from pytestqt.qtbot import QtBot

from rr_desktop.gui import forms
from rr_desktop.gui.dialogs import AboutDialog, SyncDetailsDialog
from rr_desktop.locations import resource_path, resources_dir, source_checkout
from rr_desktop.store.channel_state import ChannelStatus

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted((ROOT / "ui").glob("*.ui"))


def test_the_tests_run_from_the_checkout() -> None:
    assert source_checkout() == ROOT


def test_there_are_forms() -> None:
    names = {p.stem for p in UI_FILES}
    assert {"about", "sync_error"} <= names
    assert forms.form_names() == sorted(names)


@pytest.mark.parametrize("ui_file", UI_FILES, ids=lambda p: p.stem)
def test_every_form_loads_and_instantiates(qtbot: QtBot, ui_file: Path) -> None:
    ui_class = forms.load_form(ui_file.stem)
    assert ui_class.__name__.startswith("Ui_")
    dialog = QDialog()
    qtbot.addWidget(dialog)
    ui = ui_class()
    ui.setupUi(dialog)
    assert dialog.windowTitle()
    labels = dialog.findChildren(QLabel)
    assert all(lbl.textFormat() == Qt.TextFormat.PlainText for lbl in labels)
    assert ui_file.stem not in forms.stale_forms()


def test_a_changed_form_is_recompiled(qtbot: QtBot, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forms, "ui_dir", lambda: tmp_path)
    name = f"zz_test_{os.getpid()}"
    source = tmp_path / f"{name}.ui"
    shutil.copy(ROOT / "ui" / "about.ui", source)
    try:
        assert forms.stale_forms() == [name]
        first = forms.load_form(name)
        assert forms.stale_forms() == []
        source.write_text(source.read_text().replace("About RR Desktop", "Changed title"))
        os.utime(source, (time.time() + 5, time.time() + 5))
        assert forms.stale_forms() == [name]
        second = forms.load_form(name)
        dialog = QDialog()
        qtbot.addWidget(dialog)
        second().setupUi(dialog)
        assert dialog.windowTitle() == "Changed title"
        assert first is not second
    finally:
        forms.module_path(name).unlink(missing_ok=True)


def test_missing_form_is_a_clear_error() -> None:
    with pytest.raises(forms.FormError):
        forms.load_form("no_such_form")


def test_dialogs_show_untrusted_text_literally(qtbot: QtBot, tmp_path: Path) -> None:
    about = AboutDialog(tmp_path)
    qtbot.addWidget(about)
    assert "Version" in about.ui.versionLabel.text()
    error = "<img src=http://127.0.0.1:1/x> HTTP 503\u202e"
    status = ChannelStatus(1, "demo", "rr_api", None, 1_700_000_000, None, error, None, 2, 1,
                           0, 3, False)
    dialog = SyncDetailsDialog(status)
    qtbot.addWidget(dialog)
    assert dialog.ui.errorText.toPlainText() == "<img src=http://127.0.0.1:1/x> HTTP 503[U+202E]"
    assert dialog.ui.stateValue.text().startswith("demo: failing: <img")
    assert dialog.ui.successValue.text() == "never"
    assert "2 waiting" in dialog.ui.queueValue.text()


def test_an_installed_copy_only_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ui/ beside the package (a wheel, the bundle) nothing is ever compiled."""
    monkeypatch.setattr(forms, "ui_dir", lambda: None)

    def no_compiling(*_args: object) -> None:
        raise AssertionError("compiled at run time")

    monkeypatch.setattr(forms, "compile_form", no_compiling)
    assert forms.stale_forms() == []
    assert {p.stem for p in UI_FILES} <= set(forms.form_names())
    assert forms.load_form("about").__name__ == "Ui_AboutDialog"
    with pytest.raises(forms.FormError, match="installed package"):
        forms.load_form("no_such_form")


def test_resources_come_from_the_checkout_here() -> None:
    assert resources_dir() == ROOT / "resources"
    assert resource_path("theme.qss").is_file()
