"""Static dialogs built from the Designer forms in ui/."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QWidget

from .. import __version__ as app_version
from ..store.channel_state import ChannelStatus
from ..store.timecodec import to_epoch, utcnow
from .forms import load_form
from .status import describe
from .text import format_time, one_line, reveal_invisibles


class AboutDialog(QDialog):
    """Version, runtime and where the data lives. Emits only QDialog's signals."""

    def __init__(self, data_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = load_form("about")()
        self.ui.setupUi(self)
        self.ui.appName.setObjectName("aboutAppName")
        self.ui.versionLabel.setText(f"Version {app_version}")
        self.ui.runtimeLabel.setText(
            f"Python {platform.python_version()} \u00b7 Qt {qVersion()} \u00b7 "
            f"PySide6 {PySide6.__version__} \u00b7 {sys.platform}")
        self.ui.dataDirLabel.setText(f"Data: {data_dir}" if data_dir else "")


class SyncDetailsDialog(QDialog):
    """One channel's sync state and full last error (plain text).

    Signals: QDialog's, plus the form's `ui.syncNowButton.clicked` which the window
    connects to "sync now".
    """

    def __init__(self, status: ChannelStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = load_form("sync_error")()
        self.ui.setupUi(self)
        self.show_status(status)

    def show_status(self, status: ChannelStatus) -> None:
        ui = self.ui
        now_s = to_epoch(utcnow())
        text, _state, _tip = describe(status, now_s)
        ui.channelValue.setText(f"{one_line(status.name)} ({one_line(status.kind)})")
        ui.stateValue.setText(text)
        ui.successValue.setText(format_time(status.last_success_at)
                                if status.last_success_at else "never")
        ui.attemptValue.setText(format_time(status.last_attempt_at)
                                if status.last_attempt_at else "never")
        ui.queueValue.setText(
            f"{status.queued_ops} waiting, {status.dead_ops} failed for good, "
            f"{status.conflicts} conflicts, {status.quarantined} quarantined records")
        ui.errorText.setPlainText(reveal_invisibles(status.last_error or "No error."))
